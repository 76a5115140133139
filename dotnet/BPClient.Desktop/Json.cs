// Written by hand: .NET Framework 4.x has no general JSON reader in its
// base library (DataContractJsonSerializer needs fixed contracts, and the
// Agent Desktop's answers are free-form), and the DLL must ship without
// third-party dependencies. This is RFC 8259 JSON into plain objects.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace BPClient.Desktop
{
    /// <summary>
    /// Minimal JSON: <see cref="Parse"/> gives a tree of
    /// <c>Dictionary&lt;string, object&gt;</c>, <c>List&lt;object&gt;</c>,
    /// <c>string</c>, <c>double</c>, <c>bool</c> and <c>null</c>;
    /// <see cref="Write"/> encodes such a tree (and integers).
    /// </summary>
    public static class Json
    {
        /// <summary>The deepest nesting Parse accepts.</summary>
        public const int MaxDepth = 64;

        /// <summary>Parses one JSON value; throws FormatException on bad input.</summary>
        public static object Parse(string text)
        {
            int i = 0;
            object v = Value(text, ref i, 0);
            Space(text, ref i);
            if (i != text.Length) throw new FormatException("JSON: trailing characters at " + i);
            return v;
        }

        static void Space(string s, ref int i)
        {
            while (i < s.Length && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
        }

        static object Value(string s, ref int i, int depth)
        {
            if (depth > MaxDepth) throw new FormatException("JSON: nested deeper than " + MaxDepth);
            Space(s, ref i);
            if (i >= s.Length) throw new FormatException("JSON: unexpected end");
            char c = s[i];
            if (c == '{')
            {
                var o = new Dictionary<string, object>();
                i++;
                Space(s, ref i);
                if (i < s.Length && s[i] == '}') { i++; return o; }
                while (true)
                {
                    Space(s, ref i);
                    if (i >= s.Length || s[i] != '"') throw new FormatException("JSON: key expected at " + i);
                    string k = Str(s, ref i);
                    Space(s, ref i);
                    Expect(s, ref i, ':');
                    o[k] = Value(s, ref i, depth + 1);
                    Space(s, ref i);
                    if (i < s.Length && s[i] == ',') { i++; continue; }
                    Expect(s, ref i, '}');
                    return o;
                }
            }
            if (c == '[')
            {
                var a = new List<object>();
                i++;
                Space(s, ref i);
                if (i < s.Length && s[i] == ']') { i++; return a; }
                while (true)
                {
                    a.Add(Value(s, ref i, depth + 1));
                    Space(s, ref i);
                    if (i < s.Length && s[i] == ',') { i++; continue; }
                    Expect(s, ref i, ']');
                    return a;
                }
            }
            if (c == '"') return Str(s, ref i);
            if (Word(s, ref i, "true")) return true;
            if (Word(s, ref i, "false")) return false;
            if (Word(s, ref i, "null")) return null;
            int start = i;
            while (i < s.Length && "+-0123456789.eE".IndexOf(s[i]) >= 0) i++;
            double d;
            if (i == start || !double.TryParse(s.Substring(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out d))
                throw new FormatException("JSON: bad value at " + start);
            return d;
        }

        static bool Word(string s, ref int i, string w)
        {
            if (string.CompareOrdinal(s, i, w, 0, w.Length) != 0) return false;
            i += w.Length;
            return true;
        }

        static void Expect(string s, ref int i, char c)
        {
            if (i >= s.Length || s[i] != c) throw new FormatException("JSON: '" + c + "' expected at " + i);
            i++;
        }

        static string Str(string s, ref int i)
        {
            var b = new StringBuilder();
            i++; // the opening quote
            while (true)
            {
                if (i >= s.Length) throw new FormatException("JSON: unterminated string");
                char c = s[i++];
                if (c == '"') return b.ToString();
                if (c != '\\') { b.Append(c); continue; }
                if (i >= s.Length) throw new FormatException("JSON: unterminated escape");
                char e = s[i++];
                switch (e)
                {
                    case '"': b.Append('"'); break;
                    case '\\': b.Append('\\'); break;
                    case '/': b.Append('/'); break;
                    case 'b': b.Append('\b'); break;
                    case 'f': b.Append('\f'); break;
                    case 'n': b.Append('\n'); break;
                    case 'r': b.Append('\r'); break;
                    case 't': b.Append('\t'); break;
                    case 'u':
                        if (i + 4 > s.Length) throw new FormatException("JSON: short \\u escape");
                        b.Append((char)int.Parse(s.Substring(i, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                        i += 4;
                        break;
                    default: throw new FormatException("JSON: bad escape \\" + e);
                }
            }
        }

        /// <summary>Encodes a tree of dictionaries, lists, strings, numbers, bools and nulls.</summary>
        public static string Write(object v)
        {
            var b = new StringBuilder();
            WriteTo(b, v);
            return b.ToString();
        }

        static void WriteTo(StringBuilder b, object v)
        {
            if (v == null) { b.Append("null"); return; }
            if (v is string) { Quote(b, (string)v); return; }
            if (v is bool) { b.Append((bool)v ? "true" : "false"); return; }
            if (v is int || v is long) { b.Append(Convert.ToInt64(v).ToString(CultureInfo.InvariantCulture)); return; }
            if (v is double) { b.Append(((double)v).ToString("R", CultureInfo.InvariantCulture)); return; }
            var dict = v as IDictionary<string, object>;
            if (dict != null)
            {
                b.Append('{');
                bool first = true;
                foreach (var kv in dict)
                {
                    if (!first) b.Append(',');
                    first = false;
                    Quote(b, kv.Key);
                    b.Append(':');
                    WriteTo(b, kv.Value);
                }
                b.Append('}');
                return;
            }
            var list = v as System.Collections.IEnumerable;
            if (list != null)
            {
                b.Append('[');
                bool first = true;
                foreach (var e in list)
                {
                    if (!first) b.Append(',');
                    first = false;
                    WriteTo(b, e);
                }
                b.Append(']');
                return;
            }
            throw new ArgumentException("JSON: cannot encode " + v.GetType());
        }

        static void Quote(StringBuilder b, string s)
        {
            b.Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': b.Append("\\\""); break;
                    case '\\': b.Append("\\\\"); break;
                    case '\n': b.Append("\\n"); break;
                    case '\r': b.Append("\\r"); break;
                    case '\t': b.Append("\\t"); break;
                    default:
                        if (c < 0x20) b.Append("\\u").Append(((int)c).ToString("x4"));
                        else b.Append(c);
                        break;
                }
            }
            b.Append('"');
        }
    }
}
