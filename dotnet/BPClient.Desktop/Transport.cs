using System;
using System.IO;
using System.IO.Pipes;
using System.Net;
using System.Net.Sockets;
using System.Security.Principal;
using System.Text;

namespace BPClient.Desktop
{
    /// <summary>
    /// The agent's endpoint and its framing: a Unix socket on Linux and
    /// macOS, the user's named pipe on Windows; each frame a 4-byte
    /// native-endian length and that much UTF-8 JSON (docs/API.md).
    /// </summary>
    internal static class Transport
    {
        /// <summary>Frames over this size are refused (the agent's limit).</summary>
        internal const int MaxFrame = 1 << 20;

        static bool IsWindows
        {
            get { return Environment.OSVersion.Platform == PlatformID.Win32NT; }
        }

        /// <summary>This user's agent endpoint, as the agent computes it.</summary>
        internal static string DefaultAddress()
        {
            if (IsWindows) return @"\\.\pipe\bpclient-" + WindowsIdentity.GetCurrent().User.Value;
            string dir = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
            if (IsMac())
            {
                string tmp = Environment.GetEnvironmentVariable("TMPDIR");
                return string.IsNullOrEmpty(tmp)
                    ? Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? "", "Library/Caches/BPClient/run/agent.sock")
                    : Path.Combine(tmp, "bpclient/agent.sock");
            }
            if (!string.IsNullOrEmpty(dir)) return Path.Combine(dir, "bpclient/agent.sock");
            string cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (string.IsNullOrEmpty(cache)) cache = Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? "", ".cache");
            return Path.Combine(cache, "bpclient/run/agent.sock");
        }

        static bool IsMac()
        {
            // Mono reports macOS as Unix; its kernel's root folders tell.
            return Environment.OSVersion.Platform == PlatformID.MacOSX || Directory.Exists("/System/Library/CoreServices");
        }

        /// <summary>Connects to the agent at address within timeoutMs.</summary>
        internal static Stream Connect(string address, int timeoutMs)
        {
            if (address.StartsWith(@"\\.\pipe\", StringComparison.Ordinal))
            {
                var pipe = new NamedPipeClientStream(".", address.Substring(9), PipeDirection.InOut);
                pipe.Connect(timeoutMs);
                return pipe;
            }
            var sock = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                sock.Connect(new UnixSocketEndPoint(address));
            }
            catch
            {
                sock.Close();
                throw;
            }
            return new NetworkStream(sock, true);
        }

        internal static void WriteFrame(Stream s, string json)
        {
            byte[] body = Encoding.UTF8.GetBytes(json);
            if (body.Length > MaxFrame) throw new ArgumentException("frame of " + body.Length + " bytes is over the agent's limit");
            byte[] len = BitConverter.GetBytes((uint)body.Length); // native order, as the agent reads it
            var frame = new byte[4 + body.Length];
            Buffer.BlockCopy(len, 0, frame, 0, 4);
            Buffer.BlockCopy(body, 0, frame, 4, body.Length);
            s.Write(frame, 0, frame.Length);
            s.Flush();
        }

        /// <summary>Reads one frame; null at the end of the stream.</summary>
        internal static string ReadFrame(Stream s)
        {
            byte[] len = ReadExactly(s, 4);
            if (len == null) return null;
            uint n = BitConverter.ToUInt32(len, 0);
            if (n > MaxFrame) throw new IOException("the agent sent a frame of " + n + " bytes");
            byte[] body = ReadExactly(s, (int)n);
            if (body == null) return null;
            return Encoding.UTF8.GetString(body);
        }

        static byte[] ReadExactly(Stream s, int n)
        {
            var b = new byte[n];
            int off = 0;
            while (off < n)
            {
                int r = s.Read(b, off, n - off);
                if (r <= 0) return null;
                off += r;
            }
            return b;
        }
    }

    /// <summary>
    /// A Unix socket address for System.Net.Sockets: .NET Framework and
    /// Mono's System.dll have no UnixDomainSocketEndPoint, and Mono.Posix
    /// would be a second DLL to ship. sockaddr_un is the family in two
    /// bytes, then the path and a NUL.
    /// </summary>
    internal sealed class UnixSocketEndPoint : EndPoint
    {
        readonly string path;

        internal UnixSocketEndPoint(string path) { this.path = path; }

        public override AddressFamily AddressFamily { get { return AddressFamily.Unix; } }

        public override SocketAddress Serialize()
        {
            byte[] p = Encoding.UTF8.GetBytes(path);
            var sa = new SocketAddress(AddressFamily.Unix, 2 + p.Length + 1);
            for (int i = 0; i < p.Length; i++) sa[2 + i] = p[i];
            sa[2 + p.Length] = 0;
            return sa;
        }

        public override EndPoint Create(SocketAddress sa)
        {
            var b = new byte[sa.Size - 2];
            for (int i = 0; i < b.Length; i++) b[i] = sa[2 + i];
            int end = Array.IndexOf(b, (byte)0);
            return new UnixSocketEndPoint(Encoding.UTF8.GetString(b, 0, end < 0 ? b.Length : end));
        }

        public override string ToString() { return path; }
    }
}
