// Command buildext writes the BPClient extension for each browser family:
//
//	go run ./internal/cmd/buildext -out DIR [-zip] [-version X.Y.Z]
//
// DIR/chromium loads unpacked in Chrome, Edge, Brave and Vivaldi (with the
// fixed key); DIR/firefox loads as a temporary add-on in Firefox. With
// -zip it also writes DIR/bpclient-chromium.zip (without "key": the
// Chrome Web Store assigns the id) and DIR/bpclient-firefox.xpi (unsigned)
// for the stores.
package main

import (
	"archive/zip"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/openbpclient/bpclient/nativemsg/extension"
	"github.com/openbpclient/bpclient/version"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "buildext: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	out := flag.String("out", "dist/extension", "output directory")
	zipToo := flag.Bool("zip", false, "also write store archives")
	ver := flag.String("version", version.Version, "extension version")
	flag.Parse()
	for _, b := range []string{extension.Chromium, extension.Firefox} {
		dir := filepath.Join(*out, b)
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		if err := extension.Build(dir, b, extension.Options{Version: *ver}); err != nil {
			return err
		}
		fmt.Println(dir)
	}
	if !*zipToo {
		return nil
	}
	for _, z := range []struct {
		browser, name string
		o             extension.Options
	}{
		{extension.Chromium, "bpclient-chromium.zip", extension.Options{Version: *ver, OmitKey: true}},
		{extension.Firefox, "bpclient-firefox.xpi", extension.Options{Version: *ver}},
	} {
		tmp, err := os.MkdirTemp("", "buildext")
		if err != nil {
			return err
		}
		err = extension.Build(tmp, z.browser, z.o)
		if err == nil {
			err = zipDir(filepath.Join(*out, z.name), tmp)
		}
		os.RemoveAll(tmp)
		if err != nil {
			return err
		}
		fmt.Println(filepath.Join(*out, z.name))
	}
	return nil
}

// zipDir writes the files below dir, with manifest.json at the archive's
// root as both stores require.
func zipDir(path, dir string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := zip.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		zw, err := w.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		_, err = zw.Write(data)
		return err
	})
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
