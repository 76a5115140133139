package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// find builds only the command it picks: an agent started by
// `bpclient agent` runs none of the other commands' constructors.
func TestFindBuildsOnlyTheChosenCommand(t *testing.T) {
	built := map[string]int{}
	entry := func(name string) commandEntry {
		return commandEntry{name: name, synopsis: name + " things", build: func() *command {
			built[name]++
			return &command{usage: "bpclient " + name}
		}}
	}
	table := []commandEntry{entry("agent"), entry("install"), entry("doctor")}
	c := findIn(table, "install")
	if c == nil || c.name != "install" || c.usage != "bpclient install" {
		t.Fatalf("findIn(install) = %+v, want the install command named install", c)
	}
	if len(built) != 1 || built["install"] != 1 {
		t.Errorf("constructors run: %v, want install's once and no other", built)
	}
	if c := findIn(table, "nosuch"); c != nil || len(built) != 1 {
		t.Errorf("findIn(nosuch) = %+v, constructors run %v: want nil and none more", c, built)
	}
}

// Every entry of the table builds its own command, and help lists them
// all with their synopses, in the table's order.
func TestCommandTable(t *testing.T) {
	var out bytes.Buffer
	if code := Run(context.Background(), []string{"help"}, Env{Stdout: &out, Stderr: &out}); code != exitOK {
		t.Fatalf("help: exit %d", code)
	}
	help := out.String()
	seen := map[string]bool{}
	last := 0
	for _, e := range commandTable {
		if seen[e.name] {
			t.Errorf("%s twice in the table", e.name)
		}
		seen[e.name] = true
		c := find(e.name)
		if c == nil || c.name != e.name || !strings.HasPrefix(c.usage, "bpclient "+e.name) || c.run == nil {
			t.Errorf("find(%s) = %+v, want its command", e.name, c)
		}
		line := "  " + e.name + strings.Repeat(" ", max(1, 11-len(e.name))) + e.synopsis + "\n"
		i := strings.Index(help, line)
		if i < last {
			t.Errorf("help lists %q at %d (after %d), want it in the table's order:\n%s", line, i, last, help)
		}
		last = i
	}
	if len(seen) != 15 {
		t.Errorf("%d commands, want the 15 that bpclient has", len(seen))
	}
}
