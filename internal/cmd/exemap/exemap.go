//go:build linux

package main

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/openbpclient/bpclient/internal/procstat"
)

// The sections attributed to packages.
const (
	secText    = ".text"
	secRodata  = ".rodata"
	secPclntab = ".gopclntab"
)

// span is a range of one section's addresses that belongs to a package.
type span struct {
	start, end uint64
	pkg        string
}

// sectionUse is what of one section is resident.
type sectionUse struct {
	name           string
	size, resident uint64 // bytes
	// byPkg is resident bytes per package; unattributed is the rest.
	byPkg        map[string]uint64
	unattributed uint64
}

type report struct {
	pid      int
	exe      string
	page     uint64
	sections []*sectionUse // in address order
	// headers is the resident part of the mappings outside every section
	// (the ELF and program headers, padding between segments).
	headers uint64
}

// residentByPackage maps the resident pages of exe in process pid to
// sections, and those of .text, .rodata and .gopclntab to packages by
// sym's symbol table and pclntab.
func residentByPackage(pid int, exe, sym string) (*report, error) {
	run, err := elf.Open(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return nil, err
	}
	defer run.Close()
	symf, err := elf.Open(sym)
	if err != nil {
		return nil, err
	}
	defer symf.Close()
	if err := sameLayout(run, symf); err != nil {
		return nil, fmt.Errorf("%s is not a build of %s's source: %w", sym, exe, err)
	}
	spans, err := packageSpans(symf)
	if err != nil {
		return nil, err
	}
	maps, err := procstat.Maps(pid)
	if err != nil {
		return nil, err
	}
	r := &report{pid: pid, exe: exe, page: uint64(os.Getpagesize())}
	bySec := map[string]*sectionUse{}
	for _, s := range run.Sections {
		if s.Flags&elf.SHF_ALLOC == 0 || s.Type == elf.SHT_NOBITS || s.Size == 0 {
			continue
		}
		u := &sectionUse{name: s.Name, size: s.Size, byPkg: map[string]uint64{}}
		r.sections = append(r.sections, u)
		bySec[s.Name] = u
	}
	found := false
	for _, m := range maps {
		if m.Path != exe && m.Path != exe+" (deleted)" {
			continue
		}
		found = true
		present, err := procstat.Present(pid, m.Start, m.End)
		if err != nil {
			return nil, err
		}
		for i, p := range present {
			if !p {
				continue
			}
			// The page's bytes in the file, and the sections they hold.
			off := m.Offset + uint64(i)*r.page
			in := uint64(0)
			for _, s := range run.Sections {
				u := bySec[s.Name]
				if u == nil {
					continue
				}
				lo, hi := max(off, s.Offset), min(off+r.page, s.Offset+s.Size)
				if lo >= hi {
					continue
				}
				in += hi - lo
				u.resident += hi - lo
				u.attribute(spans[s.Name], s.Addr+lo-s.Offset, s.Addr+hi-s.Offset)
			}
			r.headers += r.page - in
		}
	}
	if !found {
		return nil, fmt.Errorf("process %d maps nothing of %s", pid, exe)
	}
	return r, nil
}

// attribute adds [lo, hi)'s bytes to the packages whose spans hold them.
func (u *sectionUse) attribute(spans []span, lo, hi uint64) {
	left := hi - lo
	i := sort.Search(len(spans), func(i int) bool { return spans[i].end > lo })
	for ; i < len(spans) && spans[i].start < hi; i++ {
		a, b := max(lo, spans[i].start), min(hi, spans[i].end)
		if a < b {
			u.byPkg[spans[i].pkg] += b - a
			left -= b - a
		}
	}
	u.unattributed += left
}

// sameLayout checks that the loaded sections of a and b have the same
// addresses, file offsets and sizes.
func sameLayout(a, b *elf.File) error {
	n := 0
	for _, s := range a.Sections {
		if s.Flags&elf.SHF_ALLOC == 0 {
			continue
		}
		t := b.Section(s.Name)
		if t == nil || t.Addr != s.Addr || t.Size != s.Size || t.Offset != s.Offset {
			return fmt.Errorf("section %s differs (%#x+%#x vs %v)", s.Name, s.Addr, s.Size, t)
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("no loaded sections")
	}
	return nil
}

// packageSpans are, per section, the ranges of its addresses owned by
// each package, sorted and without overlaps.
func packageSpans(f *elf.File) (map[string][]span, error) {
	syms, err := f.Symbols()
	if err != nil {
		return nil, fmt.Errorf("symbol table: %w (is it stripped?)", err)
	}
	out := map[string][]span{}
	text, rodata := f.Section(secText), f.Section(secRodata)
	var gofunc uint64
	var regions []span // of .rodata, by the linker's marker symbols
	for _, s := range syms {
		if label, ok := rodataRegions[s.Name]; ok && rodata != nil && int(s.Section) < len(f.Sections) && f.Sections[s.Section] == rodata {
			regions = append(regions, span{s.Value, 0, label})
		}
		if s.Size == 0 || int(s.Section) >= len(f.Sections) || s.Section == elf.SHN_UNDEF {
			continue
		}
		sec := f.Sections[s.Section]
		switch {
		case s.Name == "go:func.*":
			gofunc = s.Value // funcdata, attributed through pclntab below
		case sec == text && elf.ST_TYPE(s.Info) == elf.STT_FUNC:
			p := packageOf(s.Name)
			if p == "" {
				p = "[C code]"
			}
			out[sec.Name] = append(out[sec.Name], span{s.Value, s.Value + s.Size, p})
		case sec == rodata:
			if p := packageOf(s.Name); p != "" {
				out[sec.Name] = append(out[sec.Name], span{s.Value, s.Value + s.Size, p})
			}
		}
	}
	pcln, funcdata, err := pclntabSpans(f, gofunc)
	if err != nil {
		return nil, fmt.Errorf("pclntab: %w", err)
	}
	out[secPclntab] = pcln
	// go:func.* follows the pclntab in its section (Go 1.26), or sits in
	// .rodata.
	for _, s := range f.Sections {
		if s.Addr <= gofunc && gofunc < s.Addr+s.Size {
			out[s.Name] = append(out[s.Name], funcdata...)
		}
	}
	for k, v := range out {
		out[k] = tidy(v)
	}
	if rodata != nil && len(regions) > 0 {
		sort.Slice(regions, func(i, j int) bool { return regions[i].start < regions[j].start })
		for i := range regions {
			regions[i].end = rodata.Addr + rodata.Size
			if i+1 < len(regions) {
				regions[i].end = regions[i+1].start
			}
		}
		out[secRodata] = tidy(append(out[secRodata], gaps(out[secRodata], regions)...))
	}
	return out, nil
}

// rodataRegions name what lies from each of the linker's marker symbols
// in .rodata to the next: what no symbol of its own names.
var rodataRegions = map[string]string{
	"type:*":           "[Go type descriptors]",
	"go:string.*":      "[Go strings]",
	"go:funcdesc":      "[Go func values]",
	"runtime.gcbits.*": "[GC bitmaps]",
	"runtime.erodata":  "[C read-only data]",
}

// gaps are the parts of regions that no span of the sorted, disjoint
// named covers, labelled as their region.
func gaps(named, regions []span) []span {
	var out []span
	for _, r := range regions {
		at := r.start
		i := sort.Search(len(named), func(i int) bool { return named[i].end > r.start })
		for ; i < len(named) && named[i].start < r.end; i++ {
			if named[i].start > at {
				out = append(out, span{at, named[i].start, r.pkg})
			}
			at = max(at, named[i].end)
		}
		if at < r.end {
			out = append(out, span{at, r.end, r.pkg})
		}
	}
	return out
}

// tidy sorts spans and cuts overlaps (the first-starting one keeps the
// shared bytes).
func tidy(v []span) []span {
	sort.Slice(v, func(i, j int) bool { return v[i].start < v[j].start || v[i].start == v[j].start && v[i].end > v[j].end })
	out := v[:0]
	var end uint64
	for _, s := range v {
		if s.start < end {
			s.start = end
		}
		if s.start >= s.end {
			continue
		}
		out = append(out, s)
		end = s.end
	}
	return out
}

// packageOf is the Go package a symbol belongs to ("" when none can be
// told): "github.com/a/b.(*T).M" and "type:*github.com/a/b.T" are
// github.com/a/b's; a symbol without a package (C code, go:string.*) is
// not attributed.
func packageOf(name string) string {
	for _, p := range []string{"type:.eq.*", "type:.eq.", "type:*", "type:", "go:itab.*", "go:itab."} {
		if rest, ok := strings.CutPrefix(name, p); ok {
			name = rest
			break
		}
	}
	if strings.HasPrefix(name, "go:") || strings.HasPrefix(name, "type:") {
		return ""
	}
	head := name
	if i := strings.IndexAny(head, "[(,"); i >= 0 {
		head = head[:i]
	}
	slash := strings.LastIndexByte(head, '/')
	dot := strings.IndexByte(head[slash+1:], '.')
	if dot <= 0 {
		return ""
	}
	return head[:slash+1+dot]
}

// pclntabSpans attributes the pclntab (Go 1.20's layout onwards: magic
// 0xfffffff1) to the packages of its functions: each function's _func
// entry with its pcdata and funcdata offsets, its name, and its pc tables
// (shared ones go to the first function that names them); and the
// funcdata in go:func.*, which starts at gofunc (after the pclntab in
// its section, or in .rodata) and runs to the end of its section.
func pclntabSpans(f *elf.File, gofunc uint64) (pcln, funcdata []span, err error) {
	sec := f.Section(secPclntab)
	if sec == nil {
		return nil, nil, fmt.Errorf("no %s section", secPclntab)
	}
	tab, err := sec.Data()
	if err != nil {
		return nil, nil, err
	}
	le := binary.LittleEndian
	if len(tab) < 72 || le.Uint32(tab) != 0xfffffff1 || tab[7] != 8 {
		return nil, nil, fmt.Errorf("not a 64-bit Go 1.20+ pclntab")
	}
	word := func(i int) uint64 { return le.Uint64(tab[8+8*i:]) }
	nfunc := int(word(0))
	funcnameOff, cuOff, pctabOff, pclnOff := word(3), word(4), word(6), word(7)
	base := sec.Addr
	functab := tab[pclnOff:]
	if uint64(len(functab)) < uint64(nfunc+1)*8 {
		return nil, nil, fmt.Errorf("functab of %d functions is cut", nfunc)
	}
	// header, funcnametab, cutab, filetab, pctab, functab and _funcs.
	pcln = append(pcln, span{base, base + funcnameOff, "[pclntab header]"},
		span{base + cuOff, base + pctabOff, "[pclntab file tables]"})
	type fn struct {
		off  uint64 // of its _func, from pclnOff
		name string
		pkg  string
	}
	fns := make([]fn, nfunc)
	pcOwner := map[uint64]string{}
	fdOwner := map[uint64]string{}
	for i := range fns {
		off := uint64(le.Uint32(functab[8*i+4:]))
		if pclnOff+off+44 > uint64(len(tab)) {
			return nil, nil, fmt.Errorf("_func %d out of the table", i)
		}
		fp := tab[pclnOff+off:]
		nameOff := uint64(le.Uint32(fp[4:]))
		name := cstring(tab[funcnameOff+nameOff:])
		p := packageOf(name)
		if p == "" {
			p = "[C and other unnamed]"
		}
		fns[i] = fn{off, name, p}
		nameAt := base + funcnameOff + nameOff
		pcln = append(pcln, span{nameAt, nameAt + uint64(len(name)) + 1, p})
		// pcsp, pcfile, pcln, then npcdata pcdata offsets: into pctab.
		npcdata := int(le.Uint32(fp[28:]))
		nfuncdata := int(fp[43])
		if pclnOff+off+44+uint64(4*(npcdata+nfuncdata)) > uint64(len(tab)) {
			return nil, nil, fmt.Errorf("_func %d's data out of the table", i)
		}
		for _, at := range append([]int{16, 20, 24}, seq(44, npcdata)...) {
			if o := uint64(le.Uint32(fp[at:])); o != 0 {
				if _, ok := pcOwner[o]; !ok {
					pcOwner[o] = p
				}
			}
		}
		for _, at := range seq(44+4*npcdata, nfuncdata) {
			if o := le.Uint32(fp[at:]); o != ^uint32(0) {
				if _, ok := fdOwner[uint64(o)]; !ok {
					fdOwner[uint64(o)] = p
				}
			}
		}
	}
	// Each _func runs to the next (they follow functab in order).
	sort.Slice(fns, func(i, j int) bool { return fns[i].off < fns[j].off })
	first := base + pclnOff
	pcln = append(pcln, span{first, first + uint64(nfunc+1)*8, "[pclntab functab]"})
	tabEnd := uint64(len(tab))
	if base < gofunc && gofunc < base+tabEnd {
		tabEnd = gofunc - base
	}
	for i, fn := range fns {
		end := tabEnd - pclnOff
		if i+1 < len(fns) {
			end = fns[i+1].off
		}
		pcln = append(pcln, span{first + fn.off, first + end, fn.pkg})
	}
	// A pc table runs to the next one; the last to the functab.
	pcln = append(pcln, ownedRuns(pcOwner, base+pctabOff, base+pclnOff)...)
	for _, s := range f.Sections {
		if gofunc != 0 && s.Addr <= gofunc && gofunc < s.Addr+s.Size {
			funcdata = ownedRuns(fdOwner, gofunc, s.Addr+s.Size)
		}
	}
	return pcln, funcdata, nil
}

// ownedRuns turns offsets from base and their owners into spans, each
// running to the next offset (the last to limit).
func ownedRuns(owner map[uint64]string, base, limit uint64) []span {
	offs := make([]uint64, 0, len(owner))
	for o := range owner {
		offs = append(offs, o)
	}
	sort.Slice(offs, func(i, j int) bool { return offs[i] < offs[j] })
	out := make([]span, 0, len(offs))
	for i, o := range offs {
		end := limit
		if i+1 < len(offs) {
			end = base + offs[i+1]
		}
		if base+o < end {
			out = append(out, span{base + o, end, owner[o]})
		}
	}
	return out
}

// seq is n offsets of 4-byte fields from at.
func seq(at, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = at + 4*i
	}
	return out
}

func cstring(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// row is one line of a resident-pages table: a package, or an origin.
type row struct {
	pkg                  string
	text, pcln, ro, both uint64
}

// add counts x's pages in r too.
func (r *row) add(x *row) {
	r.text, r.pcln, r.ro, r.both = r.text+x.text, r.pcln+x.pcln, r.ro+x.ro, r.both+x.both
}

// sortRows puts the largest first, by name where two are alike.
func sortRows(list []*row) {
	sort.Slice(list, func(i, j int) bool {
		return list[i].both > list[j].both || list[i].both == list[j].both && list[i].pkg < list[j].pkg
	})
}

// write prints the sections, then the top packages as a Markdown table.
func (r *report) write(w io.Writer, top int) {
	kb := func(b uint64) string { return fmt.Sprintf("%d", (b+512)/1024) }
	var total uint64
	fmt.Fprintf(w, "%s (pid %d), resident by section (kB of the file's pages in the page tables):\n\n", r.exe, r.pid)
	fmt.Fprintln(w, "| section | resident kB | size kB | unattributed kB |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, u := range r.sections {
		if u.resident == 0 {
			continue
		}
		total += u.resident
		un := ""
		if len(u.byPkg) > 0 {
			un = kb(u.unattributed)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", u.name, kb(u.resident), kb(u.size), un)
	}
	fmt.Fprintf(w, "| (headers, padding) | %s | | |\n", kb(r.headers))
	fmt.Fprintf(w, "| **all** | **%s** | | |\n\n", kb(total+r.headers))

	rows := map[string]*row{}
	get := func(p string) *row {
		if rows[p] == nil {
			rows[p] = &row{pkg: p}
		}
		return rows[p]
	}
	var sums row
	for _, u := range r.sections {
		for p, b := range u.byPkg {
			x := get(p)
			switch u.name {
			case secText:
				x.text += b
				sums.text += b
			case secPclntab:
				x.pcln += b
				sums.pcln += b
			case secRodata:
				x.ro += b
				sums.ro += b
			}
			x.both += b
		}
	}
	list := make([]*row, 0, len(rows))
	for _, x := range rows {
		list = append(list, x)
	}
	sortRows(list)
	fmt.Fprintln(w, "| package | .text kB | .gopclntab kB | .rodata kB | together kB |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	var rest row
	for i, x := range list {
		if i < top {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", x.pkg, kb(x.text), kb(x.pcln), kb(x.ro), kb(x.both))
			continue
		}
		rest.add(x)
	}
	fmt.Fprintf(w, "| the other %d packages | %s | %s | %s | %s |\n", max(0, len(list)-top), kb(rest.text), kb(rest.pcln), kb(rest.ro), kb(rest.both))
	sums.both = sums.text + sums.pcln + sums.ro
	fmt.Fprintf(w, "| **attributed** | **%s** | **%s** | **%s** | **%s** |\n", kb(sums.text), kb(sums.pcln), kb(sums.ro), kb(sums.both))

	// The same by where the code comes from: the standard library, this
	// module, each other module, and what no package names.
	origins := map[string]*row{}
	counts := map[string]int{}
	for _, x := range list {
		o := originOf(x.pkg)
		if origins[o] == nil {
			origins[o] = &row{pkg: o}
		}
		origins[o].add(x)
		counts[o]++
	}
	byOrigin := make([]*row, 0, len(origins))
	for _, y := range origins {
		byOrigin = append(byOrigin, y)
	}
	sortRows(byOrigin)
	fmt.Fprintln(w, "\n| from | packages | .text kB | .gopclntab kB | .rodata kB | together kB |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, y := range byOrigin {
		if y.both < 512 {
			continue // under half a kB: names of odd symbols, nothing resident
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s |\n", y.pkg, counts[y.pkg], kb(y.text), kb(y.pcln), kb(y.ro), kb(y.both))
	}
}

// ownModule is the module whose packages originOf calls ours.
const ownModule = "github.com/openbpclient/bpclient"

// originOf is where package pkg comes from: "[standard library]", "[ours]"
// (ownModule), the module path of another module (its first three path
// elements on the hosts that name modules so, else two, with a major
// version's element: an estimate
// without go.mod), or pkg itself for the unnamed rows ("[Go strings]").
func originOf(pkg string) string {
	switch {
	case strings.HasPrefix(pkg, "["):
		return pkg
	case pkg == ownModule || strings.HasPrefix(pkg, ownModule+"/"):
		return "[ours]"
	}
	parts := strings.Split(pkg, "/")
	if !strings.Contains(parts[0], ".") {
		return "[standard library]"
	}
	n := 2
	switch parts[0] {
	case "github.com", "golang.org", "gitlab.com", "bitbucket.org":
		n = 3
	case "gopkg.in":
		if len(parts) > 2 && !strings.Contains(parts[1], ".v") {
			n = 3 // gopkg.in/user/pkg.v2
		}
	}
	if len(parts) > n && strings.HasPrefix(parts[n], "v") && strings.Trim(parts[n][1:], "0123456789") == "" {
		n++ // a major version: github.com/pion/dtls/v3
	}
	return strings.Join(parts[:min(n, len(parts))], "/")
}
