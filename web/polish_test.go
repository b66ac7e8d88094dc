package web

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"exhaust/world"
)

var update = flag.Bool("update", false, "TestScreenshot writes docs/classroom.png again, from the default city's day")

// placeID is how the simulation names its places: "mall:forum-des-halles".
var placeID = regexp.MustCompile(`[a-z]+:[a-z0-9-]+`)

// servePlayed plays day 1 of a small city as fast as possible, to its end,
// and serves the page over what it left: the run is over, so nothing
// changes while the test looks.
func servePlayed(t *testing.T) (*run, string) {
	t.Helper()
	r := newRun(t, 1, true, 1)
	r.play(t)
	// The population view is refreshed every popEvery at most: wait for
	// the one of the whole day.
	deadline := time.Now().Add(3 * popEvery)
	for {
		sn := r.page.session.read(world.HeroID, 0, 0)
		var pop struct {
			Events uint64 `json:"events"`
		}
		if sn.pop != nil && json.Unmarshal(sn.pop, &pop) == nil && pop.Events == sn.events && pop.Events > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the population view still counts %d events of %d", pop.Events, sn.events)
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts := httptest.NewServer(r.page.Handler())
	t.Cleanup(func() {
		ts.CloseClientConnections() // the live streams never end on their own
		ts.Close()
	})
	return r, ts.URL
}

// placeNames reads the city's place names from the page's /city.json: the
// names the page may show instead of ids.
func placeNames(t *testing.T, url string) map[string]string {
	t.Helper()
	resp, err := http.Get(url + "/city.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c struct {
		Places   []struct{ ID, Name string } `json:"places"`
		Stations []struct{ ID, Name string } `json:"stations"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, p := range append(c.Places, c.Stations...) {
		if p.Name != "" && p.Name != p.ID {
			names[p.ID] = p.Name
		}
	}
	return names
}

// openAllEvidence opens every fact's "why?" (each click redraws the facts:
// find the button again each time).
const openAllEvidence = `(() => {
	for (const name of Array.from(document.querySelectorAll('#facts .fact')).map((e) => e.dataset.fact)) {
		const card = document.querySelector('#facts .fact[data-fact="' + name + '"]');
		if (card && !card.querySelector('.why')) card.querySelector('.why-btn').click();
	}
	return document.querySelectorAll('#facts .why').length;
})()`

// pageText is what the page shows as text in its three columns.
const pageText = `['left', 'center', 'right'].map((id) => document.getElementById(id).innerText).join('\n')`

// overlaps lists the pairs of visible elements matching the selector, one
// of them a label, whose boxes overlap, as "text | text".
const overlaps = `((sel) => {
	const els = Array.from(document.querySelectorAll(sel)).filter((e) => getComputedStyle(e).display !== 'none')
		.map((e) => ({ e, r: e.getBoundingClientRect() })).filter((x) => x.r.width > 0);
	const out = [];
	for (let i = 0; i < els.length; i++) for (let j = i + 1; j < els.length; j++) {
		const a = els[i].r, b = els[j].r;
		if (els[i].e.tagName !== 'text' && els[j].e.tagName !== 'text') continue; // two marks may coincide: they are data
		if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) out.push((els[i].e.textContent || els[i].e.getAttribute('class')) + ' | ' + (els[j].e.textContent || els[j].e.getAttribute('class')));
	}
	return out;
})`

// TestBrowserPolish checks, in headless Chromium over a played day, what a
// teacher's tryout found rough: places are shown by name, never by id; one
// money format per language; the map fills its panel at common projector
// sizes; labels never overlap; ?static=1 renders one snapshot and closes
// the stream.
func TestBrowserPolish(t *testing.T) {
	ctx, exceptions := browser(t, 90*time.Second)
	_, url := servePlayed(t)
	names := placeNames(t, url)
	if len(names) < 10 {
		t.Fatalf("/city.json names %d places", len(names))
	}
	do(t, ctx, "open the page", chromedp.Navigate(url))
	poll(t, ctx, "the hero's places and money", `['places', 'spending', 'shopping'].every((f) => !!document.querySelector('#facts .fact[data-fact="' + f + '"]'))`, 20*time.Second)

	t.Run("places by name", func(t *testing.T) {
		// Every place of the city, through the page's own formatting.
		var ids []string
		for id := range names {
			ids = append(ids, id)
		}
		js, _ := json.Marshal(ids)
		got := eval[map[string]string](t, ctx, `Object.fromEntries(`+string(js)+`.map((id) => [id, I18N.server('en', 'places: ' + id + ' 5 min, ' + id + ' (paid 1 time)') + ' / ' + I18N.placeName(id)]))`)
		for id, name := range names {
			if want := fmt.Sprintf("places: %s 5 min, %s (paid 1 time) / %s", name, name, name); got[id] != want {
				t.Errorf("%s is shown as %q, want %q", id, got[id], want)
			}
		}
		for _, lang := range []string{"en", "fr"} {
			if eval[string](t, ctx, `document.documentElement.lang`) != lang {
				do(t, ctx, "switch language", chromedp.Click(chromedp.ID("lang")))
				poll(t, ctx, lang, `document.documentElement.lang === '`+lang+`'`, 5*time.Second)
			}
			if n := eval[int](t, ctx, openAllEvidence); n == 0 {
				t.Fatal("no evidence opened")
			}
			text := eval[string](t, ctx, pageText)
			for _, id := range placeID.FindAllString(text, -1) {
				if name, ok := names[id]; ok {
					t.Errorf("%s: the page shows the id %s where the city names it %q", lang, id, name)
				}
			}
			places := eval[string](t, ctx, `document.querySelector('#facts .fact[data-fact="places"] .fact-text').textContent`)
			if placeID.MatchString(places) {
				t.Errorf("%s: the places fact reads %q", lang, places)
			}
		}
	})

	t.Run("everyone's places by name", func(t *testing.T) {
		personas := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('#persona option')).map((o) => o.value)`)
		if len(personas) != testPersons {
			t.Fatalf("%d personas in the picker, want %d", len(personas), testPersons)
		}
		for _, id := range personas {
			do(t, ctx, "pick "+id, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('#persona'); s.value = '`+id+`'; s.dispatchEvent(new Event('change')); })()`))
			poll(t, ctx, id+"'s facts", `document.querySelectorAll('#timeline .ev').length > 0 && document.querySelectorAll('#facts .fact').length > 0`, 10*time.Second)
			eval[int](t, ctx, openAllEvidence)
			for _, m := range placeID.FindAllString(eval[string](t, ctx, pageText), -1) {
				if name, ok := names[m]; ok {
					t.Errorf("%s: the page shows the id %s where the city names it %q", id, m, name)
				}
			}
		}
		do(t, ctx, "back to the hero", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('#persona'); s.value = 'hero'; s.dispatchEvent(new Event('change')); })()`))
		poll(t, ctx, "the hero's money", `!!document.querySelector('#facts .fact[data-fact="spending"]')`, 10*time.Second)
	})

	t.Run("one money format per language", func(t *testing.T) {
		cases := []struct{ name, expr, want string }{
			{"English euros", `I18N.euros('en', 9390)`, "€93.90"},
			{"French euros", `I18N.euros('fr', 9390)`, "93,90 €"},
			{"English thousands", `I18N.euros('en', 123450)`, "€1,234.50"},
			{"the beast's sentence in English", `I18N.server('en', 'spending: 1 234,50 € in 3 card payments — books 53,70 €, refund -8,60 €')`, "spending: €1,234.50 in 3 card payments — books €53.70, refund -€8.60"},
			{"the beast's sentence in French", `I18N.server('fr', 'spending: 93,90 € in 3 card payments')`, "spending: 93,90 € in 3 card payments"},
			{"a spending fact in English", `I18N.factText('en', {name: 'spending', display: 'spending: 93,90 €', value: {total_cents: 9390, payments: 3, by_category: [{category: 'books', cents: 5370}, {category: 'fast_food', cents: 860}]}})`, "spending: €93.90 in 3 card payments — books €53.70, fast food €8.60"},
			{"a shopping fact in French", `I18N.factText('fr', {name: 'shopping', value: {total_cents: 6230, baskets: 2, chains: [{chain: 'fnac', cents: 5370, items: 3}]}})`, "62,30 € en 2 tickets fidélité — fnac 53,70 € (3 articles)"},
		}
		for _, c := range cases {
			got := eval[string](t, ctx, `(`+c.expr+`).replace(/\s/g, ' ')`)
			if got != c.want {
				t.Errorf("%s: %q, want %q", c.name, got, c.want)
			}
		}
		french := regexp.MustCompile(`\d,\d\d[\s\x{a0}\x{202f}]€`)
		english := regexp.MustCompile(`€\d`)
		for _, lang := range []string{"en", "fr"} {
			if eval[string](t, ctx, `document.documentElement.lang`) != lang {
				do(t, ctx, "switch language", chromedp.Click(chromedp.ID("lang")))
				poll(t, ctx, lang, `document.documentElement.lang === '`+lang+`'`, 5*time.Second)
			}
			eval[int](t, ctx, openAllEvidence)
			text := eval[string](t, ctx, pageText)
			want, wrong := english, french
			if lang == "fr" {
				want, wrong = french, english
			}
			if !want.MatchString(text) {
				t.Errorf("%s: no amount in the page's format %s", lang, want)
			}
			if m := wrong.FindAllString(text, 5); m != nil {
				t.Errorf("%s: amounts in the other language's format: %q", lang, m)
			}
		}
	})

	t.Run("the map fills its panel", func(t *testing.T) {
		do(t, ctx, "the map tab", chromedp.Click(chromedp.CSS(`#tabs button[data-tab="map"]`)))
		for _, size := range [][2]int64{{1280, 720}, {1600, 1000}, {1920, 1080}} {
			do(t, ctx, "resize", chromedp.EmulateViewport(size[0], size[1]), chromedp.Click(chromedp.CSS(`#map-tools button[data-zoom="city"]`)))
			var got struct{ Cover, Width, Lines float64 }
			raw := eval[string](t, ctx, `(() => {
				const p = document.querySelector('#tab-map').getBoundingClientRect();
				let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
				for (const n of ['homes', 'lines', 'towers', 'stations', 'places']) {
					const r = document.querySelector('#map .' + n).getBoundingClientRect();
					x0 = Math.min(x0, r.left); y0 = Math.min(y0, r.top); x1 = Math.max(x1, r.right); y1 = Math.max(y1, r.bottom);
				}
				const w = Math.max(0, Math.min(x1, p.right) - Math.max(x0, p.left)), h = Math.max(0, Math.min(y1, p.bottom) - Math.max(y0, p.top));
				const l = document.querySelector('#map .lines').getBoundingClientRect();
				return JSON.stringify({Cover: w * h / (p.width * p.height), Width: w / p.width, Lines: l.width / p.width});
			})()`)
			if err := json.Unmarshal([]byte(raw), &got); err != nil {
				t.Fatal(err)
			}
			if got.Cover < 0.6 || got.Width < 0.95 || got.Lines < 0.7 {
				t.Errorf("at %d×%d the city covers %.0f%% of the map's panel (%.0f%% of its width, the metro %.0f%%): want most of it", size[0], size[1], 100*got.Cover, 100*got.Width, 100*got.Lines)
			}
		}
		do(t, ctx, "back to the projector", chromedp.EmulateViewport(1280, 720))
	})

	t.Run("labels never overlap", func(t *testing.T) {
		for _, zoom := range []string{"city", "person", "mall"} {
			do(t, ctx, "zoom", chromedp.Click(chromedp.CSS(`#map-tools button[data-zoom="`+zoom+`"]`)))
			if got := eval[[]string](t, ctx, overlaps+`('#map .labels text')`); len(got) > 0 {
				t.Errorf("%s zoom: map labels overlap: %q", zoom, got)
			}
		}
		do(t, ctx, "the population tab", chromedp.Click(chromedp.CSS(`#tabs button[data-tab="population"]`)))
		poll(t, ctx, "the unicity curve", `document.querySelectorAll('#unicity .ours-dot').length === 6`, 10*time.Second)
		if got := eval[[]string](t, ctx, overlaps+`('#unicity text, #unicity .ours-dot, #unicity path.paper')`); len(got) > 0 {
			t.Errorf("the unicity chart's labels overlap: %q", got)
		}
		if got := eval[[]string](t, ctx, `(() => {
			const box = document.querySelector('#unicity svg').getBoundingClientRect();
			return Array.from(document.querySelectorAll('#unicity text')).filter((e) => {
				const r = e.getBoundingClientRect();
				return r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5;
			}).map((e) => e.textContent);
		})()`); len(got) > 0 {
			t.Errorf("the unicity chart's labels run off it: %q", got)
		}
		do(t, ctx, "the map tab", chromedp.Click(chromedp.CSS(`#tabs button[data-tab="map"]`)))
	})

	t.Run("static snapshot", func(t *testing.T) {
		do(t, ctx, "open ?static=1", chromedp.Navigate(url+"/?static=1"))
		poll(t, ctx, "the snapshot", `document.documentElement.dataset.snapshot === 'ready'`, 10*time.Second)
		if n := eval[int](t, ctx, `document.querySelectorAll('#facts .fact').length`); n < 5 {
			t.Errorf("the snapshot shows %d facts", n)
		}
		if n := eval[int](t, ctx, `document.querySelectorAll('#timeline .ev').length`); n == 0 {
			t.Error("the snapshot shows no events")
		}
		if n := eval[int](t, ctx, `document.getAnimations().length`); n != 0 {
			t.Errorf("%d animations run in the snapshot", n)
		}
	})
	if ex := exceptions(); len(ex) > 0 {
		t.Errorf("the page threw %d JavaScript exceptions: %s", len(ex), strings.Join(ex, "; "))
	}
}

// TestScreenshot takes the page as docs/classroom.png shows it: the
// hero's Sunday up to the evening, the evidence of her home open, the map
// zoomed on her, in a ?static=1 snapshot at 1280×720. With -update it plays
// the default city to a quarter past three and writes docs/classroom.png:
//
//	EXHAUST_BROWSER_TESTS=1 go test ./web -run TestScreenshot -update
//
// otherwise it takes the small city's played day, and only checks that the
// screenshot can be taken.
func TestScreenshot(t *testing.T) {
	ctx, exceptions := browser(t, 120*time.Second)
	var url string
	if *update {
		url = heroEvening(t, ctx)
	} else {
		_, url = servePlayed(t)
	}
	do(t, ctx, "open ?static=1", chromedp.Navigate(url+"/?static=1"))
	poll(t, ctx, "the snapshot", `document.documentElement.dataset.snapshot === 'ready' && !!document.querySelector('#facts .fact[data-fact="home"]')`, 10*time.Second)
	do(t, ctx, "open home's evidence, the legend, zoom on her", chromedp.Click(chromedp.CSS(`#facts .fact[data-fact="home"] .why-btn`)),
		chromedp.Click(chromedp.ID("legend-toggle")), chromedp.Click(chromedp.CSS(`#map-tools button[data-zoom="person"]`)))
	// Show the Starbucks moment's header: as a teacher who scrolled up would.
	do(t, ctx, "scroll to the café", chromedp.Evaluate[chromedp.Void](`document.querySelector('.group[data-group="6"]').scrollIntoView()`))
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("the screenshot is no PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 720 {
		t.Errorf("the screenshot is %d×%d, want 1280×720", b.Dx(), b.Dy())
	}
	if ex := exceptions(); len(ex) > 0 {
		t.Errorf("the page threw %d JavaScript exceptions: %s", len(ex), strings.Join(ex, "; "))
	}
	if *update {
		if err := os.WriteFile("../docs/classroom.png", shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote ../docs/classroom.png (%d bytes)", len(shot))
		return
	}
	t.Run("a virtual time budget ends", func(t *testing.T) {
		// What a teacher would type: with the live stream open, the budget
		// never runs out; ?static=1 closes it.
		dir := t.TempDir()
		out := filepath.Join(dir, "page.png")
		cctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(cctx, chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
			"--user-data-dir="+filepath.Join(dir, "profile"), "--window-size=1280,720", "--hide-scrollbars",
			"--virtual-time-budget=5000", "--screenshot="+out, url+"/?static=1")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("chromium --screenshot --virtual-time-budget: %v\n%s", err, b)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("the screenshot is no PNG: %v", err)
		}
		if cfg.Width != 1280 || cfg.Height != 720 {
			t.Errorf("the screenshot is %d×%d, want 1280×720", cfg.Width, cfg.Height)
		}
	})
}

// heroEvening plays the default city's day 1 at the demo's speed, jumps to
// the hero's evening (everything earlier flushes through at once) and lets
// it run to a quarter past three, on her way home; it returns the page's
// address, the run still playing.
func heroEvening(t *testing.T, ctx context.Context) string {
	t.Helper()
	r := newRunOf(t, world.DefaultPersons, 0, false, 240)
	url := r.serve(t)
	do(t, ctx, "open the page", chromedp.Navigate(url))
	poll(t, ctx, "the first events", `document.querySelectorAll('#timeline .ev').length > 0`, 20*time.Second)
	jump(t, url, world.MomentEvening)
	poll(t, ctx, "the hero's evening", `document.querySelectorAll('#facts .fact').length >= 12 && document.querySelector('.group.current') && document.querySelector('.group.current').dataset.group === '7'`, 60*time.Second)
	poll(t, ctx, "the promotions", `document.querySelectorAll('#phone-notes .note').length > 0`, 20*time.Second)
	poll(t, ctx, "a quarter past three", `/ 15:(1[5-9]|[2-5]\d)/.test(document.querySelector('#clock-time').textContent)`, 30*time.Second)
	return url
}
