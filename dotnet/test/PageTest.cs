// The .NET client against the real Agent Desktop page: run under mono by
// internal/e2e's TestDotNetClientWithDemoPage, with the demo page
// (bpclient.js attachDesktop) in headless Chromium as the provider,
// through the real extension, host and agent, its softphone registered
// with Kamailio where baresip answers. It prints what it waits for, and
// the Go test acts on the page: "connected" (attach the page), "call ID"
// (let the softphone's call carry media, then hang it up), "reload"
// (reload the page), "detached" (attach the reloaded page), "close"
// (close the page); "PASS" at the end.
using System;
using System.Collections.Generic;
using BPClient.Desktop;

static class PageTest
{
    static Seen seen;
    static string Next(string prefix) { return seen.Next(prefix); }
    static void Fail(string why) { Seen.Fail(why); }

    // NextInteraction is the next interaction event, which must be
    // exactly want ("event params"): one out of order fails.
    static void NextInteraction(string want)
    {
        string got = Next("interaction ");
        if (got != "interaction " + want) Fail("got " + got + ", want interaction " + want);
    }

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

        // The page places the call through its softphone and answers with
        // the interaction and the softphone's call; call.initiated comes
        // once the call is up, call.released once the page hung up, in
        // this order, on the dispatcher.
        object r = client.MakeCallAsync("1002").Result;
        string id = Seen.Field(r, "interactionId"), callId = Seen.Field(r, "callId");
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(callId)) Fail("makeCall answered " + Json.Write(r));
        string call = "{\"interactionId\":\"" + id + "\",";
        NextInteraction("call.initiated " + call + "\"number\":\"1002\",\"callId\":\"" + callId + "\",\"codec\":\"PCMU\"}");
        Console.WriteLine("call " + id);
        NextInteraction("call.released " + call + "\"callId\":\"" + callId + "\",\"reason\":\"local hangup\"}");

        r = client.PauseRecordingAsync(true, false).Result;
        if (!false.Equals(Flag(r, "voice")) || !true.Equals(Flag(r, "screen"))) Fail("pauseRecording answered " + Json.Write(r));
        NextInteraction("recording.paused {\"voice\":true,\"screen\":false}");
        r = client.ResumeRecordingAsync(true, false).Result;
        if (!true.Equals(Flag(r, "voice"))) Fail("resumeRecording answered " + Json.Write(r));
        NextInteraction("recording.resumed {\"voice\":true,\"screen\":false}");
        Console.WriteLine("calls ok");

        // The agent logs in again after a reload: a new page, a new session,
        // whose softphone is not registered (the page hung up and
        // unregistered it), so it stands in for the contact center's call.
        Console.WriteLine("reload");
        Next("detached session-ended");
        Console.WriteLine("detached");
        Next("attached a-9 1009 4");
        r = client.MakeCallAsync("1003").Result;
        if (Seen.Field(r, "interactionId") != "i1") Fail("makeCall to the reloaded page answered " + Json.Write(r));
        NextInteraction("call.initiated {\"interactionId\":\"i1\",\"number\":\"1003\",\"callId\":null}");

        // The agent closes the Agent Desktop.
        Console.WriteLine("close");
        Next("detached session-ended");
        client.Dispose();
        Console.WriteLine("PASS");
        return 0;
    }
}
