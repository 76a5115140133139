package support

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"time"
)

// DefaultLimit bounds a bundle's zip file: what a mail or a ticket
// attachment takes.
const DefaultLimit = 25 << 20

// reserve is kept back from the limit for the bundle's own MANIFEST.json
// and the zip's central directory, written last.
const reserve = 64 << 10

// Bundle writes one support zip whose size never exceeds its limit:
// every entry is compressed first and goes in only when it fits, and
// text is scrubbed of secrets before anything of it is written.
type Bundle struct {
	zw    *zip.Writer
	out   *countingWriter
	limit int64
	scrub Scrubber
	now   time.Time

	manifest manifest
}

// manifest is MANIFEST.json: what the bundle holds, and what it left out
// and why, so that a support person knows what they do not see.
type manifest struct {
	Created       string          `json:"created"`
	LimitBytes    int64           `json:"limitBytes"`
	NumbersMasked bool            `json:"numbersMasked"`
	Entries       []manifestEntry `json:"entries"`
	Missing       []manifestEntry `json:"missing,omitempty"`
}

type manifestEntry struct {
	Name string `json:"name"`
	// Bytes is the entry's size before compression.
	Bytes int64 `json:"bytes,omitempty"`
	// Note says what was cut ("the oldest 12034 lines left out to stay
	// within the limit") or why the entry is missing.
	Note string `json:"note,omitempty"`
}

// NewBundle writes a bundle to w, at most limit bytes (DefaultLimit when
// zero), created at now.
func NewBundle(w io.Writer, limit int64, scrub Scrubber, now time.Time) *Bundle {
	if limit <= 0 {
		limit = DefaultLimit
	}
	cw := &countingWriter{w: w}
	return &Bundle{zw: zip.NewWriter(cw), out: cw, limit: limit, scrub: scrub, now: now,
		manifest: manifest{Created: now.UTC().Format(time.RFC3339), LimitBytes: limit, NumbersMasked: scrub.MaskNumbers, Entries: []manifestEntry{}}}
}

// ErrTooBig means an entry does not fit in what is left of the limit.
var ErrTooBig = errors.New("does not fit in the bundle's size limit")

// Missing notes in the manifest that name could not be gathered, and why.
func (b *Bundle) Missing(name string, why error) {
	b.manifest.Missing = append(b.manifest.Missing, manifestEntry{Name: name, Note: why.Error()})
}

// AddText adds scrubbed text. An entry too big for what is left is noted
// missing; AddLog cuts logs instead.
func (b *Bundle) AddText(name string, text []byte) error {
	data := []byte(b.scrub.Scrub(string(text)))
	return b.addOrNote(name, data, "")
}

// AddJSON adds v as indented, scrubbed JSON.
func (b *Bundle) AddJSON(name string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		b.Missing(name, err)
		return err
	}
	return b.AddText(name, append(data, '\n'))
}

// AddBinary adds data as it is (a picture drawn from scrubbed data).
func (b *Bundle) AddBinary(name string, data []byte) error {
	return b.addOrNote(name, data, "")
}

func (b *Bundle) addOrNote(name string, data []byte, note string) error {
	if err := b.add(name, data, note); err != nil {
		b.Missing(name, err)
		return err
	}
	return nil
}

// fits compresses data and reports whether it fits in what is left.
func (b *Bundle) compress(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.DefaultCompression)
	if err != nil {
		return nil, err
	}
	if _, err := fw.Write(data); err != nil {
		return nil, err
	}
	if err := fw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// room is what one more entry named name may take compressed.
func (b *Bundle) room(name string) int64 {
	// A local header and a central directory record, each with the
	// name, and a data descriptor.
	overhead := int64(30+46+16+2*len(name)) + 64
	return b.limit - reserve - b.out.n - overhead
}

func (b *Bundle) add(name string, data []byte, note string) error {
	packed, err := b.compress(data)
	if err != nil {
		return fmt.Errorf("compress %s: %w", name, err)
	}
	if int64(len(packed)) > b.room(name) {
		return fmt.Errorf("%s (%d bytes compressed): %w", name, len(packed), ErrTooBig)
	}
	return b.addPacked(name, data, packed, note)
}

func (b *Bundle) addPacked(name string, data, packed []byte, note string) error {
	h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: b.now,
		CRC32: crc32.ChecksumIEEE(data), CompressedSize64: uint64(len(packed)), UncompressedSize64: uint64(len(data))}
	h.SetMode(0o600)
	// CreateRaw, unlike CreateHeader, does not derive the MS-DOS time
	// fields from Modified; without them unzip shows 1980.
	h.SetModTime(b.now) //nolint:staticcheck // the one setter of those fields
	w, err := b.zw.CreateRaw(h)
	if err != nil {
		return fmt.Errorf("bundle %s: %w", name, err)
	}
	if _, err := w.Write(packed); err != nil {
		return fmt.Errorf("bundle %s: %w", name, err)
	}
	b.manifest.Entries = append(b.manifest.Entries, manifestEntry{Name: name, Bytes: int64(len(data)), Note: note})
	return nil
}

// Close writes MANIFEST.json and the zip's directory. The file written
// is at most the limit.
func (b *Bundle) Close() error {
	data, err := json.MarshalIndent(b.manifest, "", "  ")
	if err != nil {
		return err
	}
	if packed, err := b.compress(data); err == nil && int64(len(packed)) < reserve/2 {
		if err := b.addPacked("MANIFEST.json", data, packed, ""); err != nil {
			return err
		}
	}
	if err := b.zw.Close(); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if b.out.n > b.limit {
		return fmt.Errorf("bundle: %d bytes, over its limit of %d", b.out.n, b.limit)
	}
	return nil
}

// Size is what the bundle has written so far.
func (b *Bundle) Size() int64 { return b.out.n }

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
