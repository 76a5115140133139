package browsertest

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// firefoxProfileDir is o.Profile, created, or a fresh folder in the
// environment's root.
func firefoxProfileDir(o FirefoxOptions) (string, error) {
	if o.Profile == "" {
		return os.MkdirTemp(o.Env.Root, "ffprofile")
	}
	return o.Profile, os.MkdirAll(o.Profile, 0o700)
}

// SideloadXPI packs the unpacked extension in dir as an XPI (a zip with
// manifest.json at its root) into profile's extensions folder, named by
// its gecko id: Firefox installs it at its next start as an add-on of
// the profile's scope, and lists it in extensions.json (unsigned: Firefox
// ESR honours xpinstall.signatures.required=false, which StartFirefox
// sets; extensions.autoDisableScopes=0 leaves it on).
func SideloadXPI(dir, profile, geckoID string) (string, error) {
	exts := filepath.Join(profile, "extensions")
	if err := os.MkdirAll(exts, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(exts, geckoID+".xpi")
	out, err := os.Create(path)
	if err != nil {
		return "", err
	}
	zw := zip.NewWriter(out)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		w, err := zw.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		_, err = io.Copy(w, in)
		return err
	})
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("xpi of %s: %w", dir, err)
	}
	return path, nil
}

// ChromeEval runs an asynchronous script in the browser's chrome (system
// privileges: AddonManager, Services), as WebDriver:ExecuteAsyncScript
// does: the script calls its last argument with the result, returned as
// JSON.
func (f *Firefox) ChromeEval(ctx context.Context, script string, args ...any) (json.RawMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.anyWindowLocked(ctx); err != nil {
		return nil, err
	}
	if err := f.m.Call(ctx, "Marionette:SetContext", map[string]any{"value": "chrome"}, nil); err != nil {
		return nil, err
	}
	if args == nil {
		args = []any{}
	}
	var out json.RawMessage
	err := f.m.Call(ctx, "WebDriver:ExecuteAsyncScript", map[string]any{"script": script, "args": args}, &valueOf[json.RawMessage]{&out})
	if cerr := f.m.Call(ctx, "Marionette:SetContext", map[string]any{"value": "content"}, nil); err == nil {
		err = cerr
	}
	return out, err
}
