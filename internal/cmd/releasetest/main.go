// Command releasetest holds the small checks scripts/test-release.sh needs
// that a shell does badly:
//
//	releasetest hello [-timeout D] -- CMD [ARGS...]
//	    starts CMD (a native-messaging host, e.g. under wine), sends a
//	    helper.hello frame on its stdin, and prints the helperVersion of
//	    the answer; stdin stays open until the answer arrives
//	releasetest jsoneq A B
//	    exits 0 when the two files hold equal JSON values
//	releasetest xmlok FILE...
//	    exits 0 when every file is well-formed XML
//	releasetest knowndlls EXE...
//	    prints each Windows exe's statically imported DLLs and exits 0
//	    when all are KnownDLLs (or API sets), which Windows loads from
//	    System32 only; any other would be looked for first in the exe's
//	    own folder, which a per-user install lets the user write to
//	releasetest desktopsample -agent BPCLIENT -- CMD [ARGS...]
//	    runs an installed desktop-API sample against a real agent with a
//	    fake Agent Desktop attached (desktopsample.go)
package main

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "releasetest:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: releasetest hello|jsoneq ...")
	}
	switch args[0] {
	case "hello":
		return hello(args[1:])
	case "jsoneq":
		return jsonEq(args[1:])
	case "xmlok":
		return xmlOK(args[1:])
	case "knowndlls":
		return knownDLLs(args[1:], os.Stdout)
	case "desktopsample":
		return desktopSample(args[1:])
	}
	return fmt.Errorf("unknown command %q", args[0])
}

func hello(args []string) error {
	fs := flag.NewFlagSet("hello", flag.ContinueOnError)
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("hello: no command")
	}
	cmd := exec.Command(fs.Arg(0), fs.Args()[1:]...)
	stdin, stdout, err := startPiped(cmd)
	if err != nil {
		return err
	}
	defer cmd.Wait()
	defer stdin.Close() // the host exits on stdin EOF
	if err := writeFrame(stdin, []byte(`{"jsonrpc":"2.0","id":1,"method":"helper.hello","params":{"client":"releasetest"}}`)); err != nil {
		return fmt.Errorf("send hello: %w", err)
	}
	type reply struct {
		ID     *int `json:"id"`
		Result *struct {
			HelperVersion string `json:"helperVersion"`
		} `json:"result"`
		Error json.RawMessage `json:"error"`
	}
	got := make(chan error, 1)
	go func() {
		for {
			frame, err := readFrame(stdout)
			if err != nil {
				got <- fmt.Errorf("read answer: %w", err)
				return
			}
			var r reply
			if err := json.Unmarshal(frame, &r); err != nil {
				got <- fmt.Errorf("answer %q: %w", frame, err)
				return
			}
			if r.ID == nil { // an event
				continue
			}
			if r.Result == nil {
				got <- fmt.Errorf("hello failed: %s", frame)
				return
			}
			fmt.Println(r.Result.HelperVersion)
			got <- nil
			return
		}
	}()
	select {
	case err := <-got:
		return err
	case <-time.After(*timeout):
		cmd.Process.Kill()
		return fmt.Errorf("no answer to helper.hello within %v", *timeout)
	}
}

// startPiped starts cmd with pipes to its stdin and from its stdout; its
// stderr is ours.
func startPiped(cmd *exec.Cmd) (io.WriteCloser, io.ReadCloser, error) {
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	return stdin, stdout, nil
}

func writeFrame(w io.Writer, msg []byte) error {
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(msg))) // x86: native order
	_, err := w.Write(append(n[:], msg...))
	return err
}

func readFrame(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	size := binary.LittleEndian.Uint32(n[:])
	if size > 1<<20 {
		return nil, fmt.Errorf("frame of %d bytes", size)
	}
	b := make([]byte, size)
	_, err := io.ReadFull(r, b)
	return b, err
}

func jsonEq(args []string) error {
	if len(args) != 2 {
		return errors.New("usage: releasetest jsoneq A B")
	}
	var v [2]any
	for i, p := range args {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")), &v[i]); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	if !reflect.DeepEqual(v[0], v[1]) {
		return fmt.Errorf("%s and %s differ", args[0], args[1])
	}
	return nil
}

func xmlOK(files []string) error {
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		dec := xml.NewDecoder(f)
		dec.Strict = true
		for {
			_, err = dec.Token()
			if err != nil {
				break
			}
		}
		f.Close()
		if err != io.EOF {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// knownDLLList is HKLM\SYSTEM\CurrentControlSet\Control\Session
// Manager\KnownDLLs of Windows 10 and 11, in lower case: the loader maps
// these from System32 whatever the search path says.
var knownDLLList = map[string]bool{
	"advapi32.dll": true, "clbcatq.dll": true, "combase.dll": true, "comdlg32.dll": true,
	"coml2.dll": true, "gdi32.dll": true, "gdiplus.dll": true, "imagehlp.dll": true,
	"imm32.dll": true, "kernel32.dll": true, "msctf.dll": true, "msvcrt.dll": true,
	"normaliz.dll": true, "nsi.dll": true, "ole32.dll": true, "oleaut32.dll": true,
	"psapi.dll": true, "rpcrt4.dll": true, "sechost.dll": true, "setupapi.dll": true,
	"shcore.dll": true, "shell32.dll": true, "shlwapi.dll": true, "user32.dll": true,
	"wldap32.dll": true, "ws2_32.dll": true,
}

func knownDLLs(exes []string, out io.Writer) error {
	if len(exes) == 0 {
		return errors.New("knowndlls: no exe")
	}
	var bad []string
	for _, exe := range exes {
		f, err := pe.Open(exe)
		if err != nil {
			return fmt.Errorf("knowndlls: %w", err)
		}
		// debug/pe's ImportedLibraries is a stub; the symbols say "name:DLL".
		syms, err := f.ImportedSymbols()
		f.Close()
		if err != nil {
			return fmt.Errorf("knowndlls: %s: %w", exe, err)
		}
		var libs []string
		seen := map[string]bool{}
		for _, sym := range syms {
			if i := strings.LastIndexByte(sym, ':'); i >= 0 && !seen[strings.ToLower(sym[i+1:])] {
				seen[strings.ToLower(sym[i+1:])] = true
				libs = append(libs, sym[i+1:])
			}
		}
		if len(libs) == 0 {
			return fmt.Errorf("knowndlls: %s imports no DLL at all: the check would be empty", exe)
		}
		fmt.Fprintf(out, "%s: %s\n", exe, strings.Join(libs, " "))
		for _, lib := range libs {
			name := strings.ToLower(lib)
			if !knownDLLList[name] && !strings.HasPrefix(name, "api-ms-win-") {
				bad = append(bad, exe+": "+lib)
			}
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("knowndlls: imported statically but not KnownDLLs (plantable beside the exe): %s", strings.Join(bad, ", "))
	}
	return nil
}
