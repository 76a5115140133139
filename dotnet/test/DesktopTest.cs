// The .NET client's test program, run under mono by dotnet_test.go
// against the real agent with a fake Agent Desktop attached from Go. It
// talks to the Go test on stdout/stdin: it prints what it saw, and "restart"
// when the Go side should restart the agent; "PASS" at the end.
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

static class DesktopTest
{
    static readonly BlockingCollection<string> seen = new BlockingCollection<string>();
    static DispatcherContext dispatcher;

    static void Saw(string what)
    {
        if (Thread.CurrentThread != dispatcher.Thread) what = "WRONG-THREAD " + what;
        seen.Add(what);
    }

    static string Next(string prefix)
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

    static void Fail(string why)
    {
        Console.WriteLine("FAIL " + why);
        Environment.Exit(1);
    }

    static string Field(object result, string key)
    {
        var d = result as Dictionary<string, object>;
        object v;
        return d != null && d.TryGetValue(key, out v) ? v as string : null;
    }

    static int Main(string[] args)
    {
        dispatcher = new DispatcherContext();
        SynchronizationContext.SetSynchronizationContext(dispatcher);
        var client = new DesktopClient(new DesktopClientOptions { Name = "C# CRM", Version = "4.8", Address = args[0], RetryMs = 100 });
        SynchronizationContext.SetSynchronizationContext(null);
        client.ConnectionChanged += (s, e) => Saw("connection " + e.Connected);
        client.Attached += (s, e) => Saw("attached " + e.Agent.Id + " " + e.Agent.Extension + " " + e.Functions.Count);
        client.Detached += (s, e) => Saw("detached " + e.Reason);
        client.Interaction += (s, e) => Saw("interaction " + e.Event + " " + Json.Write(e.Params));

        Next("connection True");
        Console.WriteLine("connected");
        Next("attached n-1 3003 4");
        Console.WriteLine("attached");

        object r = client.MakeCallAsync("1002").Result;
        if (Field(r, "answered") != "makeCall") Fail("makeCall answered " + Json.Write(r));
        Next("interaction call.initiated {\"number\":\"1002\"}");
        Next("interaction call.released {\"number\":\"1002\"}");
        r = client.PauseRecordingAsync(true, false).Result;
        if (Field(r, "answered") != "pauseRecording") Fail("pauseRecording answered " + Json.Write(r));
        r = client.ResumeRecordingAsync(true, true).Result;
        if (Field(r, "answered") != "resumeRecording") Fail("resumeRecording answered " + Json.Write(r));
        Console.WriteLine("calls ok");

        Console.WriteLine("restart");
        Next("connection False");
        try
        {
            client.MakeCallAsync("1").Wait();
            Fail("a call while the agent is away succeeded");
        }
        catch (AggregateException e)
        {
            var de = e.InnerException as DesktopApiException;
            if (de == null || de.Code != DesktopApiException.NotConnected) Fail("while away: " + e.InnerException);
        }
        Next("connection True");
        Next("attached n-2");
        r = client.MakeCallAsync("2002").Result;
        if (Field(r, "answered") != "makeCall") Fail("makeCall after restart answered " + Json.Write(r));
        Console.WriteLine("reconnected");

        Console.WriteLine("detach");
        Next("detached session-ended");
        try
        {
            client.StatusAsync().Wait();
            Fail("status with no page attached succeeded");
        }
        catch (AggregateException e)
        {
            var de = e.InnerException as DesktopApiException;
            if (de == null || de.Code != DesktopApiException.NoSession || de.Reason != "not-attached") Fail("no page: " + e.InnerException);
        }
        client.Dispose();
        Console.WriteLine("PASS");
        return 0;
    }
}
