package doctor

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestRunWorstStatusAndViews(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC) }
	d := New(now,
		func(context.Context, View) []Result {
			return []Result{{ID: "a", Title: "A works", Status: OK, Found: "fine", Where: "/home/u/a"}}
		},
		func(context.Context, View) []Result {
			return []Result{{ID: "b", Title: "B works", Status: Warning, Found: "meh", Fix: "Do b.", Where: "/home/u/b"}}
		},
		func(_ context.Context, v View) []Result {
			return []Result{{ID: "c", Title: "C for " + v.Origin, Status: Failed, Found: "broken", Fix: "Do c."}}
		},
	)
	rep := d.Run(context.Background(), View{Local: true})
	if rep.Status != Failed || !rep.Failed() || rep.Count(OK) != 1 || rep.Count(Warning) != 1 || rep.Count(Failed) != 1 {
		t.Errorf("report %+v", rep)
	}
	if rep.CheckedAt != "2026-12-03T15:00:00Z" {
		t.Errorf("checkedAt %s", rep.CheckedAt)
	}
	if b, _ := rep.Find("b"); b.Where != "/home/u/b" {
		t.Errorf("local view lost where: %+v", b)
	}
	page := d.Run(context.Background(), View{Origin: "https://x.test"})
	for _, c := range page.Checks {
		if c.Where != "" {
			t.Errorf("page view has where: %+v", c)
		}
	}
	if c, _ := page.Find("c"); c.Title != "C for https://x.test" {
		t.Errorf("the check did not get the view: %+v", c)
	}

	var out bytes.Buffer
	if err := rep.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{"OK       A works", "WARNING  B works", "Fix: Do b.", "Where: /home/u/b", "FAILED   C for", "1 ok, 1 warning, 1 failed"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "/home/u/a") {
		t.Errorf("text shows where of an ok check:\n%s", text)
	}

	empty := New(nil).Run(context.Background(), View{})
	if empty.Status != OK || empty.Checks == nil {
		t.Errorf("empty report %+v", empty)
	}
}
