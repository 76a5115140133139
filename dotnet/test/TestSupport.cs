// What the C# test programs share: a UI thread's stand-in and the log of
// what the client raised on it. The Go tests (dotnet_test.go,
// internal/e2e) read the programs' stdout line by line.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using BPClient.Desktop;

// A UI thread's stand-in: a SynchronizationContext that runs what is
// posted to it, in order, on its one thread.
sealed class DispatcherContext : SynchronizationContext
{
    readonly BlockingCollection<Action> queue = new BlockingCollection<Action>();
    public readonly Thread Thread;

    public DispatcherContext()
    {
        Thread = new Thread(() => { foreach (var a in queue.GetConsumingEnumerable()) a(); }) { IsBackground = true, Name = "dispatcher" };
        Thread.Start();
    }

    public override void Post(SendOrPostCallback d, object state) { queue.Add(() => d(state)); }
    public override void Send(SendOrPostCallback d, object state) { throw new NotSupportedException(); }
}

// Seen is what a client raised, in order, each checked to have come on
// the dispatcher's thread.
sealed class Seen
{
    readonly BlockingCollection<string> seen = new BlockingCollection<string>();
    readonly DispatcherContext dispatcher;

    public Seen(DispatcherContext dispatcher) { this.dispatcher = dispatcher; }

    // Watch makes a client whose events are captured on the dispatcher
    // (as a UI thread's client is) and records every event it raises.
    public DesktopClient Watch(DesktopClientOptions options)
    {
        SynchronizationContext.SetSynchronizationContext(dispatcher);
        var client = new DesktopClient(options);
        SynchronizationContext.SetSynchronizationContext(null);
        client.ConnectionChanged += (s, e) => Saw("connection " + e.Connected);
        client.Attached += (s, e) => Saw("attached " + e.Agent.Id + " " + e.Agent.Extension + " " + e.Functions.Count);
        client.Detached += (s, e) => Saw("detached " + e.Reason);
        client.Interaction += (s, e) => Saw("interaction " + e.Event + " " + Json.Write(e.Params));
        return client;
    }

    void Saw(string what)
    {
        if (Thread.CurrentThread != dispatcher.Thread) what = "WRONG-THREAD " + what;
        seen.Add(what);
    }

    // Next is the next event that starts with prefix, skipping others.
    public string Next(string prefix)
    {
        string s;
        while (seen.TryTake(out s, 20000))
        {
            if (s.StartsWith("WRONG-THREAD")) Fail("an event came on another thread than the dispatcher's: " + s);
            if (s.StartsWith(prefix)) return s;
        }
        Fail("no " + prefix + " within 20 s");
        return null;
    }

    public static void Fail(string why)
    {
        Console.WriteLine("FAIL " + why);
        Environment.Exit(1);
    }

    // Field is result[key] as a string, or null.
    public static string Field(object result, string key)
    {
        var d = result as Dictionary<string, object>;
        object v;
        return d != null && d.TryGetValue(key, out v) ? v as string : null;
    }
}
