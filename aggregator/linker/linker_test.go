package linker_test

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"exhaust/aggregator/graph"
	"exhaust/aggregator/linker"
	"exhaust/aggregator/obs"
	"exhaust/event"
	"exhaust/meaning"
	_ "exhaust/producers/all"
	"exhaust/world"
)

var t0 = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

func id(k event.IDKind, v string) event.ID { return event.ID{Kind: k, Value: v} }

var (
	imsi    = id(event.IMSI, "208010000000001")
	imei    = id(event.IMEI, "353976113239499")
	card    = id(event.Card, "tok_a")
	card2   = id(event.Card, "tok_b")
	loyalty = id(event.Loyalty, "FNAC-1")
	loyal2  = id(event.Loyalty, "FNAC-2")
	ticket1 = id(event.Ticket, "TKT-1")
	ticket2 = id(event.Ticket, "TKT-2")
	adidA   = id(event.ADID, "aaaaaaaa-0000-0000-0000-000000000000")
	adidB   = id(event.ADID, "bbbbbbbb-0000-0000-0000-000000000000")
	adidFar = id(event.ADID, "ffffffff-0000-0000-0000-000000000000")
	mac     = id(event.MAC, "3c:22:fb:ca:10:b2")
)

var seq int

// rec builds a record as obs.Decode would, with a fresh event id.
func rec(typ string, at time.Time, where *event.Where, ids ...event.ID) *obs.Record {
	seq++
	return &obs.Record{ID: fmt.Sprintf("00000000-0000-0000-0000-%012d", seq), Type: typ, Time: at, IDs: ids, Where: where,
		Means: meaning.For(typ)}
}

func at(place string, lat, lon, acc float64) *event.Where {
	return &event.Where{Place: place, Lat: lat, Lon: lon, AccuracyM: acc}
}

// Places about 3 km apart, and one far from both.
var (
	p1  = at("shop:one", 48.8600, 2.3400, 20)
	p2  = at("shop:two", 48.8800, 2.3700, 20)
	far = at("", 48.8300, 2.3000, 10)
)

func payment(c event.ID, when time.Time, w *event.Where, cents int) *obs.Record {
	return rec("card.payment", when, w, c).Set("amount_cents", cents)
}

func basket(l event.ID, when time.Time, w *event.Where, cents int) *obs.Record {
	return rec("loyalty.basket", when, w, l).Set("store", w.Place).Set("total_cents", cents)
}

func gps(a event.ID, when time.Time, w *event.Where) *obs.Record {
	return rec("phone.gps", when, &event.Where{Lat: w.Lat, Lon: w.Lon, AccuracyM: 10}, a)
}

// run applies records, then one far later so that every window closes.
func run(t *testing.T, cfg linker.Config, records ...*obs.Record) (*graph.Graph, *linker.Linker) {
	t.Helper()
	g := graph.New()
	l := linker.New(cfg, g)
	last := t0
	for _, r := range records {
		last = r.Time
	}
	records = append(records, gps(adidFar, last.Add(24*time.Hour), far))
	apply(g, l, records)
	return g, l
}

func TestSameEvent(t *testing.T) {
	tests := []struct {
		name   string
		record *obs.Record
		want   [][2]event.ID
	}{
		{"cell: imsi and imei", rec("phone.cell", t0, nil, imsi, imei), [][2]event.ID{{imei, imsi}}},
		{"ticket machine: the card links each ticket", rec("transit.purchase", t0, p1, ticket1, ticket2, card),
			[][2]event.ID{{card, ticket1}, {card, ticket2}}},
		{"one identifier: nothing to link", rec("card.payment", t0, p1, card), nil},
		{"the same identifier twice: nothing to link", rec("phone.cell", t0, nil, imsi, imsi), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := run(t, linker.DefaultConfig(), tt.record)
			var got [][2]event.ID
			for _, r := range g.Roots() {
				for _, k := range g.Links(r) {
					if k.Kind != graph.SameEvent {
						t.Errorf("link of kind %s", k.Kind)
					}
					if !strings.Contains(k.Why, tt.record.Type) || len(k.EventIDs) != 1 || k.EventIDs[0] != tt.record.ID {
						t.Errorf("link evidence: why %q, events %v", k.Why, k.EventIDs)
					}
					got = append(got, [2]event.ID{k.A, k.B})
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("links = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestJoin(t *testing.T) {
	b := at("shop:b", 48.8601, 2.3401, 20)
	tests := []struct {
		name    string
		records []*obs.Record
		want    bool // card and loyalty linked
	}{
		{"one payment, one basket", []*obs.Record{payment(card, t0, p1, 1250), basket(loyalty, t0.Add(40*time.Second), p1, 1250)}, true},
		{"basket first", []*obs.Record{basket(loyalty, t0, p1, 1250), payment(card, t0.Add(30*time.Second), p1, 1250)}, true},
		{"paid cash: no payment", []*obs.Record{basket(loyalty, t0, p1, 1250)}, false},
		{"another amount", []*obs.Record{payment(card, t0, p1, 1250), basket(loyalty, t0.Add(10*time.Second), p1, 1260)}, false},
		{"another store", []*obs.Record{payment(card, t0, p1, 1250), basket(loyalty, t0.Add(10*time.Second), b, 1250)}, false},
		{"too far apart", []*obs.Record{payment(card, t0, p1, 1250), basket(loyalty, t0.Add(5*time.Minute), p1, 1250)}, false},
		{"two payments could be it", []*obs.Record{
			payment(card, t0, p1, 1250), payment(card2, t0.Add(20*time.Second), p1, 1250), basket(loyalty, t0.Add(30*time.Second), p1, 1250),
		}, false},
		{"two baskets could be it", []*obs.Record{
			payment(card, t0, p1, 1250), basket(loyalty, t0.Add(20*time.Second), p1, 1250), basket(loyal2, t0.Add(50*time.Second), p1, 1250),
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := run(t, linker.DefaultConfig(), tt.records...)
			k, linked := g.LinkBetween(card, loyalty, graph.Joined)
			if linked != tt.want {
				t.Fatalf("card and loyalty joined: %v, want %v", linked, tt.want)
			}
			if linked && (!strings.Contains(k.Why, "12,50 €") || !strings.Contains(k.Why, "shop:one") || len(k.EventIDs) != 2) {
				t.Errorf("join evidence: %+v", k)
			}
		})
	}
}

// day sketches a day: a phone's GPS every 5 minutes at p1 from 09:00 and at
// p2 from 12:00, 40 minutes each, and the same for a second phone if set.
func day(d int, phones ...event.ID) []*obs.Record {
	var out []*obs.Record
	base := t0.Add(time.Duration(d) * 24 * time.Hour)
	for _, stay := range []struct {
		w    *event.Where
		from time.Duration
	}{{p1, time.Hour}, {p2, 4 * time.Hour}} {
		for m := 0; m <= 40; m += 5 {
			for _, ph := range phones {
				out = append(out, gps(ph, base.Add(stay.from+time.Duration(m)*time.Minute), stay.w))
			}
		}
	}
	return out
}

// shopping is card payments at p1 and p2 while the phones are there.
func shopping(d int, c event.ID) []*obs.Record {
	base := t0.Add(time.Duration(d) * 24 * time.Hour)
	var out []*obs.Record
	for _, s := range []struct {
		w    *event.Where
		from time.Duration
	}{{p1, time.Hour}, {p2, 4 * time.Hour}} {
		for _, m := range []time.Duration{7, 17, 27} {
			out = append(out, payment(c, base.Add(s.from+m*time.Minute), s.w, 500))
		}
	}
	return out
}

func merge(lists ...[]*obs.Record) []*obs.Record {
	var out []*obs.Record
	for _, l := range lists {
		out = append(out, l...)
	}
	// Stable by time, as a stream.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Time.Before(out[j-1].Time); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// crowd is n phones going about their day 5 to 7 km from p1 and p2, a GPS
// fix every 10 minutes: the city in which a card's owner is to be found.
// Their number sets the prior: picking one phone out of n needs evidence
// worth log n.
func crowd(d, n int) []*obs.Record {
	var out []*obs.Record
	base := t0.Add(time.Duration(d) * 24 * time.Hour)
	for m := 0; m <= 6*60; m += 10 {
		for i := range n {
			ph := id(event.ADID, fmt.Sprintf("cccccccc-0000-0000-0000-%012d", i))
			w := at("", 48.80+0.001*float64(i%20), 2.25+0.002*float64(i/20), 10)
			out = append(out, gps(ph, base.Add(time.Duration(m)*time.Minute), w))
		}
	}
	return out
}

func TestCooccurrence(t *testing.T) {
	probe := func(when time.Time) *obs.Record {
		return rec("wifi.probe", when, at("mall:m", p1.Lat, p1.Lon, 10), mac)
	}
	var probes []*obs.Record
	for m := 5; m <= 35; m += 10 {
		probes = append(probes, probe(t0.Add(time.Hour+time.Duration(m)*time.Minute)))
	}
	// adidB with the card at p1, far from it at p2.
	var partial []*obs.Record
	for _, r := range day(0, adidB) {
		if r.Where.Lat == p2.Lat {
			r = gps(adidB, r.Time, far)
		}
		partial = append(partial, r)
	}
	city := merge(crowd(0, 60), crowd(1, 60))
	both := func(f func(d int) []*obs.Record) []*obs.Record { return merge(f(0), f(1)) }
	tests := []struct {
		name    string
		records []*obs.Record
		a, b    event.ID
		linked  bool
		verdict string // prefix of the anchor's verdict when not linked
	}{
		{"a card always with one phone", merge(city, day(0, adidA), shopping(0, card)), card, adidA, true, ""},
		{"a card always with two phones: ambiguous", merge(city, both(func(d int) []*obs.Record { return day(d, adidA, adidB) }),
			both(func(d int) []*obs.Record { return shopping(d, card) })), card, adidA, false, "rival"},
		{"a companion for part of the day is no rival", merge(city, day(0, adidA), day(1, adidA), partial, shopping(0, card), shopping(1, card)), card, adidA, true, ""},
		{"two phones side by side: two people", merge(city, day(0, adidA), day(0, adidB)), adidA, adidB, false, ""},
		{"a card and a MAC, no phone: two shoppers", merge(city, shopping(0, card), probes), card, mac, false, "no candidate"},
		{"a phone far from the card", merge(city, shopping(0, card), []*obs.Record{gps(adidA, t0.Add(time.Hour), far)}), card, adidA, false, "no candidate"},
		{"seen together once", merge(city, day(0, adidA), shopping(0, card)[:1]), card, adidA, false, "hits"},
		{"one stay is one encounter, however long", merge(city, day(0, adidA)[:9], shopping(0, card)[:3]), card, adidA, false, "hits"},
		{"one place on two days", merge(city, day(0, adidA)[:9], shopping(0, card)[:3], day(1, adidA)[:9], shopping(1, card)[:3]), card, adidA, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := linker.DefaultConfig()
			g, l := run(t, cfg, tt.records...)
			if got := g.Same(tt.a, tt.b); got != tt.linked {
				t.Fatalf("linked = %v, want %v (verdict %q)", got, tt.linked, l.Verdict(tt.a))
			}
			if tt.linked {
				k, ok := g.LinkBetween(tt.a, tt.b, graph.Cooccurrence)
				if !ok || k.Count < cfg.CooccurMinCount || len(k.EventIDs) != 2 || !strings.Contains(k.Why, "seen near") {
					t.Errorf("co-occurrence link: %+v, %v", k, ok)
				}
				return
			}
			if tt.verdict == "" {
				return
			}
			if v := l.Verdict(tt.a); !strings.HasPrefix(v, tt.verdict) {
				t.Errorf("verdict %q, want %q…", v, tt.verdict)
			}
		})
	}
}

// cardWithPhone returns a linker that has linked card to adidA by
// co-occurrence, a day in a city of 60 phones, every bin closed.
func cardWithPhone(t *testing.T) (*graph.Graph, *linker.Linker) {
	t.Helper()
	g := graph.New()
	l := linker.New(linker.DefaultConfig(), g)
	apply(g, l, merge(crowd(0, 60), day(0, adidA), shopping(0, card)))
	apply(g, l, []*obs.Record{gps(adidFar, t0.Add(20*time.Hour), far)})
	if !g.Same(card, adidA) {
		t.Fatalf("setup: card not linked (verdict %q)", l.Verdict(card))
	}
	return g, l
}

// TestExclusiveConflict checks that a fact joining two clusters that each
// hold a card undoes the inferred link that put the wrong card there.
func TestExclusiveConflict(t *testing.T) {
	g, l := cardWithPhone(t)
	// The phone's app pays with another card: an event carries both.
	apply(g, l, []*obs.Record{rec("transit.purchase", t0.Add(21*time.Hour), p1, card2, adidA)})
	if !g.Same(card2, adidA) {
		t.Fatal("the same-event link was not made")
	}
	if g.Same(card, card2) {
		t.Fatal("two cards left in one profile")
	}
	sp := l.Splits()
	if len(sp) != 1 || sp[0].Link.Kind != graph.Cooccurrence || !strings.Contains(sp[0].Why, "two card identifiers") {
		t.Errorf("splits %+v: want the co-occurrence link undone, saying two cards", sp)
	}
}

// TestRecheck checks that a co-occurrence link stays a hypothesis: the
// card, linked to adidA on a day they were together, is then seen day
// after day with adidB while adidA is across town. The evidence turns, the
// link is undone with its reason, and the card goes to adidB.
func TestRecheck(t *testing.T) {
	g, l := cardWithPhone(t)
	var later []*obs.Record
	for d := 1; d <= 3; d++ {
		later = merge(later, crowd(d, 60), day(d, adidB), shopping(d, card))
		// Located across town every 20 minutes: never within the split
		// window of a payment, so only the accumulated evidence can tell.
		for _, r := range day(d, adidA) {
			if r.Time.Minute()%20 == 0 {
				later = append(later, gps(adidA, r.Time, far))
			}
		}
	}
	apply(g, l, merge(later, []*obs.Record{gps(adidFar, t0.Add(5*24*time.Hour), far)}))
	if g.Same(card, adidA) {
		t.Fatal("card still with the phone it left three days ago")
	}
	if !g.Same(card, adidB) {
		t.Errorf("card not linked to the phone it is now with (verdict %q)", l.Verdict(card))
	}
	var undone bool
	for _, sp := range l.Splits() {
		if sp.Link.Kind == graph.Cooccurrence && strings.Contains(sp.Why, "points elsewhere") {
			undone = true
		}
	}
	if !undone {
		t.Errorf("no split says why the link was undone: %+v", l.Splits())
	}
}

// TestCrowdScoresCandidates checks that a crowded place is not thrown away:
// with more phones in view than candidates kept, the card's owner is
// still found, by the candidates the crowd keeps scoring.
func TestCrowdScoresCandidates(t *testing.T) {
	cfg := linker.DefaultConfig()
	cfg.CooccurCandidates = 4
	// Ten phones next to the card at p1; only adidA goes on to p2.
	var others []event.ID
	for i := range 10 {
		others = append(others, id(event.ADID, fmt.Sprintf("dddddddd-0000-0000-0000-%012d", i)))
	}
	var there []*obs.Record
	for _, r := range day(0, others...) {
		if r.Where.Lat == p2.Lat {
			r = gps(r.IDs[0], r.Time, far)
		}
		there = append(there, r)
	}
	var second []*obs.Record
	for _, r := range there {
		second = append(second, gps(r.IDs[0], r.Time.Add(24*time.Hour), r.Where))
	}
	g, l := run(t, cfg, merge(crowd(0, 60), crowd(1, 60), day(0, adidA), day(1, adidA), there, second, shopping(0, card), shopping(1, card))...)
	if !g.Same(card, adidA) {
		t.Fatalf("card not linked to its phone in a crowd (verdict %q)", l.Verdict(card))
	}
	if l.Stats().Crowded == 0 {
		t.Error("no observation counted as crowded")
	}
}

// TestSplit checks that a contradiction undoes a co-occurrence link: the
// card, linked to adidA, pays twice at p2 while adidA is located across
// town.
func TestSplit(t *testing.T) {
	g, l := cardWithPhone(t)
	base := t0.Add(24 * time.Hour)
	var against []*obs.Record
	for i, m := range []time.Duration{10, 40} {
		when := base.Add(m * time.Minute)
		against = append(against, gps(adidA, when.Add(-30*time.Second), far), payment(card, when, p2, 700+i))
	}
	apply(g, l, against)
	if g.Same(card, adidA) {
		t.Fatal("card still linked to a phone 4 km away at the same minute, twice")
	}
	splits := l.Splits()
	if len(splits) != 1 {
		t.Fatalf("%d splits, want 1: %+v", len(splits), splits)
	}
	sp := splits[0]
	if sp.Link.Kind != graph.Cooccurrence || !strings.Contains(sp.Why, "km apart") {
		t.Errorf("split %+v: want the co-occurrence link undone, with the distance", sp)
	}
	// A fact is never undone: an event carrying the card and the phone
	// joins them for good, whatever the positions say.
	apply(g, l, []*obs.Record{rec("transit.purchase", base.Add(time.Hour), p2, card, adidA)})
	for _, m := range []time.Duration{70, 75} {
		when := base.Add(m * time.Minute)
		apply(g, l, []*obs.Record{gps(adidA, when.Add(-30*time.Second), far), payment(card, when, p2, 900)})
	}
	if !g.Same(card, adidA) {
		t.Error("a same-event link was undone")
	}
	if s := l.Stats(); s.Unresolved == 0 {
		t.Errorf("contradiction between identifiers an event joins not counted: %+v", s)
	}
}

func TestLateRecord(t *testing.T) {
	g := graph.New()
	l := linker.New(linker.DefaultConfig(), g)
	apply(g, l, day(1, adidA))
	// A record from the day before, long after its bins closed.
	apply(g, l, []*obs.Record{rec("transit.purchase", t0, p1, ticket1, card)})
	if !g.Same(ticket1, card) {
		t.Error("a late record lost its same-event link")
	}
	if s := l.Stats(); s.Late == 0 {
		t.Errorf("the late presence was not counted: %+v", s)
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name   string
		change func(*linker.Config)
		ok     bool
	}{
		{"default", func(*linker.Config) {}, true},
		{"negative join window", func(c *linker.Config) { c.JoinWindow = -time.Second }, false},
		{"tiny bin", func(c *linker.Config) { c.CooccurBin = time.Millisecond }, false},
		{"no candidate", func(c *linker.Config) { c.CooccurCandidates = -1 }, false},
		{"odds below one", func(c *linker.Config) { c.CooccurOdds = 0.5 }, false},
		{"split after none", func(c *linker.Config) { c.SplitAfter = -1 }, false},
		{"ratio below one", func(c *linker.Config) { c.CooccurRatio = 0.5 }, false},
		{"unknown kind", func(c *linker.Config) { c.CooccurExclusive = []event.IDKind{"passport"} }, false},
		{"zero cell", func(c *linker.Config) { c.CooccurCellM = 0 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := linker.DefaultConfig()
			tt.change(&c)
			err := c.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate = %v, want ok %v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, linker.ErrConfig) {
				t.Errorf("error %v does not wrap ErrConfig", err)
			}
		})
	}
	if got := linker.New(linker.Config{}, graph.New()).Config(); !reflect.DeepEqual(got, linker.DefaultConfig()) {
		t.Errorf("a zero Config does not mean the defaults: %+v", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("New accepted an invalid config")
		}
	}()
	linker.New(linker.Config{CooccurRatio: 0.5}, graph.New())
}

// TestLocate checks the power-weighted centroid on noiseless signal
// strengths, drawn from a path-loss model of the test's own (−60 dBm at
// 100 m, 30 dB per decade): it needs no model, and lands within a cell's
// radius of the phone.
func TestLocate(t *testing.T) {
	cfg := linker.DefaultConfig()
	l := linker.New(cfg, graph.New())
	phone := world.Point{Lat: 48.8600, Lon: 2.3500}
	towers := map[string]world.Point{
		"T1": {Lat: 48.8620, Lon: 2.3480}, "T2": {Lat: 48.8585, Lon: 2.3530},
		"T3": {Lat: 48.8610, Lon: 2.3545}, "T4": {Lat: 48.8575, Lon: 2.3465},
	}
	r := rec("phone.cell", t0, nil, imsi, imei)
	var measured []obs.Member
	for _, name := range []string{"T1", "T2", "T3", "T4"} {
		p := towers[name]
		// Learn where the tower is, as a cell event served by it says.
		learn := rec("phone.cell", t0, at("tower:"+name, p.Lat, p.Lon, 300), imsi, imei)
		l.Locate(learn.Set("tower", name))
		d := world.Distance(phone, p)
		rssi := -60 - 30*math.Log10(d/100)
		m := (&obs.Record{}).Set("tower", name).Set("rssi_dbm", int(math.Round(rssi))).Data
		measured = append(measured, obs.Member{Value: m})
	}
	r.Set("measurements", obs.Value{Kind: obs.Array, Members: measured})
	lat, lon, acc, ok := l.Locate(r)
	if !ok {
		t.Fatal("not located")
	}
	var plain world.Point
	for _, p := range towers {
		plain.Lat, plain.Lon = plain.Lat+p.Lat/4, plain.Lon+p.Lon/4
	}
	got, want := world.Distance(phone, world.Point{Lat: lat, Lon: lon}), world.Distance(phone, plain)
	t.Logf("weighted centroid %.0f m from the phone, plain centroid %.0f m", got, want)
	if got > 100 {
		t.Errorf("located %.0f m from the phone (plain centroid: %.0f m), want within 100 m", got, want)
	}
	if acc <= 0 {
		t.Errorf("accuracy %v", acc)
	}
	unknown := rec("phone.cell", t0, nil, imsi).Set("measurements", obs.Value{Kind: obs.Array, Members: []obs.Member{
		{Value: (&obs.Record{}).Set("tower", "T99").Set("rssi_dbm", -70).Data}}})
	if _, _, _, ok := l.Locate(unknown); ok {
		t.Error("located from towers never seen")
	}
}
