package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"exhaust/event"
	"exhaust/world"
)

// chromium finds the browser: $EXHAUST_CHROMIUM, else Debian's chromium.
func chromium() string {
	if p := os.Getenv("EXHAUST_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser starts a headless Chromium for one test, 1280×720 like a
// projector. Without a browser the test is skipped, unless
// EXHAUST_BROWSER_TESTS=1 (CI), where it fails. exceptions collects the
// page's uncaught JavaScript exceptions.
func browser(t *testing.T, timeout time.Duration) (ctx context.Context, exceptions func() []string) {
	t.Helper()
	path := chromium()
	if path == "" {
		if os.Getenv("EXHAUST_BROWSER_TESTS") == "1" {
			t.Fatal("no Chromium found (apt-get install chromium, or set EXHAUST_CHROMIUM) and EXHAUST_BROWSER_TESTS=1")
		}
		t.Skip("no Chromium found: apt-get install chromium (or set EXHAUST_CHROMIUM) to run the browser tests")
	}
	dir, err := os.MkdirTemp("", "exhaust-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(1280, 720),
	)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	var mu sync.Mutex
	var thrown []string
	err = chromedp.Listen(bctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok && e.ExceptionDetails != nil {
			msg := e.ExceptionDetails.Text
			if x := e.ExceptionDetails.Exception; x != nil {
				msg += " " + x.Description
			}
			mu.Lock()
			thrown = append(thrown, msg)
			mu.Unlock()
		}
	})
	ctx, cancel := context.WithTimeout(bctx, timeout)
	t.Cleanup(func() {
		cancel()
		_ = chromedp.Cancel(bctx)
		cancelBrowser()
		cancelAlloc()
		_ = os.RemoveAll(dir) // best effort: Chromium's helpers may still be writing
	})
	if err != nil {
		t.Fatalf("start Chromium (%s): %v", path, err)
	}
	// The window size includes what a headed window would draw around the
	// page: fix the viewport itself to the projector's 1280×720.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 720)); err != nil {
		t.Fatalf("set the viewport: %v", err)
	}
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), thrown...)
	}
}

// serve plays r in the background and serves its page.
func (r *run) serve(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = r.runner.Run(ctx)
	}()
	ts := httptest.NewServer(r.page.Handler())
	t.Cleanup(func() {
		cancel()
		<-done
		ts.CloseClientConnections() // the live streams never end on their own
		ts.Close()
	})
	return ts.URL
}

// poll waits until the JavaScript expression is truthy.
func poll(t *testing.T, ctx context.Context, what, expr string, timeout time.Duration) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		t.Fatalf("waiting for %s (%s): %v", what, expr, err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func do(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// scriptEvent is a valid phone.search event of the hero whose query is
// markup: the page must show it as text, and nothing in it may run.
func scriptEvent(t *testing.T, w *world.World, at time.Time) []byte {
	t.Helper()
	return scriptEventWithID(t, w, at, "0badc0de-0000-4000-8000-000000000001")
}

// scriptEventWithID is scriptEvent with another event id.
func scriptEventWithID(t *testing.T, w *world.World, at time.Time, id string) []byte {
	t.Helper()
	hero := w.Person(world.HeroID)
	data := map[string]any{
		"ids":   []event.ID{{Kind: event.ADID, Value: hero.Phone.ADID}},
		"topic": "test",
		"query": `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">`,
	}
	ev := event.New(id, "phone", "search", at, data)
	b, err := ev.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBrowser drives the page in headless Chromium against a real run: it
// loads, the hero's facts appear as the day runs, jumping to a moment
// flushes the morning through, an event carrying a script tag is shown as
// text and never runs, the language switch turns the page French, and
// switching the hero to cash and no loyalty card then replaying lowers her
// exposure score, and a preset of the dirty-data panel puts its plan in
// force in the run.
func TestBrowser(t *testing.T) {
	ctx, exceptions := browser(t, 90*time.Second)
	r := newRun(t, 0, false, 4000)
	url := r.serve(t)

	t.Run("loads", func(t *testing.T) {
		do(t, ctx, "open the page", chromedp.Navigate(url))
		poll(t, ctx, "the map", `document.querySelectorAll('#map .station').length > 50 && document.querySelectorAll('#map .line').length > 3`, 10*time.Second)
		poll(t, ctx, "the hero's first events", `document.querySelectorAll('#timeline .ev').length > 0`, 10*time.Second)
		if got := eval[string](t, ctx, `document.querySelector('#persona').value`); got != world.HeroID {
			t.Errorf("the persona picker starts on %q, want the hero", got)
		}
	})
	t.Run("facts appear as the day runs", func(t *testing.T) {
		poll(t, ctx, "home and sleep", `!!document.querySelector('#facts .fact[data-fact="home"]') && !!document.querySelector('#facts .fact[data-fact="sleep"]')`, 30*time.Second)
		// Live updates re-render the facts: a click on a node being
		// replaced is lost, so click the current button until "why" is open.
		poll(t, ctx, "home's evidence", `(() => {
			const f = document.querySelector('#facts .fact[data-fact="home"]');
			if (!f) return false;
			const why = f.querySelector('.why');
			if (!why) { f.querySelector('.why-btn').click(); return false; }
			return /T\d+/.test(why.textContent) && document.querySelectorAll('#map .tower.hl').length > 0;
		})()`, 5*time.Second)
	})
	t.Run("jump to a moment", func(t *testing.T) {
		// Slow enough that only the jump can bring the Fnac basket in time.
		do(t, ctx, "slow down", chromedp.Evaluate[chromedp.Void](`fetch('/control/speed', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{"speed": 60}'})`))
		poll(t, ctx, "the speed shown", `document.querySelector('#speed').textContent === '×60'`, 5*time.Second)
		if n := eval[int](t, ctx, `document.querySelectorAll('#jump option[value="starbucks"]').length`); n != 1 {
			t.Fatalf("%d starbucks options in the jump list", n)
		}
		do(t, ctx, "jump to starbucks", chromedp.Evaluate[chromedp.Void](
			`(() => { const s = document.querySelector('#jump'); s.value = 'starbucks'; s.dispatchEvent(new Event('change')); })()`))
		poll(t, ctx, "the Fnac basket's facts", `!!document.querySelector('#facts .fact[data-fact="shopping"]') && !!document.querySelector('#facts .fact[data-fact="interests"]')`, 10*time.Second)
		poll(t, ctx, "the moment", `document.querySelector('#clock-moment').textContent === 'At Starbucks'`, 5*time.Second)
		poll(t, ctx, "a promotion on the phone", `document.querySelectorAll('#phone-notes .note').length > 0`, 10*time.Second)
		do(t, ctx, "speed up again", chromedp.Evaluate[chromedp.Void](`fetch('/control/speed', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{"speed": 4000}'})`))
	})
	t.Run("a script tag in an event is only text", func(t *testing.T) {
		r.page.Tap("exhaust.phone.search", "0badc0de-0000-4000-8000-000000000001", scriptEvent(t, r.world, r.clock.Now()))
		poll(t, ctx, "the event in the timeline", `Array.from(document.querySelectorAll('#timeline .txt')).some(e => e.textContent.includes('<script>window.__pwned'))`, 10*time.Second)
		if got := eval[string](t, ctx, `typeof window.__pwned`); got != "undefined" {
			t.Errorf("window.__pwned is %s: the event's markup ran", got)
		}
		if n := eval[int](t, ctx, `document.querySelectorAll('#timeline script, #timeline img').length`); n != 0 {
			t.Errorf("%d script or img elements in the timeline: the event became markup", n)
		}
	})
	t.Run("language switch", func(t *testing.T) {
		do(t, ctx, "switch to French", chromedp.Click(chromedp.ID("lang")))
		poll(t, ctx, "French", `document.documentElement.lang === 'fr' && document.querySelector('#right-title').textContent === 'Ce que la bête a deviné'`, 5*time.Second)
		title := eval[string](t, ctx, `document.querySelector('#facts .fact[data-fact="home"] .fact-title').textContent`)
		if title != "Domicile" {
			t.Errorf("the home fact is titled %q in French, want Domicile", title)
		}
		if got := eval[string](t, ctx, `localStorage.getItem('exhaust.lang')`); got != "fr" {
			t.Errorf("the choice is remembered as %q, want fr", got)
		}
		do(t, ctx, "back to English", chromedp.Click(chromedp.ID("lang")))
		poll(t, ctx, "English", `document.documentElement.lang === 'en' && document.querySelector('#right-title').textContent === 'What the beast has inferred'`, 5*time.Second)
	})
	t.Run("a privacy toggle and a replay lower the exposure", func(t *testing.T) {
		do(t, ctx, "open the challenge", chromedp.Click(chromedp.CSS(`#tabs button[data-tab="challenge"]`)))
		for _, key := range []string{"cash", "no_loyalty"} {
			do(t, ctx, "switch "+key, chromedp.Click(chromedp.CSS(`#toggles input[data-toggle="`+key+`"]`)))
		}
		if !eval[bool](t, ctx, `document.querySelector('#toggles input[data-toggle="location_off"]').checked`) {
			t.Error("location services are not off by default for the hero")
		}
		do(t, ctx, "replay", chromedp.Click(chromedp.ID("replay")))
		poll(t, ctx, "the comparison", `!!document.querySelector('#whatif-score-after')`, 30*time.Second)
		var scores struct{ Before, After string }
		raw := eval[string](t, ctx, `JSON.stringify({Before: document.querySelector('#whatif-score-before').textContent, After: document.querySelector('#whatif-score-after').textContent})`)
		if err := json.Unmarshal([]byte(raw), &scores); err != nil {
			t.Fatal(err)
		}
		before, after := parseNum(t, scores.Before), parseNum(t, scores.After)
		if !(after < before) {
			t.Errorf("exposure %v before, %v after: want lower", before, after)
		}
		if got := eval[string](t, ctx, `(document.querySelector('.change[data-fact="spending"]') || {dataset: {}}).dataset.status || ''`); got != "gone" {
			t.Errorf("spending is %q after paying cash, want gone", got)
		}
		home := eval[string](t, ctx, `(document.querySelector('.change[data-fact="home"]') || {dataset: {}}).dataset.status || ''`)
		if home != "survived" && home != "weakened" {
			t.Errorf("home is %q with location off, want survived (the cell towers still place her)", home)
		}
	})
	t.Run("dirty data: a preset reaches the run", func(t *testing.T) {
		poll(t, ctx, "the dirty-data toggle", `!document.querySelector('#btn-faults').hidden`, 5*time.Second)
		if !eval[bool](t, ctx, `document.querySelector('#faults-panel').hidden`) {
			t.Error("the dirty-data panel is open before the teacher opens it")
		}
		do(t, ctx, "open the panel", chromedp.Click(chromedp.ID("btn-faults")))
		poll(t, ctx, "the panel", `!document.querySelector('#faults-panel').hidden && document.querySelector('#faults-plan').textContent === 'In force: none, clean data'`, 5*time.Second)
		do(t, ctx, "repeat 25% of the events", chromedp.Click(chromedp.CSS(`#fault-knobs button[data-fault="duplicate"][data-rate="25"]`)))
		poll(t, ctx, "the plan shown", `document.querySelector('#faults-plan').dataset.plan === 'all:duplicate=25%' &&
			document.querySelector('#fault-knobs button[data-fault="duplicate"][data-rate="25"]').getAttribute('aria-pressed') === 'true'`, 5*time.Second)
		if got := r.runner.Faults().String(); got != "all:duplicate=25%" {
			t.Errorf("the run does %q, want all:duplicate=25%%", got)
		}
		poll(t, ctx, "repeats counted", `Number(document.querySelector('#faults-counts [data-count="done-duplicate"] b').textContent.replace(/\D/g, '')) > 0`, 10*time.Second)
		if got := eval[string](t, ctx, `document.querySelector('#faults-accuracy').textContent`); !strings.Contains(got, "%") {
			t.Errorf("the panel's accuracy reads %q, want percentages", got)
		}
		do(t, ctx, "switch to French", chromedp.Click(chromedp.ID("lang")))
		poll(t, ctx, "the panel in French", `document.querySelector('#btn-faults').title === 'Données sales' && document.querySelector('#faults-plan').textContent === 'En vigueur : all:duplicate=25%'`, 5*time.Second)
		do(t, ctx, "back to English", chromedp.Click(chromedp.ID("lang")))
		do(t, ctx, "clean data again", chromedp.Click(chromedp.CSS(`#fault-knobs button[data-fault="duplicate"][data-rate="0"]`)))
		poll(t, ctx, "no plan", `document.querySelector('#faults-plan').dataset.plan === ''`, 5*time.Second)
		if !r.runner.Faults().IsZero() {
			t.Errorf("the run still does %q", r.runner.Faults())
		}
	})
	if ex := exceptions(); len(ex) > 0 {
		t.Errorf("the page threw %d JavaScript exceptions: %s", len(ex), strings.Join(ex, "; "))
	}
}

// jump asks the page's control endpoint to jump to a moment of day 1.
func jump(t *testing.T, url, moment string) {
	t.Helper()
	resp, err := http.Post(url+"/control/jump", "application/json", strings.NewReader(`{"moment":"`+moment+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("jump to %s: %s", moment, resp.Status)
	}
}

func parseNum(t *testing.T, s string) float64 {
	t.Helper()
	var v float64
	if err := json.Unmarshal([]byte(strings.ReplaceAll(strings.TrimSpace(s), ",", "")), &v); err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return v
}
