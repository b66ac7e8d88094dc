package score_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"exhaust/aggregator/obs"
	"exhaust/aggregator/score"
	"exhaust/event"
	"exhaust/meaning"
)

var day = time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)

// cell is a phone.cell record of SIM imsi served by tower at hour h.
func cell(imsi, tower string, h int) *obs.Record {
	return (&obs.Record{
		ID: fmt.Sprintf("ev-%s-%s-%d", imsi, tower, h), Type: "phone.cell", Time: day.Add(time.Duration(h)*time.Hour + 17*time.Minute),
		IDs:   []event.ID{{Kind: event.IMSI, Value: imsi}, {Kind: event.IMEI, Value: "35" + imsi}},
		Means: []meaning.Meaning{radio},
	}).Set("tower", tower)
}

// radio is what a cell report means, as the phone producer declares it.
var radio = meaning.Radio{Of: event.IMSI, Emitter: "tower", List: "measurements", EmitterKey: "tower", StrengthKey: "rssi_dbm"}

// traces builds traces from (imsi → towers by hour) tables.
func traces(t *testing.T, m map[string][]string) *score.Traces {
	t.Helper()
	tr := score.NewTraces()
	for imsi, towers := range m {
		for h, tower := range towers {
			if tower != "" {
				tr.Observe(cell(imsi, tower, h))
			}
		}
	}
	return tr
}

func TestUnicity(t *testing.T) {
	tests := []struct {
		name   string
		traces map[string][]string
		p      int
		want   float64
		approx bool // random: only the average over many draws is known
	}{
		{
			name:   "everyone elsewhere: unique from one point",
			traces: map[string][]string{"1": {"T1", "T1", "T2"}, "2": {"T3", "T4", "T4"}, "3": {"T5", "T5", "T5"}},
			p:      1, want: 1,
		},
		{
			name:   "identical traces: nobody unique",
			traces: map[string][]string{"1": {"T1", "T2", "T3"}, "2": {"T1", "T2", "T3"}},
			p:      2, want: 0,
		},
		{
			name: "a trace inside another: the longer one stands out, the shorter not",
			// 2's points are all 1's, so 2 never stands out; 1 does unless
			// the two points drawn are the two it shares (1 chance in 6).
			traces: map[string][]string{"1": {"T1", "T2", "T3", "T4"}, "2": {"T1", "T2", "", ""}},
			p:      2, want: (5.0 / 6) / 2, approx: true,
		},
		{
			name:   "more points than anyone has: no figure",
			traces: map[string][]string{"1": {"T1"}, "2": {"T2"}},
			p:      2, want: 0,
		},
		{
			name: "too short to be drawn, still part of the crowd",
			// Only 1 has two points; 2 holds one of them, not both.
			traces: map[string][]string{"1": {"T1", "T2"}, "2": {"T1"}},
			p:      2, want: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := traces(t, tt.traces)
			if tt.approx {
				got := tr.Unicity(tt.p, 2000, rand.New(rand.NewPCG(1, 2)))
				if got < tt.want-0.03 || got > tt.want+0.03 {
					t.Errorf("Unicity(%d) = %.3f, want about %.3f", tt.p, got, tt.want)
				}
				return
			}
			for _, draws := range []int{0, 1, 50} {
				if got := tr.Unicity(tt.p, draws, rand.New(rand.NewPCG(1, 2))); got != tt.want {
					t.Errorf("Unicity(%d, %d draws) = %.3f, want %.2f", tt.p, draws, got, tt.want)
				}
			}
		})
	}
}

func TestUnicityDeterministic(t *testing.T) {
	m := map[string][]string{}
	for i := range 40 {
		var ts []string
		for h := range 24 {
			ts = append(ts, fmt.Sprintf("T%d", (i*7+h*(i%5+1))%13))
		}
		m[fmt.Sprint(i)] = ts
	}
	tr := traces(t, m)
	a := tr.Unicity(2, 10, rand.New(rand.NewPCG(7, 7)))
	b := tr.Unicity(2, 10, rand.New(rand.NewPCG(7, 7)))
	if a != b {
		t.Errorf("same seed, different unicity: %v, %v", a, b)
	}
	if low, high := tr.Unicity(1, 20, rand.New(rand.NewPCG(1, 1))), tr.Unicity(4, 20, rand.New(rand.NewPCG(1, 1))); low > high {
		t.Errorf("ε1 = %.2f > ε4 = %.2f: more points cannot make a trace less unique", low, high)
	}
}

func TestTracesObserve(t *testing.T) {
	tr := score.NewTraces()
	tr.MaxPoints = 3
	tr.Observe(cell("1", "T1", 0))
	tr.Observe(cell("1", "T1", 0)) // same point
	tr.Observe((&obs.Record{Type: "phone.sms", Time: day, IDs: []event.ID{{Kind: event.IMSI, Value: "1"}}}).Set("tower", "T9"))
	tr.Observe((&obs.Record{Type: "phone.cell", Time: day, IDs: []event.ID{{Kind: event.IMEI, Value: "x"}}, Means: []meaning.Meaning{radio}}).Set("tower", "T9"))
	if got := tr.Points("1"); got != 1 {
		t.Errorf("points = %d, want 1 (duplicates and other records ignored)", got)
	}
	for h := 1; h < 6; h++ {
		tr.Observe(cell("1", "T2", h))
	}
	if got := tr.Points("1"); got != 3 {
		t.Errorf("points = %d, want the cap, 3", got)
	}
	if tr.Len() != 1 {
		t.Errorf("Len = %d, want 1", tr.Len())
	}
}

func TestTracesSaveLoad(t *testing.T) {
	tr := traces(t, map[string][]string{"1": {"T1", "T2", "T3"}, "2": {"T3", "", "T1"}, "3": {"T9"}})
	var b bytes.Buffer
	if err := tr.Save(&b); err != nil {
		t.Fatal(err)
	}
	saved := bytes.Clone(b.Bytes())
	got := score.NewTraces()
	if err := got.Load(&b); err != nil {
		t.Fatal(err)
	}
	var b2 bytes.Buffer
	if err := got.Save(&b2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(saved, b2.Bytes()) {
		t.Error("Save after Load differs")
	}
	for _, p := range []int{1, 2, 3} {
		if a, c := tr.Unicity(p, 0, rand.New(rand.NewPCG(3, 3))), got.Unicity(p, 0, rand.New(rand.NewPCG(3, 3))); a != c {
			t.Errorf("ε%d = %v before, %v after", p, a, c)
		}
	}
	// Both go on the same way.
	tr.Observe(cell("4", "T1", 5))
	got.Observe(cell("4", "T1", 5))
	var c1, c2 bytes.Buffer
	_ = tr.Save(&c1)
	_ = got.Save(&c2)
	if !bytes.Equal(c1.Bytes(), c2.Bytes()) {
		t.Error("loaded traces diverge from the original")
	}
	if err := got.Load(bytes.NewReader([]byte("junk"))); err == nil {
		t.Error("Load of junk succeeded")
	}
}

func BenchmarkUnicity(b *testing.B) {
	tr := score.NewTraces()
	for i := range 2000 {
		for h := range 24 * 7 {
			tr.Observe(cell(fmt.Sprint(i), fmt.Sprintf("T%d", (i*31+h*(i%7+1))%400), h))
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		tr.Unicity(4, 1, rng)
	}
}

// The curve agrees with Unicity p by p, and never goes down when every
// trace has all the points drawn.
func TestUnicityCurve(t *testing.T) {
	m := map[string][]string{}
	for i := range 40 {
		var ts []string
		for h := range 24 {
			ts = append(ts, fmt.Sprintf("T%d", (i*7+h*(i%5+1))%13))
		}
		m[fmt.Sprint(i)] = ts
	}
	tr := traces(t, m)
	curve := tr.UnicityCurve(6, 400, rand.New(rand.NewPCG(3, 3)))
	for p := 1; p <= 6; p++ {
		if p > 1 && curve[p-1] < curve[p-2] {
			t.Errorf("ε%d = %.3f < ε%d = %.3f: nested draws cannot make a trace less unique", p, curve[p-1], p-1, curve[p-2])
		}
		alone := tr.Unicity(p, 400, rand.New(rand.NewPCG(4, 4)))
		if d := curve[p-1] - alone; d > 0.05 || d < -0.05 {
			t.Errorf("ε%d: curve %.3f, Unicity %.3f: the two estimates disagree", p, curve[p-1], alone)
		}
	}
	// The exact cases of TestUnicity hold for the curve too.
	exact := traces(t, map[string][]string{"1": {"T1", "T2", "T3"}, "2": {"T1", "T2", "T3"}})
	if c := exact.UnicityCurve(3, 10, rand.New(rand.NewPCG(1, 1))); c[0] != 0 || c[2] != 0 {
		t.Errorf("identical traces: curve %v, want zeros", c)
	}
	short := traces(t, map[string][]string{"1": {"T1", "T2"}, "2": {"T1"}})
	if c := short.UnicityCurve(3, 10, rand.New(rand.NewPCG(1, 1))); c[1] != 1 || c[2] != 0 {
		t.Errorf("too short to be drawn: curve %v, want ε2 = 1 and ε3 = 0 (no trace has 3 points)", c)
	}
}
