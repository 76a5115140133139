// The .NET client against the real Agent Desktop page: run under mono by
// internal/e2e's TestDotNetClientWithDemoPage, with the demo page
// (bpclient.js attachDesktop) in headless Chromium as the provider,
// through the real extension, host and agent. It prints what it waits
// for, and the Go test acts on the page: "connected" (attach the page),
// "call ID" (release that interaction), "reload" (reload the page),
// "detached" (attach the reloaded page); "PASS" at the end.
using System;
using System.Collections.Generic;
using BPClient.Desktop;

static class PageTest
{
    static Seen seen;
    static string Next(string prefix) { return seen.Next(prefix); }
    static void Fail(string why) { Seen.Fail(why); }

    static object Flag(object result, string key)
    {
        var d = result as Dictionary<string, object>;
        object v;
        return d != null && d.TryGetValue(key, out v) ? v : null;
    }

    static int Main(string[] args)
    {
        seen = new Seen(new DispatcherContext());
        var client = seen.Watch(new DesktopClientOptions { Name = "C# page test", Version = "1.0", Address = args[0], RetryMs = 100 });

        Next("connection True");
        Console.WriteLine("connected");
        Next("attached a-9 1009 4");

        // The page answers with its interaction; its call.initiated,
        // published before the answer, comes on the dispatcher.
        object r = client.MakeCallAsync("1002").Result;
        string id = Seen.Field(r, "interactionId");
        if (string.IsNullOrEmpty(id)) Fail("makeCall answered " + Json.Write(r));
        Next("interaction call.initiated {\"interactionId\":\"" + id + "\",\"number\":\"1002\"");
        Console.WriteLine("call " + id);
        Next("interaction call.released {\"interactionId\":\"" + id + "\"}");

        r = client.PauseRecordingAsync(true, false).Result;
        if (!false.Equals(Flag(r, "voice")) || !true.Equals(Flag(r, "screen"))) Fail("pauseRecording answered " + Json.Write(r));
        Next("interaction recording.paused {\"voice\":true,\"screen\":false}");
        r = client.ResumeRecordingAsync(true, false).Result;
        if (!true.Equals(Flag(r, "voice"))) Fail("resumeRecording answered " + Json.Write(r));
        Next("interaction recording.resumed");
        Console.WriteLine("calls ok");

        // The agent logs in again after a reload: a new page, a new session.
        Console.WriteLine("reload");
        Next("detached session-ended");
        Console.WriteLine("detached");
        Next("attached a-9 1009 4");
        r = client.MakeCallAsync("1003").Result;
        if (Seen.Field(r, "interactionId") != "i1") Fail("makeCall to the reloaded page answered " + Json.Write(r));
        Next("interaction call.initiated {\"interactionId\":\"i1\",\"number\":\"1003\"");
        client.Dispose();
        Console.WriteLine("PASS");
        return 0;
    }
}
