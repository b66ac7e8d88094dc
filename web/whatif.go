package web

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"exhaust/aggregator"
	"exhaust/aggregator/facts"
	"exhaust/event"
	"exhaust/producers"
	"exhaust/world"
)

// Settings are the hero's privacy switches in the challenge, each true when
// she does the privacy-minded thing. They map onto world.Privacy.
type Settings struct {
	LocationOff   bool `json:"location_off"`    // location services off
	PhoneOffNight bool `json:"phone_off_night"` // phone switched off at night
	Cash          bool `json:"cash"`            // pays cash
	NoLoyalty     bool `json:"no_loyalty"`      // doesn't show loyalty cards
	WifiOff       bool `json:"wifi_off"`        // Wi-Fi radio off
	NoAutoJoin    bool `json:"no_autojoin"`     // doesn't join free Wi-Fi (no captive portal)
	MACRandom     bool `json:"mac_random"`      // one random MAC per network
	NoWristband   bool `json:"no_wristband"`    // leaves the wristband at home
}

// toggle is one switch: its key in Settings' JSON, and the event types it
// silences or thins out for the person who flips it.
type toggle struct {
	Key   string   `json:"key"`
	Types []string `json:"types"`
}

// toggles lists the switches in the page's order, with the events each one
// affects (from the producers' privacy rules, and the phone's night).
var toggles = []toggle{
	{"location_off", []string{"phone.gps"}},
	{"phone_off_night", []string{"phone.cell", "phone.sms", "phone.call"}},
	{"cash", []string{"card.payment", "transit.purchase"}},
	{"no_loyalty", []string{"loyalty.basket"}},
	{"wifi_off", []string{"wifi.probe", "wifi.association", "wifi.portal"}},
	{"no_autojoin", []string{"wifi.association", "wifi.portal"}},
	{"mac_random", []string{"wifi.probe", "wifi.association", "wifi.portal"}},
	{"no_wristband", []string{"wristband.sync", "wristband.sleep", "wristband.activity", "wristband.workout"}},
}

func (st Settings) on(key string) bool {
	switch key {
	case "location_off":
		return st.LocationOff
	case "phone_off_night":
		return st.PhoneOffNight
	case "cash":
		return st.Cash
	case "no_loyalty":
		return st.NoLoyalty
	case "wifi_off":
		return st.WifiOff
	case "no_autojoin":
		return st.NoAutoJoin
	case "mac_random":
		return st.MACRandom
	case "no_wristband":
		return st.NoWristband
	}
	return false
}

// settingsOf reads a person's privacy as switches.
func settingsOf(p world.Privacy) Settings {
	return Settings{
		LocationOff: !p.LocationServices, PhoneOffNight: p.PhoneOffAtNight, Cash: p.PaysCash,
		NoLoyalty: !p.UsesLoyaltyCard, WifiOff: !p.WifiEnabled, NoAutoJoin: !p.WifiAutoJoin,
		MACRandom: p.MACRandomisation, NoWristband: !p.WearsWristband,
	}
}

// apply sets a person's privacy from the switches.
func (st Settings) apply(p *world.Privacy) {
	p.LocationServices = !st.LocationOff
	p.PhoneOffAtNight = st.PhoneOffNight
	p.PaysCash = st.Cash
	p.UsesLoyaltyCard = !st.NoLoyalty
	p.WifiEnabled = !st.WifiOff
	p.WifiAutoJoin = !st.NoAutoJoin
	p.MACRandomisation = st.MACRandom
	p.WearsWristband = !st.NoWristband
}

// Outcome is what the beast made of the hero's day 1 under some settings.
type Outcome struct {
	Settings Settings `json:"settings"`
	// Profile is the hero's main profile: the one holding most of her
	// identifiers. Its facts are what the beast can tie to her.
	Profile string       `json:"profile"`
	Name    string       `json:"name"`
	Facts   []facts.Fact `json:"facts"`
	Linked  int          `json:"linked"` // her identifiers in that profile
	// Kinds are the kinds of her identifiers in that profile: how the
	// beast recognises her.
	Kinds     []string   `json:"kinds"`
	Score     float64    `json:"score"`
	Fragments []fragment `json:"fragments"` // her other, unlinked profiles
	// Events counts the events her identifiers left, by type.
	Events map[string]int `json:"events"`
	Total  int            `json:"total"`
}

// Change is what happened to one fact between two outcomes.
type Change struct {
	Fact string `json:"fact"`
	// Status is survived, weakened, unlinked (the beast still has it, in a
	// profile it cannot tie to her), gone, or new.
	Status string      `json:"status"`
	Before *facts.Fact `json:"before,omitempty"`
	After  *facts.Fact `json:"after,omitempty"`
	// Lost are the event types the fact rested on that the new settings
	// silenced or thinned out; Kept the types it still rests on.
	Lost []string `json:"lost"`
	Kept []string `json:"kept"`
	// By are the switches that silenced what was lost.
	By []string `json:"by"`
	// Fragment is the anonymous profile an unlinked fact now sits in.
	Fragment string `json:"fragment,omitempty"`
}

// Comparison is the challenge's answer: the day with the default settings
// and with the chosen ones, side by side.
type Comparison struct {
	Before  Outcome  `json:"before"`
	After   Outcome  `json:"after"`
	Changes []Change `json:"changes"`
}

// whatif replays the hero's day 1 in memory under other settings.
type whatif struct {
	cfg      Config
	defaults Settings

	mu    sync.Mutex // one replay at a time: each is a whole day of the city
	cache map[Settings]*replayed
	order []Settings // cache entries, oldest first
}

// replayed is one replay: the outcome and, for comparisons, where each of
// the hero's facts ended up.
type replayed struct {
	out       Outcome
	fragFacts map[string]string // fact name -> fragment profile holding it
}

// whatifCacheSize bounds the replays kept: a class tries a handful of
// combinations, each a whole simulated day.
const whatifCacheSize = 8

func newWhatif(cfg Config) *whatif {
	hero := cfg.World.Person(world.HeroID)
	return &whatif{cfg: cfg, defaults: settingsOf(hero.Privacy), cache: map[Settings]*replayed{}}
}

// compare replays the hero's day with the default settings and with st.
func (wi *whatif) compare(st Settings) (Comparison, error) {
	wi.mu.Lock()
	defer wi.mu.Unlock()
	before, err := wi.replay(wi.defaults)
	if err != nil {
		return Comparison{}, err
	}
	after, err := wi.replay(st)
	if err != nil {
		return Comparison{}, err
	}
	return Comparison{Before: before.out, After: after.out, Changes: changes(before, after, st)}, nil
}

// replay returns the outcome of the hero's day 1 under st, from the cache
// when it can. Call with mu held.
func (wi *whatif) replay(st Settings) (*replayed, error) {
	if r, ok := wi.cache[st]; ok {
		return r, nil
	}
	r, err := wi.run(st)
	if err != nil {
		return nil, err
	}
	if len(wi.order) == whatifCacheSize {
		delete(wi.cache, wi.order[0])
		wi.order = wi.order[1:]
	}
	wi.cache[st], wi.order = r, append(wi.order, st)
	return r, nil
}

// run plays day 1 of the run's world with the hero's privacy set to st
// through the run's producers into a fresh beast.
func (wi *whatif) run(st Settings) (*replayed, error) {
	rs, err := replayDay(wi.cfg, map[string]Settings{world.HeroID: st})
	if err != nil {
		return nil, err
	}
	return rs[world.HeroID], nil
}

// replayDay plays day 1 of the run's world through the run's producers into
// a fresh beast, each person of set with their privacy set to their
// settings, and answers the outcome of each person of set.
func replayDay(rc Config, set map[string]Settings) (map[string]*replayed, error) {
	cfg := rc.World.Config()
	adjust := cfg.Adjust
	cfg.Adjust = func(p *world.Person) {
		if adjust != nil {
			adjust(p)
		}
		if st, ok := set[p.ID]; ok {
			st.apply(&p.Privacy)
		}
	}
	w, err := world.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("what-if world: %w", err)
	}
	day := w.Day(1)
	evs, err := collectDay(rc.Producers, rc.Seed, day)
	if err != nil {
		return nil, err
	}
	engine := aggregator.New(*rc.Engine)
	truth := day.Truth()
	owner := map[event.ID]string{}
	for _, pl := range day.Present() {
		engine.SetTruth(aggregator.Truth{Person: pl.Person.ID, Name: pl.Person.Name, IDs: truth[pl.Person.ID]})
		for _, id := range truth[pl.Person.ID] {
			owner[id] = pl.Person.ID
		}
	}
	outs := map[string]*replayed{}
	for id, st := range set {
		outs[id] = &replayed{
			out:       Outcome{Settings: st, Facts: []facts.Fact{}, Kinds: []string{}, Fragments: []fragment{}, Events: map[string]int{}},
			fragFacts: map[string]string{},
		}
	}
	var counted []string // the people one event was counted for
	for i := range evs {
		ev, err := reencode(&evs[i])
		if err != nil {
			return nil, err
		}
		if _, err := engine.Apply(0, ev); err != nil {
			return nil, fmt.Errorf("what-if: apply %s: %w", ev.ID, err)
		}
		counted = counted[:0]
		for _, id := range event.IDsOf(ev) {
			who := owner[id]
			r, ok := outs[who]
			if !ok || slices.Contains(counted, who) {
				continue
			}
			counted = append(counted, who)
			r.out.Events[ev.Type]++
			r.out.Total++
		}
	}
	first := map[string]bool{}
	for _, sum := range engine.Profiles() {
		r, ok := outs[sum.Truth]
		if !ok {
			continue
		}
		p, ok := engine.Profile(sum.ID)
		if !ok {
			continue
		}
		out := &r.out
		if !first[sum.Truth] {
			first[sum.Truth] = true
			out.Profile, out.Name, out.Facts = p.ID, p.Name, p.Facts
			for _, id := range p.Identifiers {
				if owner[event.ID{Kind: id.Kind, Value: id.Value}] == sum.Truth {
					out.Linked++
					if k := string(id.Kind); !slices.Contains(out.Kinds, k) {
						out.Kinds = append(out.Kinds, k)
					}
				}
			}
			out.Score = exposure(p.Facts, out.Linked)
			continue
		}
		f := fragment{ID: p.ID, Identifiers: len(p.Identifiers), Facts: []string{}, Kinds: []string{}}
		for _, fc := range p.Facts {
			f.Facts = append(f.Facts, fc.Name)
			if _, ok := r.fragFacts[fc.Name]; !ok {
				r.fragFacts[fc.Name] = p.ID
			}
		}
		for _, id := range p.Identifiers {
			if k := string(id.Kind); !slices.Contains(f.Kinds, k) {
				f.Kinds = append(f.Kinds, k)
			}
		}
		out.Fragments = append(out.Fragments, f)
	}
	return outs, nil
}

// collectDay runs every producer over day and merges their events in time
// order, ties to the producer listed first, as the runner does.
func collectDay(ps []producers.Producer, seed int64, day *world.Day) ([]event.Event, error) {
	per := make([][]event.Event, len(ps))
	errs := make([]error, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			per[i], errs[i] = producers.Collect(p, seed, day)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	var all []event.Event
	for _, evs := range per {
		all = append(all, evs...)
	}
	// Stable: equal times keep producer order, then emission order.
	slices.SortStableFunc(all, func(a, b event.Event) int { return a.Time.Compare(b.Time) })
	return all, nil
}

// reencode turns a producer's event into the form the Engine applies (data
// as raw JSON), as a consumer would receive it. The replay's events come
// straight from the producers, so the schema check is skipped: it would
// double the replay's time for nothing.
func reencode(ev *event.Event) (*event.Event, error) {
	data, err := json.Marshal(ev.Data)
	if err != nil {
		return nil, fmt.Errorf("what-if: encode %s: %w", ev.ID, err)
	}
	out := *ev
	out.Data = json.RawMessage(data)
	return &out, nil
}

// changes compares two outcomes fact by fact, in the beast's fact order.
func changes(before, after *replayed, st Settings) []Change {
	find := func(fs []facts.Fact, name string) *facts.Fact {
		for i := range fs {
			if fs[i].Name == name {
				f := fs[i]
				return &f
			}
		}
		return nil
	}
	names := slices.Clone(facts.FactNames)
	for _, fs := range [][]facts.Fact{before.out.Facts, after.out.Facts} {
		for _, f := range fs {
			if !slices.Contains(names, f.Name) {
				names = append(names, f.Name)
			}
		}
	}
	var out []Change
	for _, name := range names {
		b, a := find(before.out.Facts, name), find(after.out.Facts, name)
		if b == nil && a == nil {
			continue
		}
		c := Change{Fact: name, Before: b, After: a, Lost: []string{}, Kept: []string{}, By: []string{}}
		if b != nil {
			for _, typ := range b.Evidence.Sources {
				if after.out.Events[typ] < before.out.Events[typ] {
					c.Lost = append(c.Lost, typ)
				}
				if a != nil && slices.Contains(a.Evidence.Sources, typ) {
					c.Kept = append(c.Kept, typ)
				}
			}
			for _, tg := range toggles {
				if !st.on(tg.Key) || before.out.Settings.on(tg.Key) {
					continue
				}
				for _, typ := range c.Lost {
					if slices.Contains(tg.Types, typ) && !slices.Contains(c.By, tg.Key) {
						c.By = append(c.By, tg.Key)
					}
				}
			}
		}
		switch {
		case b == nil:
			c.Status = "new"
			c.Kept = append(c.Kept, a.Evidence.Sources...)
		case a == nil && after.fragFacts[name] != "":
			c.Status, c.Fragment = "unlinked", after.fragFacts[name]
		case a == nil:
			c.Status = "gone"
		case a.Confidence < b.Confidence-0.05:
			c.Status = "weakened"
		default:
			c.Status = "survived"
		}
		out = append(out, c)
	}
	return out
}
