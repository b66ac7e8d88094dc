package linker

import (
	"bytes"
	"errors"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"exhaust/aggregator/graph"
	"exhaust/event"
)

// sample returns a linker whose state sets every field Save writes, with
// values a stream rarely gives: NaN payloads, negative and extreme
// numbers, a time in a zone of its own, an odd event id. With phones, the
// graph knows two phones and the state names them; without, it names no
// phone, so that a linker on an empty graph loads it (FuzzLoad's).
func sample(tb testing.TB, cfg Config, phones bool) *Linker {
	tb.Helper()
	g := graph.New()
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	imsi := event.ID{Kind: event.IMSI, Value: "208011234567890"}
	adid := event.ID{Kind: event.ADID, Value: "6f1c1d2e-0000-4000-8000-000000000001"}
	card := event.ID{Kind: event.Card, Value: "tok_4971"}
	mac := event.ID{Kind: event.MAC, Value: "a4:5e:60:00:00:01"}
	if phones {
		g.Touch(imsi, t0)
		g.Touch(adid, t0)
	}
	l := New(cfg, g)
	nan32 := math.Float32frombits(0x7fa00001) // a signalling NaN with a payload
	nan64 := math.Float64frombits(0x7ff4000000000001)

	l.wm, l.latest = t0.UnixNano(), t0.UnixNano()+5
	for i := range recentN + 3 {
		l.recent.add(t0.UnixNano() - int64(i%7)*1e9)
	}
	l.towers["208-01-1234-5678"] = [2]float64{48.8566, 2.3522}
	l.towers["208-01-1234-0001"] = [2]float64{nan64, math.Inf(-1)}
	l.joins.Pays["shop:fnac"] = []joinRec{{T: t0.UnixNano(), Place: "shop:fnac", Amount: 5470, ID: card, Event: "ev-1"}, {T: -1, Place: "shop:fnac", Amount: -3, ID: card}}
	l.joins.Pays["shop:a"] = []joinRec{{T: 1, Place: "shop:a", Amount: math.MaxInt64, ID: card, Event: "ev-2", Done: true}}
	l.joins.Baskets = []joinRec{{T: 2, Place: "shop:a", Amount: 1, ID: event.ID{Kind: event.Loyalty, Value: "L1"}, Done: true}}
	l.joins.NextPrune = math.MinInt64

	co := &l.co
	co.Closed, co.NextForget, co.NextReview, co.InView = 42, 43, -44, math.MaxInt32
	co.OriginX, co.OriginY, co.HasOrigin = math.Copysign(0, -1), nan64, true
	co.Late, co.Crowded, co.Links, co.Unresolved, co.Undone = 1, -2, 3, math.MaxInt64, math.MinInt64
	paris := time.FixedZone("", 3600)
	co.Splits = []Split{{
		Time: t0.In(paris),
		Link: graph.Link{A: card, B: mac, Kind: graph.Cooccurrence, Score: nan64, Count: 7,
			EventIDs: []string{"e1", "e2"}, FirstSeen: t0, LastSeen: time.Time{}, Why: "seen together"},
		A: card, B: mac, EventA: "ea", EventB: "eb", Why: "too far apart",
	}, {Time: t0}}
	odd := l.evRef("not-a-uuid")
	uuidRef := l.evRef("6f1c1d2e-0000-4000-8000-0000000000ff")
	co.Contra[keyOf(card, mac)] = -5
	co.Vetoes[keyOf(card, imsi)] = true
	past := []pastObs{{Bin: 7, X: nan32, Y: float32(math.Copysign(0, -1)), Acc: 1e-40, Weight: 0.25, Rarity: float32(math.Inf(1)), Encounter: true, FromUnixNs: -9}}
	co.Anchors[card] = &anchor{Past: past, Obs: -1, Rest: nan64, Dropped: -1e308, NDropped: 3, Blocked: true,
		Linked: imsi, Mask: math.MaxUint64, LastX: nan32, LastY: 1, LastBin: noTime}
	co.Anchors[mac] = &anchor{LastBin: 5}
	wifi := spot{X: 1.5, Y: nan32, Acc: 10, From: math.MaxInt64 - 3, To: math.MinInt64, Event: "not-a-uuid", Place: "cafe"}
	bn := newBin()
	bn.Anchors[mac] = []spot{wifi, {From: 1, To: 2}}
	co.Bins[41] = bn
	co.Bins[-3] = newBin()
	if phones {
		hi, ha := g.Handle(imsi), g.Handle(adid)
		co.Anchors[card].Cands = []cand{
			{Score: 12.5, First: 1, Last: 2, Phone: hi, Hits: 3, Misses: -1, Days: 2, LastDay: 20000, EvA: odd, EvP: uuidRef, Place: "cafe"},
			{Score: nan64, Phone: ha},
		}
		co.Tracks = []track{{ID: imsi, h: hi, Lat: 48.1, Lon: nan64, Acc: 300, T: 9, Covered: 40, Event: "ev-3"}, {ID: adid, h: ha}}
		co.trackIdx[hi], co.trackIdx[ha] = 0, 1
		h := l.newHistory(-1)
		h.put(0, int64(l.histLen()), packPos(-3, 4, 200))
		h.put(int64(l.histLen())-1, int64(l.histLen()), packPos(histCoordMax, -histCoordMax, 255))
		co.Hist[hi] = h
		co.Hist[ha] = l.newHistory(1 << 40)
		co.Fixes[hi] = fix{T: 5, X: nan32, Y: -1, Acc: 20, Event: "ev-4"}
		co.Fixes[ha] = fix{}
		bn.Phones[hi] = []spot{wifi}
		prev := newBin()
		prev.Phones[ha] = []spot{{X: 3, Y: 4, Acc: 50, From: 6, To: 7}, {X: 3000}}
		co.Prev, co.PrevBin = prev, 40
		l.grid(prev)
	}
	return l
}

func save(tb testing.TB, l *Linker) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := l.Save(&b); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// TestSaveLoadExact checks that Load gives back every bit Save wrote:
// the state saves again to the same bytes, and the values that a
// comparison of floats would not tell apart are the same.
func TestSaveLoadExact(t *testing.T) {
	// Seven-minute bins: a day's ring ends inside a history's last chunk.
	odd := DefaultConfig()
	odd.CooccurBin = 7 * time.Minute
	for _, tc := range []struct {
		cfg    Config
		phones bool
	}{{DefaultConfig(), true}, {DefaultConfig(), false}, {odd, true}} {
		phones := tc.phones
		l := sample(t, tc.cfg, phones)
		data := save(t, l)
		again := New(tc.cfg, l.g)
		if err := again.Load(bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(save(t, again), data) {
			t.Fatalf("phones %v: Load then Save differs from the part", phones)
		}
		if !reflect.DeepEqual(again.recent, l.recent) {
			t.Errorf("recent times %+v, saved %+v", again.recent, l.recent)
		}
		a, b := l.co.Anchors, again.co.Anchors
		card := event.ID{Kind: event.Card, Value: "tok_4971"}
		if math.Float32bits(b[card].Past[0].X) != 0x7fa00001 || math.Float64bits(b[card].Rest) != 0x7ff4000000000001 {
			t.Errorf("NaN payloads lost: %x %x", math.Float32bits(b[card].Past[0].X), math.Float64bits(b[card].Rest))
		}
		if phones && !slices.EqualFunc(a[card].Cands, b[card].Cands, func(x, y cand) bool {
			return x.EvA == y.EvA && x.EvP == y.EvP && x.Phone == y.Phone && math.Float64bits(x.Score) == math.Float64bits(y.Score)
		}) {
			t.Errorf("candidates %+v, saved %+v", b[card].Cands, a[card].Cands)
		}
		if got, want := again.co.Splits[0].Time, l.co.Splits[0].Time; !got.Equal(want) || got.Location().String() != want.Location().String() {
			t.Errorf("split time %v, saved %v", got, want)
		}
		if got := again.evText(l.evRef("not-a-uuid")); got != "not-a-uuid" {
			t.Errorf("odd event id %q", got)
		}
		if phones && len(again.co.Prev.list) != len(l.co.Prev.list) {
			t.Errorf("the last closed bin is not gridded again")
		}
	}
}

// TestLoadRefusesOldPart checks that a part of version 6 and before
// (gob: testdata/v6.gob, a few minutes of a tiny city written by the
// last build that had it) is refused in one line that says what to do.
func TestLoadRefusesOldPart(t *testing.T) {
	v6, err := os.ReadFile("testdata/v6.gob")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"version 6", v6},
		{"its first bytes", v6[:10]},
		{"empty", nil},
		{"the magic cut short", []byte(partMagic[:5])},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := New(DefaultConfig(), graph.New()).Load(bytes.NewReader(tc.data))
			if !errors.Is(err, errOldPart) {
				t.Fatalf("got %v, want %v", err, errOldPart)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "delete the snapshot") {
				t.Errorf("not one line that says what to do: %q", msg)
			}
		})
	}
	t.Run("version 11", func(t *testing.T) {
		err := New(DefaultConfig(), graph.New()).Load(strings.NewReader(partMagic + "\x0b"))
		if err == nil || !strings.Contains(err.Error(), "version 11") {
			t.Fatalf("got %v, want a version error", err)
		}
	})
}

// TestLoadCorrupt feeds Load every prefix of a part and the part with
// each byte changed: it must refuse, or give a linker that saves and
// loads again (FuzzLoad's rule, here on a state that names phones).
func TestLoadCorrupt(t *testing.T) {
	l := sample(t, DefaultConfig(), true)
	data := save(t, l)
	try := func(b []byte) {
		t.Helper()
		got := New(DefaultConfig(), l.g)
		if err := got.Load(bytes.NewReader(b)); err != nil {
			return
		}
		got.Stats()
		if err := New(DefaultConfig(), l.g).Load(bytes.NewReader(save(t, got))); err != nil {
			t.Fatalf("loaded %x, but cannot load what it saves: %v", b, err)
		}
	}
	for n := range len(data) {
		try(data[:n])
		if New(DefaultConfig(), l.g).Load(bytes.NewReader(data[:n])) == nil {
			t.Errorf("accepted the part cut at %d of %d bytes", n, len(data))
		}
	}
	b := slices.Clone(data)
	for i := range b {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			b[i] ^= x
			try(b)
			b[i] ^= x
		}
	}
}

// TestSavedFields fails when a type Save writes field by field gains or
// loses a field: write and read the new one in save.go (and bump
// snapshotVersion), or say here why it is not saved.
func TestSavedFields(t *testing.T) {
	for _, tc := range []struct {
		v      any
		fields string // in declaration order; unexported ones are caches, rebuilt by Load
	}{
		{Linker{}, "cfg g excl dev towers wm recent latest joins co whys masks held near cells places atClose undecided"},
		{times{}, "Ring Next Sorted"},
		{joiner{}, "Pays Baskets NextPrune"},
		{joinRec{}, "T Place Amount ID Event Done"},
		{cooccur{}, "Tracks trackIdx Bins Prev PrevBin Closed Closing Reviewing BinRecords Anchors InView NextForget NextReview Hist OriginX OriginY HasOrigin Fixes Contra Vetoes Splits OddEvents Late Crowded Links Unresolved Undone"},
		{track{}, "ID h Lat Lon Acc T Covered Event"},
		{anchor{}, "Cands Past Obs Rest Dropped NDropped Blocked Linked Mask LastX LastY LastBin"},
		{cand{}, "Score First Last Phone Hits Misses Days LastDay EvA EvP Place"},
		{pastObs{}, "Bin X Y Acc Weight Rarity Encounter FromUnixNs"},
		{history{}, "Last chunks"},
		{fix{}, "T X Y Acc Event"},
		{pairKey{}, "A B"},
		{bin{}, "Phones Anchors list grid byHandle stamp views"},
		{closing{}, "Bin Bn anchors Next Spread Records"},
		{reviewing{}, "IDs Step"},
		{spot{}, "X Y Acc From To Event Place"},
		{Split{}, "Time Link A B EventA EventB Why"},
		{graph.Link{}, "A B Kind Score Count EventIDs FirstSeen LastSeen Why"},
	} {
		typ := reflect.TypeOf(tc.v)
		var got []string
		for i := range typ.NumField() {
			got = append(got, typ.Field(i).Name)
		}
		if strings.Join(got, " ") != tc.fields {
			t.Errorf("%v has fields %q, save.go knows %q", typ, strings.Join(got, " "), tc.fields)
		}
	}
}

// SampleParts returns linker parts that a linker on an empty graph loads,
// FuzzLoad's seeds beside the aggregator's corpus: an empty linker's and
// sample's without phones.
func SampleParts(tb testing.TB) [][]byte {
	tb.Helper()
	return [][]byte{save(tb, New(DefaultConfig(), graph.New())), save(tb, sample(tb, DefaultConfig(), false))}
}
