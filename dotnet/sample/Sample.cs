// A small desktop application using BPClient.Desktop: it waits for the
// agent to log in to the Agent Desktop, prints the interaction events and
// calls the number given on the command line.
//
//   mono Sample.exe 1002
using System;
using System.Threading;
using BPClient.Desktop;

static class Sample
{
    static int Main(string[] args)
    {
        var attached = new ManualResetEvent(false);
        // A console program has no UI thread: events come on the library's.
        using (var client = new DesktopClient(new DesktopClientOptions { Name = "BPClient sample", Version = "1.0" }))
        {
            client.ConnectionChanged += (s, e) => Console.WriteLine(e.Connected ? "connected to the agent" : "agent gone; reconnecting");
            client.Attached += (s, e) => { Console.WriteLine("Agent Desktop: " + e.Agent.Name + " (" + e.Agent.Extension + ")"); attached.Set(); };
            client.Detached += (s, e) => Console.WriteLine("Agent Desktop detached: " + e.Reason);
            client.Interaction += (s, e) => Console.WriteLine(e.Event + " " + Json.Write(e.Params));
            Console.WriteLine("waiting for the Agent Desktop…");
            if (!attached.WaitOne(TimeSpan.FromMinutes(5))) return 1;
            if (args.Length > 0)
            {
                try
                {
                    Console.WriteLine("makeCall: " + Json.Write(client.MakeCallAsync(args[0]).Result));
                }
                catch (AggregateException e)
                {
                    Console.WriteLine("makeCall refused: " + e.InnerException.Message);
                }
            }
            Console.WriteLine("press Enter to quit");
            Console.ReadLine();
        }
        return 0;
    }
}
