using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace BPClient.Desktop
{
    /// <summary>Settings of a <see cref="DesktopClient"/>.</summary>
    public sealed class DesktopClientOptions
    {
        /// <summary>The application's name, shown to the Agent Desktop (required, at most 128 bytes).</summary>
        public string Name { get; set; }
        /// <summary>The application's version.</summary>
        public string Version { get; set; }
        /// <summary>The agent's endpoint; null is this user's (socket or named pipe).</summary>
        public string Address { get; set; }
        /// <summary>
        /// Raise events on the library's own event thread instead of the
        /// SynchronizationContext captured when the client was made (the UI
        /// thread). Without a context (a console app) they are raised on
        /// the library's thread anyway.
        /// </summary>
        public bool RaiseEventsOnLibraryThread { get; set; }
        /// <summary>How long a request waits for its answer (ms); the agent's own timeout is 15 s.</summary>
        public int RequestTimeoutMs { get; set; }
        /// <summary>First wait between reconnect attempts (ms); it doubles up to MaxRetryMs.</summary>
        public int RetryMs { get; set; }
        /// <summary>Longest wait between reconnect attempts (ms).</summary>
        public int MaxRetryMs { get; set; }

        /// <summary>Defaults: 30 s requests, 500 ms to 5 s between reconnects.</summary>
        public DesktopClientOptions()
        {
            RequestTimeoutMs = 30000;
            RetryMs = 500;
            MaxRetryMs = 5000;
        }
    }

    /// <summary>
    /// A desktop application's connection to the bpclient agent, and
    /// through it to the Agent Desktop (docs/DESKTOP-API.md). It connects
    /// in the background, reconnects when the agent restarts, and raises
    /// its events in order on the captured SynchronizationContext.
    /// Methods may be called from any thread. Dispose it to disconnect.
    /// </summary>
    public sealed class DesktopClient : IDisposable
    {
        readonly DesktopClientOptions opts;
        readonly string address;
        readonly SynchronizationContext context;
        readonly Thread connThread;
        readonly Thread eventThread;
        readonly BlockingCollection<Action> eventQueue = new BlockingCollection<Action>();
        readonly ManualResetEvent disposed = new ManualResetEvent(false);
        readonly object gate = new object();
        readonly Dictionary<long, TaskCompletionSource<object>> pending = new Dictionary<long, TaskCompletionSource<object>>();
        Stream stream; // null while disconnected
        long nextId;
        bool isDisposed;

        /// <summary>Raised when the connection to the agent comes or goes.</summary>
        public event EventHandler<ConnectionEventArgs> ConnectionChanged;
        /// <summary>Raised when an Agent Desktop attaches (and after each connection if one is attached).</summary>
        public event EventHandler<AttachedEventArgs> Attached;
        /// <summary>Raised when the Agent Desktop detaches or closes.</summary>
        public event EventHandler<DetachedEventArgs> Detached;
        /// <summary>Raised for each interaction event the Agent Desktop publishes.</summary>
        public event EventHandler<InteractionEventArgs> Interaction;
        /// <summary>Raised for the helper's own softphone events.</summary>
        public event EventHandler<HelperEventArgs> HelperEvent;

        /// <summary>Starts connecting; watch <see cref="ConnectionChanged"/>.</summary>
        public DesktopClient(DesktopClientOptions options)
        {
            if (options == null || string.IsNullOrEmpty(options.Name)) throw new ArgumentException("DesktopClientOptions.Name is required");
            opts = options;
            address = options.Address ?? Transport.DefaultAddress();
            if (!options.RaiseEventsOnLibraryThread) context = SynchronizationContext.Current;
            eventThread = new Thread(RunEvents) { IsBackground = true, Name = "BPClient.Desktop events" };
            eventThread.Start();
            connThread = new Thread(RunConnection) { IsBackground = true, Name = "BPClient.Desktop connection" };
            connThread.Start();
        }

        /// <summary>True while connected to the agent.</summary>
        public bool IsConnected
        {
            get { lock (gate) return stream != null; }
        }

        /// <summary>Asks the Agent Desktop to call number; completes with the page's answer.</summary>
        public Task<object> MakeCallAsync(string number)
        {
            return Request("desktop.makeCall", new Dictionary<string, object> { { "number", number } });
        }

        /// <summary>Asks the Agent Desktop to pause voice and/or screen recording.</summary>
        public Task<object> PauseRecordingAsync(bool voice, bool screen)
        {
            return Request("desktop.pauseRecording", new Dictionary<string, object> { { "voice", voice }, { "screen", screen } });
        }

        /// <summary>Asks the Agent Desktop to resume voice and/or screen recording.</summary>
        public Task<object> ResumeRecordingAsync(bool voice, bool screen)
        {
            return Request("desktop.resumeRecording", new Dictionary<string, object> { { "voice", voice }, { "screen", screen } });
        }

        /// <summary>Asks the Agent Desktop for its status; completes with the page's answer.</summary>
        public Task<object> StatusAsync()
        {
            return Request("desktop.status", null);
        }

        /// <summary>Asks the agent whether an Agent Desktop is attached.</summary>
        public Task<DesktopSession> SessionAsync()
        {
            return Request("desktop.session", null).ContinueWith(t => DesktopSession.From(t.Result), TaskContinuationOptions.OnlyOnRanToCompletion);
        }

        Task<object> Request(string method, object parameters)
        {
            var tcs = new TaskCompletionSource<object>();
            long id;
            Stream s;
            lock (gate)
            {
                if (isDisposed) throw new ObjectDisposedException("DesktopClient");
                s = stream;
                if (s == null)
                {
                    tcs.SetException(new DesktopApiException(DesktopApiException.NotConnected, "not connected to the bpclient agent", null));
                    return tcs.Task;
                }
                id = ++nextId;
                pending[id] = tcs;
            }
            var msg = new Dictionary<string, object> { { "jsonrpc", "2.0" }, { "id", id }, { "method", method } };
            if (parameters != null) msg["params"] = parameters;
            try
            {
                lock (s) Transport.WriteFrame(s, Json.Write(msg));
            }
            catch (Exception e)
            {
                Settle(id, null, new DesktopApiException(DesktopApiException.NotConnected, "not connected to the bpclient agent: " + e.Message, null));
            }
            Task.Delay(opts.RequestTimeoutMs).ContinueWith(_ =>
                Settle(id, null, new DesktopApiException(DesktopApiException.NotConnected, method + ": no answer within " + opts.RequestTimeoutMs + " ms", null)));
            return tcs.Task;
        }

        // Settle completes a request once, off the connection thread, so
        // that an awaiting continuation cannot stall the reading.
        void Settle(long id, object result, Exception error)
        {
            TaskCompletionSource<object> tcs;
            lock (gate)
            {
                if (!pending.TryGetValue(id, out tcs)) return;
                pending.Remove(id);
            }
            ThreadPool.QueueUserWorkItem(_ =>
            {
                if (error != null) tcs.TrySetException(error);
                else tcs.TrySetResult(result);
            });
        }

        void RunConnection()
        {
            int wait = opts.RetryMs;
            while (!disposed.WaitOne(0))
            {
                Stream s = null;
                try
                {
                    s = Transport.Connect(address, 5000);
                    Hello(s);
                }
                catch (Exception)
                {
                    if (s != null) s.Dispose();
                    if (disposed.WaitOne(wait)) return;
                    wait = Math.Min(wait * 2, opts.MaxRetryMs);
                    continue;
                }
                wait = opts.RetryMs;
                lock (gate)
                {
                    if (isDisposed) { s.Dispose(); return; }
                    stream = s;
                }
                Raise(ConnectionChanged, new ConnectionEventArgs { Connected = true });
                AnnounceSession();
                ReadUntilClosed(s);
                lock (gate) stream = null;
                s.Dispose();
                FailPending();
                if (disposed.WaitOne(0)) return;
                Raise(ConnectionChanged, new ConnectionEventArgs { Connected = false });
                if (disposed.WaitOne(wait)) return;
            }
        }

        void Hello(Stream s)
        {
            var hello = new Dictionary<string, object> {
                { "jsonrpc", "2.0" }, { "id", 0 }, { "method", "helper.hello" },
                { "params", new Dictionary<string, object> { { "client", opts.Name }, { "clientVersion", opts.Version ?? "" }, { "desktopApp", true } } },
            };
            Transport.WriteFrame(s, Json.Write(hello));
            while (true)
            {
                string frame = Transport.ReadFrame(s);
                if (frame == null) throw new IOException("the agent closed the connection during hello");
                var msg = Json.Parse(frame) as Dictionary<string, object>;
                if (msg == null || msg.ContainsKey("method")) continue; // an event before the answer
                object err;
                if (msg.TryGetValue("error", out err)) throw new IOException("hello refused: " + Json.Write(err));
                return;
            }
        }

        // AnnounceSession tells the application, after each connection,
        // whether a page is attached: the changes it missed are gone.
        void AnnounceSession()
        {
            Request("desktop.session", null).ContinueWith(t =>
            {
                if (t.Status != TaskStatus.RanToCompletion) return;
                var s = DesktopSession.From(t.Result);
                if (s.Attached && s.Agent != null) Raise(Attached, new AttachedEventArgs { Agent = s.Agent, Functions = s.Functions });
            });
        }

        void ReadUntilClosed(Stream s)
        {
            while (true)
            {
                string frame;
                try
                {
                    frame = Transport.ReadFrame(s);
                }
                catch (Exception)
                {
                    return;
                }
                if (frame == null) return;
                Dictionary<string, object> msg;
                try
                {
                    msg = Json.Parse(frame) as Dictionary<string, object>;
                }
                catch (FormatException)
                {
                    continue;
                }
                if (msg != null) Dispatch(msg);
            }
        }

        void Dispatch(Dictionary<string, object> msg)
        {
            object m, id, p;
            msg.TryGetValue("params", out p);
            if (msg.TryGetValue("method", out m) && m is string)
            {
                OnEvent((string)m, p);
                return;
            }
            if (!msg.TryGetValue("id", out id) || !(id is double)) return;
            object err, result;
            if (msg.TryGetValue("error", out err))
            {
                var e = err as Dictionary<string, object> ?? new Dictionary<string, object>();
                object code, data;
                e.TryGetValue("code", out code);
                e.TryGetValue("data", out data);
                Settle((long)(double)id, null, new DesktopApiException(code is double ? (int)(double)code : 0, AgentInfo.Str(e, "message") ?? "error", data));
                return;
            }
            msg.TryGetValue("result", out result);
            Settle((long)(double)id, result, null);
        }

        void OnEvent(string method, object p)
        {
            var d = p as Dictionary<string, object> ?? new Dictionary<string, object>();
            switch (method)
            {
                case "desktop.attached":
                    var s = DesktopSession.From(d);
                    if (s.Agent != null) Raise(Attached, new AttachedEventArgs { Agent = s.Agent, Functions = s.Functions });
                    return;
                case "desktop.detached":
                    Raise(Detached, new DetachedEventArgs { Reason = AgentInfo.Str(d, "reason") });
                    return;
                case "desktop.event":
                    object ps;
                    d.TryGetValue("params", out ps);
                    Raise(Interaction, new InteractionEventArgs { Event = AgentInfo.Str(d, "event"), Params = ps as Dictionary<string, object> ?? new Dictionary<string, object>() });
                    return;
            }
            foreach (var prefix in new[] { "phone.", "registration.", "call.", "quality.", "network." })
            {
                if (method.StartsWith(prefix, StringComparison.Ordinal))
                {
                    Raise(HelperEvent, new HelperEventArgs { Method = method, Params = p });
                    return;
                }
            }
        }

        void FailPending()
        {
            List<long> ids;
            lock (gate) ids = new List<long>(pending.Keys);
            foreach (var id in ids)
                Settle(id, null, new DesktopApiException(DesktopApiException.NotConnected, "the connection to the bpclient agent was lost", null));
        }

        // Raise hands an event to the captured context, or to the
        // library's event thread; either keeps the order they came in.
        void Raise<T>(EventHandler<T> handler, T args) where T : EventArgs
        {
            Action call = () =>
            {
                var h = handler;
                if (h != null) h(this, args);
            };
            // The handler list is read when the event is raised, not queued.
            if (handler == null) return;
            if (context != null) context.Post(_ => call(), null);
            else
            {
                try { eventQueue.Add(call); } catch (InvalidOperationException) { } // disposed
            }
        }

        void RunEvents()
        {
            foreach (var call in eventQueue.GetConsumingEnumerable())
            {
                try { call(); }
                catch (Exception e) { Console.Error.WriteLine("BPClient.Desktop: an event handler threw: " + e); }
            }
        }

        /// <summary>Disconnects and stops reconnecting; requests in flight fail.</summary>
        public void Dispose()
        {
            Stream s;
            lock (gate)
            {
                if (isDisposed) return;
                isDisposed = true;
                s = stream;
            }
            disposed.Set();
            if (s != null) s.Dispose();
            connThread.Join(5000);
            FailPending();
            eventQueue.CompleteAdding();
            if (Thread.CurrentThread != eventThread) eventThread.Join(5000);
        }
    }
}
