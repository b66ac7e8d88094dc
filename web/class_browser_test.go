package web

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"exhaust/world"
)

// TestBrowserClass plays class mode end to end in headless Chromium, as a
// teacher and three students would: the demo starts paused, the projector
// shows where to join (address and QR code), three students join from
// their own browsers (separate cookie jars) with different personas and
// switches, the teacher presses Play and then Reveal, the projector's
// table lists all three, and each student's page shows their own "what
// the beast knew about you today", which prints on one page.
func TestBrowserClass(t *testing.T) {
	ctx, exceptions := browser(t, 120*time.Second)
	const studentURL = "http://192.0.2.10:8080/class"
	r := newRunWith(t, testPersons, 1, false, 20000, func(c *Config) {
		c.Class = &ClassConfig{Cap: 5, URL: studentURL}
	})
	r.clock.Pause() // as exhaust demo --class starts: students join first
	url := r.serve(t)

	// The projector.
	do(t, ctx, "open the projector's page", chromedp.Navigate(url))
	poll(t, ctx, "the class tab, shown at once", `!document.querySelector('#tab-class').hidden && document.querySelector('#class-url').textContent !== ''`, 10*time.Second)
	if got := eval[string](t, ctx, `document.querySelector('#class-url').textContent`); got != studentURL {
		t.Errorf("the projector shows %q, want %q", got, studentURL)
	}
	poll(t, ctx, "the QR code", `document.querySelector('#class-qr').complete && document.querySelector('#class-qr').naturalWidth > 100`, 10*time.Second)

	// Three students, each in their own browser context (no shared cookies).
	type studentCase struct {
		nick     string
		persona  string // "" takes the first free persona the page offers
		switches []string
		ctx      context.Context
		name     string // the persona's name, read from the page
	}
	students := []*studentCase{
		{nick: "Red team", persona: world.HeroID, switches: []string{"cash", "no_loyalty"}},
		{nick: "Blue team"},
		{nick: "Green team 3", switches: []string{"location_off", "wifi_off", "no_wristband"}},
	}
	var mu sync.Mutex
	var studentErrs []string
	for i, s := range students {
		sctx, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		s.ctx = sctx
		err := chromedp.Listen(sctx, func(ev any) {
			if e, ok := ev.(*runtime.EventExceptionThrown); ok && e.ExceptionDetails != nil {
				mu.Lock()
				studentErrs = append(studentErrs, e.ExceptionDetails.Text)
				mu.Unlock()
			}
		})
		if err != nil {
			t.Fatalf("open a browser context for student %d: %v", i, err)
		}
		do(t, sctx, "open the student page", chromedp.Navigate(url+"/class"))
		poll(t, sctx, "the personas", `!document.querySelector('#join').hidden && document.querySelectorAll('#persona option').length > 2 && document.querySelectorAll('#switches input').length === 8`, 10*time.Second)
		if i == 2 {
			// A nickname that is markup is refused, with a clear message.
			do(t, sctx, "a bad nickname", chromedp.SendKeys(`#nickname`, `<b>x</b>`), chromedp.Click(`#join-btn`))
			poll(t, sctx, "the refusal", `document.querySelector('#join-error').textContent.includes('letters')`, 5*time.Second)
			do(t, sctx, "clear the nickname", chromedp.Evaluate[chromedp.Void](`document.querySelector('#nickname').value = ''`))
		}
		if s.persona != "" {
			do(t, sctx, "pick the persona", chromedp.SetValue(`#persona`, s.persona),
				chromedp.Evaluate[chromedp.Void](`document.querySelector('#persona').dispatchEvent(new Event('change'))`))
		}
		// Every switch off but the chosen ones.
		do(t, sctx, "set the switches", chromedp.Evaluate[chromedp.Void](`(() => {
			const on = `+jsList(s.switches)+`;
			for (const i of document.querySelectorAll('#switches input')) i.checked = on.includes(i.name);
		})()`))
		s.persona = eval[string](t, sctx, `document.querySelector('#persona').value`)
		s.name = s.persona
		do(t, sctx, "join", chromedp.SendKeys(`#nickname`, s.nick), chromedp.Click(`#join-btn`))
		poll(t, sctx, "the waiting screen", `!document.querySelector('#waiting').hidden && document.querySelector('#join').hidden`, 10*time.Second)
		if got := eval[string](t, sctx, `document.querySelector('#waiting-who').textContent`); !strings.Contains(got, s.nick) {
			t.Errorf("student %d waits as %q, want their nickname %q", i, got, s.nick)
		}
	}
	if students[1].persona == students[0].persona || students[2].persona == students[1].persona || students[2].persona == students[0].persona {
		t.Fatalf("two students got the same persona: %s, %s, %s", students[0].persona, students[1].persona, students[2].persona)
	}
	for _, s := range students {
		s.name = r.world.Person(s.persona).Name
	}

	// The teacher sees the class, presses Play, then Reveal.
	poll(t, ctx, "three students on the projector", `document.querySelectorAll('#class-students li').length === 3`, 10*time.Second)
	if !r.clock.Paused() {
		t.Fatal("the day started before the teacher pressed Play")
	}
	do(t, ctx, "press Play", chromedp.Click(`#btn-pause`))
	for deadline := time.Now().Add(10 * time.Second); r.clock.Paused(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Play did not start the day")
		}
	}
	do(t, ctx, "open the class tab", chromedp.Click(`#tab-class-btn`))
	do(t, ctx, "reveal", chromedp.Click(`#class-reveal`))
	poll(t, ctx, "the results table", `!document.querySelector('#class-results').hidden && document.querySelectorAll('#class-results tbody tr').length === 3`, 60*time.Second)
	table := eval[string](t, ctx, `document.querySelector('#class-results').innerText`)
	for _, s := range students {
		if !strings.Contains(table, s.nick) || !strings.Contains(table, s.name) {
			t.Errorf("the projector's table misses %s (%s):\n%s", s.nick, s.name, table)
		}
	}
	hero := eval[string](t, ctx, `document.querySelector('#class-results tr[data-persona="hero"]').innerText`)
	if !strings.Contains(hero, "yes") || !strings.Contains(hero, "Home") {
		t.Errorf("the hero's row should say she was identified and how:\n%s", hero)
	}

	// Each student reads their own report.
	for i, s := range students {
		poll(t, s.ctx, "the report", `!document.querySelector('#report').hidden`, 15*time.Second)
		who := eval[string](t, s.ctx, `document.querySelector('#report-who').textContent`)
		if !strings.Contains(who, s.nick) || !strings.Contains(who, s.name) {
			t.Errorf("student %d's report is about %q, want %s playing %s", i, who, s.nick, s.name)
		}
		for _, o := range students {
			if o != s && strings.Contains(who, o.nick) {
				t.Errorf("student %d's report names %s", i, o.nick)
			}
		}
		if !strings.Contains(eval[string](t, s.ctx, `document.querySelector('#report-score').textContent`), "Exposure score") {
			t.Errorf("student %d's report has no exposure score", i)
		}
	}
	s0 := students[0]
	if n := eval[int](t, s0.ctx, `document.querySelectorAll('#report-facts li .why').length`); n < 3 {
		t.Errorf("the hero's report has %d facts with their evidence, want several", n)
	}
	if who := eval[string](t, s0.ctx, `document.querySelector('#report-who').textContent`); !strings.Contains(who, "Pay cash") {
		t.Errorf("the hero's report should list her switches: %q", who)
	}

	// The report prints: no page chrome, and one page.
	do(t, s0.ctx, "print media", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return chromedp.Void{}, err
	})
	if d := eval[string](t, s0.ctx, `getComputedStyle(document.querySelector('header')).display + ' ' + getComputedStyle(document.querySelector('#print')).display`); d != "none none" {
		t.Errorf("printed, the header and the print button show (%s)", d)
	}
	pdf, err := chromedp.Run(s0.ctx, chromedp.PrintToPDF(chromedp.PDFPreferCSSPageSize()))
	if err != nil {
		t.Fatalf("print to PDF: %v", err)
	}
	pages := 0
	for _, m := range regexp.MustCompile(`/Count (\d+)`).FindAllSubmatch(pdf, -1) {
		if n, _ := strconv.Atoi(string(m[1])); n > pages {
			pages = n
		}
	}
	if pages != 1 {
		t.Errorf("the report prints on %d pages, want 1", pages)
	}

	if errs := exceptions(); len(errs) > 0 {
		t.Errorf("the projector threw: %v", errs)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(studentErrs) > 0 {
		t.Errorf("a student's page threw: %v", studentErrs)
	}
}

// jsList writes a list of plain words as a JavaScript array.
func jsList(words []string) string {
	return "[" + strings.Join(append([]string{}, quoteAll(words)...), ",") + "]"
}

func quoteAll(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = `"` + w + `"`
	}
	return out
}
