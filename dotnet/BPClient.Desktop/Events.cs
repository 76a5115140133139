using System;
using System.Collections.Generic;

namespace BPClient.Desktop
{
    /// <summary>Who is logged in to the Agent Desktop.</summary>
    public sealed class AgentInfo
    {
        /// <summary>The agent's id in the contact center.</summary>
        public string Id { get; internal set; }
        /// <summary>The agent's name.</summary>
        public string Name { get; internal set; }
        /// <summary>The agent's phone extension.</summary>
        public string Extension { get; internal set; }

        internal static AgentInfo From(object v)
        {
            var d = v as Dictionary<string, object>;
            if (d == null) return null;
            return new AgentInfo { Id = Str(d, "id"), Name = Str(d, "name"), Extension = Str(d, "extension") };
        }

        internal static string Str(Dictionary<string, object> d, string key)
        {
            object v;
            return d.TryGetValue(key, out v) ? v as string : null;
        }
    }

    /// <summary>The client reached the agent, or lost it and is reconnecting.</summary>
    public sealed class ConnectionEventArgs : EventArgs
    {
        /// <summary>True once connected and the hello was answered.</summary>
        public bool Connected { get; internal set; }
    }

    /// <summary>An Agent Desktop page attached (also raised after each connection when one is).</summary>
    public sealed class AttachedEventArgs : EventArgs
    {
        /// <summary>Who is logged in.</summary>
        public AgentInfo Agent { get; internal set; }
        /// <summary>What the page answers: makeCall, pauseRecording, resumeRecording, status.</summary>
        public IList<string> Functions { get; internal set; }
    }

    /// <summary>The page detached: "detached" or "session-ended".</summary>
    public sealed class DetachedEventArgs : EventArgs
    {
        /// <summary>Why.</summary>
        public string Reason { get; internal set; }
    }

    /// <summary>
    /// An interaction event the Agent Desktop published: call.initiated,
    /// call.incoming, call.released, recording.started, recording.stopped,
    /// recording.paused or recording.resumed.
    /// </summary>
    public sealed class InteractionEventArgs : EventArgs
    {
        /// <summary>The event's name.</summary>
        public string Event { get; internal set; }
        /// <summary>Its params as parsed JSON (see <see cref="Json"/>).</summary>
        public Dictionary<string, object> Params { get; internal set; }
    }

    /// <summary>One of the helper's own softphone events (docs/API.md).</summary>
    public sealed class HelperEventArgs : EventArgs
    {
        /// <summary>The event's name: registration.state, call.state, quality.report, ...</summary>
        public string Method { get; internal set; }
        /// <summary>Its params as parsed JSON.</summary>
        public object Params { get; internal set; }
    }

    /// <summary>Whether an Agent Desktop is attached, and who is logged in.</summary>
    public sealed class DesktopSession
    {
        /// <summary>True while a page is attached.</summary>
        public bool Attached { get; internal set; }
        /// <summary>The agent, when attached.</summary>
        public AgentInfo Agent { get; internal set; }
        /// <summary>What the page answers.</summary>
        public IList<string> Functions { get; internal set; }

        internal static DesktopSession From(object v)
        {
            var d = v as Dictionary<string, object> ?? new Dictionary<string, object>();
            object a, f;
            var s = new DesktopSession { Functions = new List<string>() };
            s.Attached = d.TryGetValue("attached", out a) && a is bool && (bool)a;
            if (d.TryGetValue("agent", out a)) s.Agent = AgentInfo.From(a);
            var list = d.TryGetValue("functions", out f) ? f as List<object> : null;
            if (list != null) foreach (var x in list) if (x is string) s.Functions.Add((string)x);
            return s;
        }
    }

    /// <summary>
    /// A refused request: the agent's or the Agent Desktop page's error.
    /// Code -32012 (<see cref="NoSession"/>) means no Agent Desktop could
    /// answer; <see cref="Reason"/> says why.
    /// </summary>
    public class DesktopApiException : Exception
    {
        /// <summary>"No Agent Desktop session" (docs/DESKTOP-API.md).</summary>
        public const int NoSession = -32012;
        /// <summary>The client is not connected to the agent (no JSON-RPC code of the agent's).</summary>
        public const int NotConnected = -1;

        /// <summary>The JSON-RPC error code.</summary>
        public int Code { get; private set; }
        /// <summary>data.reason, when the error has one: not-attached, timeout, provider-left, not-offered, ...</summary>
        public string Reason { get; private set; }
        /// <summary>The error's data as parsed JSON, or null.</summary>
        public object ErrorData { get; private set; }

        /// <summary>Makes the exception.</summary>
        public DesktopApiException(int code, string message, object data) : base(message)
        {
            Code = code;
            ErrorData = data;
            var d = data as Dictionary<string, object>;
            if (d != null) Reason = AgentInfo.Str(d, "reason");
        }
    }
}
