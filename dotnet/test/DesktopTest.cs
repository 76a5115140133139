// The .NET client's test program, run under mono by dotnet_test.go
// against the real agent with a fake Agent Desktop attached from Go. It
// talks to the Go test on stdout/stdin: it prints what it saw, and "restart"
// when the Go side should restart the agent; "PASS" at the end. Its
// dispatcher and event log are TestSupport.cs's.
using System;
using BPClient.Desktop;

static class DesktopTest
{
    static Seen seen;
    static string Next(string prefix) { return seen.Next(prefix); }
    static void Fail(string why) { Seen.Fail(why); }
    static string Field(object result, string key) { return Seen.Field(result, key); }

    static int Main(string[] args)
    {
        seen = new Seen(new DispatcherContext());
        var client = seen.Watch(new DesktopClientOptions { Name = "C# CRM", Version = "4.8", Address = args[0], RetryMs = 100 });

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
