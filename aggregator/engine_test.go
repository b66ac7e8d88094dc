package aggregator_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"exhaust/aggregator"
	"exhaust/aggregator/aggtest"
	"exhaust/event"
	"exhaust/world"
)

// genStream is the shared stream of persons' days 1..days (see aggtest).
func genStream(t testing.TB, persons, days int) *aggtest.Stream {
	t.Helper()
	s, err := aggtest.Shared(1, persons, days)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// genStreamWith is genStream with adjust applied to every person.
func genStreamWith(t testing.TB, persons, days int, adjust func(*world.Person)) *aggtest.Stream {
	t.Helper()
	s, err := aggtest.Generate(1, persons, days, adjust)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func apply(t testing.TB, e *aggregator.Engine, evs []*event.Event, firstSeq uint64) {
	t.Helper()
	for i, ev := range evs {
		if _, err := e.Apply(firstSeq+uint64(i), ev); err != nil {
			t.Fatal(err)
		}
	}
}

// state is everything an outside observer sees of an engine.
func state(t testing.TB, e *aggregator.Engine) []byte {
	t.Helper()
	var profiles []*aggregator.Profile
	for _, s := range e.Profiles() {
		p, ok := e.Profile(s.ID)
		if !ok {
			t.Fatalf("listed profile %s not found", s.ID)
		}
		profiles = append(profiles, p)
	}
	b, err := json.Marshal(struct {
		Profiles []*aggregator.Profile
		Accuracy aggregator.Accuracy
		Stats    aggregator.Stats
		Seq      uint64
	}{profiles, e.Accuracy(), e.Stats(), e.Seq()})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSnapshotAndReplayEqualsUninterruptedRun(t *testing.T) {
	s := genStream(t, 8, 2)
	whole := aggregator.New(aggregator.DefaultConfig())
	apply(t, whole, s.Events, 1)
	s.SetTruth(whole)

	for _, cut := range []int{1, len(s.Events) / 3, len(s.Events) - 1} {
		first := aggregator.New(aggregator.DefaultConfig())
		apply(t, first, s.Events[:cut], 1)
		var snap bytes.Buffer
		if err := first.Snapshot(&snap); err != nil {
			t.Fatal(err)
		}
		restarted := aggregator.New(aggregator.DefaultConfig())
		if err := restarted.Restore(&snap); err != nil {
			t.Fatal(err)
		}
		if restarted.Seq() != uint64(cut) {
			t.Fatalf("restored seq %d, want %d", restarted.Seq(), cut)
		}
		apply(t, restarted, s.Events[cut:], uint64(cut)+1)
		s.SetTruth(restarted)
		if got, want := state(t, restarted), state(t, whole); !bytes.Equal(got, want) {
			t.Fatalf("cut at %d: restored and replayed state differs from the uninterrupted run", cut)
		}
	}
}

func TestRedeliveryAndDuplicatesChangeNothing(t *testing.T) {
	s := genStream(t, 8, 1)
	once := aggregator.New(aggregator.DefaultConfig())
	apply(t, once, s.Events, 1)

	twice := aggregator.New(aggregator.DefaultConfig())
	apply(t, twice, s.Events, 1)
	// A redelivery: the same stream sequences again.
	for i, ev := range s.Events[:50] {
		if r, err := twice.Apply(uint64(i+1), ev); err != nil || r != aggregator.Stale {
			t.Fatalf("redelivered seq %d: %v, %v; want stale", i+1, r, err)
		}
	}
	// A re-publication: the same events at new sequences.
	next := uint64(len(s.Events)) + 1
	for i, ev := range s.Events[len(s.Events)-50:] {
		if r, err := twice.Apply(next+uint64(i), ev); err != nil || r != aggregator.Duplicate {
			t.Fatalf("re-published event %s: %v, %v; want duplicate", ev.ID, r, err)
		}
	}
	a, b := once.Profiles(), twice.Profiles()
	if !reflect.DeepEqual(a, b) || once.Stats().Events != twice.Stats().Events {
		t.Fatal("redelivered and re-published events changed the profiles")
	}
}

func TestHeroProfileIsNamedAndMatchesTruth(t *testing.T) {
	s := genStream(t, 8, 1)
	e := aggregator.New(aggregator.DefaultConfig())
	apply(t, e, s.Events, 1)
	s.SetTruth(e)
	var hero *aggregator.Summary
	for _, p := range e.Profiles() {
		if p.Truth == world.HeroID {
			if hero == nil || p.Identifiers > hero.Identifiers {
				hero = &p
			}
		}
	}
	if hero == nil {
		t.Fatal("no profile matches the hero")
	}
	if hero.Name != s.Truth[0].Name {
		t.Errorf("hero's profile is named %q, want %q (from her loyalty registration)", hero.Name, s.Truth[0].Name)
	}
	p, ok := e.Profile(hero.ID)
	if !ok || len(p.Facts) == 0 || len(p.Links) == 0 {
		t.Fatalf("hero's profile %s: found %v, %d facts, %d links", hero.ID, ok, len(p.Facts), len(p.Links))
	}
	if _, ok := e.Profile("P-00000000"); ok {
		t.Error("an unknown profile id was found")
	}
}

func TestRestoreRejectsGarbage(t *testing.T) {
	e := aggregator.New(aggregator.DefaultConfig())
	if err := e.Restore(bytes.NewReader([]byte("not a snapshot"))); err == nil {
		t.Fatal("garbage restored")
	}
}

// heroProfile applies s to a fresh engine and returns the hero's largest
// profile.
func heroProfile(t *testing.T, s *aggtest.Stream) *aggregator.Profile {
	t.Helper()
	e := aggregator.New(aggregator.DefaultConfig())
	apply(t, e, s.Events, 1)
	s.SetTruth(e)
	for _, sum := range e.Profiles() { // most identifiers first
		if sum.Truth == world.HeroID {
			p, _ := e.Profile(sum.ID)
			return p
		}
	}
	t.Fatal("no profile matches the hero")
	return nil
}

// Paying cash removes the card from the hero's day: no payment joins her
// loyalty baskets any more, and the API shows fewer facts about her.
func TestCashBreaksTheCardLoyaltyLink(t *testing.T) {
	withCard := heroProfile(t, genStream(t, 8, 1))
	withCash := heroProfile(t, genStreamWith(t, 8, 1, func(p *world.Person) {
		if p.ID == world.HeroID {
			p.Privacy.PaysCash = true
		}
	}))
	joined := func(p *aggregator.Profile) int {
		n := 0
		for _, l := range p.Links {
			if l.Kind == "joined_records" {
				n++
			}
		}
		return n
	}
	if joined(withCard) == 0 {
		t.Fatal("with her card, no card-loyalty join links the hero's profile")
	}
	if n := joined(withCash); n != 0 {
		t.Errorf("paying cash, the hero's profile still has %d joined-records links", n)
	}
	if len(withCash.Facts) >= len(withCard.Facts) {
		t.Errorf("paying cash left %d facts, with the card %d: want fewer", len(withCash.Facts), len(withCard.Facts))
	}
}

// TestListingKeptAcrossEventsEqualsFresh checks the per-cluster summary
// cache: listings taken while the events flow (each keeps the clusters
// nothing touched since) end equal to a listing of the same events made
// from scratch.
func TestListingKeptAcrossEventsEqualsFresh(t *testing.T) {
	s := genStream(t, 20, 2)
	defer aggregator.SetWarmChunk(7)() // many chunks, each releasing the lock
	kept := aggregator.New(aggregator.DefaultConfig())
	s.SetTruth(kept)
	for _, cut := range []int{len(s.Events) / 5, len(s.Events) / 2, len(s.Events) - 3, len(s.Events)} {
		apply(t, kept, s.Events[:cut], 1)
		kept.Profiles()
	}
	fresh := aggregator.New(aggregator.DefaultConfig())
	apply(t, fresh, s.Events, 1)
	s.SetTruth(fresh)
	got, err := json.Marshal(kept.Profiles())
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(fresh.Profiles())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("listing kept across events differs from a fresh one:\n%s\nwant\n%s", got, want)
	}
}

// TestRestoreRefusesBadSnapshots checks that a snapshot cut short, or in
// another format, is refused with an error and leaves the Engine empty.
func TestRestoreRefusesBadSnapshots(t *testing.T) {
	s := genStream(t, 8, 1)
	e := aggregator.New(aggregator.DefaultConfig())
	apply(t, e, s.Events, 1)
	var snap bytes.Buffer
	if err := e.Snapshot(&snap); err != nil {
		t.Fatal(err)
	}
	whole := snap.Bytes()
	for name, b := range map[string][]byte{
		"cut in the header": whole[:10],
		"cut in a part":     whole[:len(whole)/2],
		"another format":    append([]byte("gob!"), whole[4:]...),
	} {
		r := aggregator.New(aggregator.DefaultConfig())
		if err := r.Restore(bytes.NewReader(b)); err == nil {
			t.Errorf("%s: restored without error", name)
		}
		if r.Seq() != 0 || len(r.Profiles()) != 0 {
			t.Errorf("%s: a refused snapshot left state behind (seq %d)", name, r.Seq())
		}
	}
	r := aggregator.New(aggregator.DefaultConfig())
	if err := r.Restore(bytes.NewReader(whole)); err != nil || r.Seq() != e.Seq() {
		t.Fatalf("whole snapshot: seq %d, error %v; want seq %d", r.Seq(), err, e.Seq())
	}
}

// TestListingWhileApplying lists profiles while events are applied, a few
// summaries per hold of the lock: run under -race, it checks that the
// summary cache is shared safely between readers and the applier.
func TestListingWhileApplying(t *testing.T) {
	s := genStream(t, 10, 1)
	defer aggregator.SetWarmChunk(3)()
	e := aggregator.New(aggregator.DefaultConfig())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			e.Profiles()
			e.TopProfiles(3)
		}
	}()
	apply(t, e, s.Events, 1)
	<-done
	fresh := aggregator.New(aggregator.DefaultConfig())
	apply(t, fresh, s.Events, 1)
	if got, want := len(e.Profiles()), len(fresh.Profiles()); got != want {
		t.Fatalf("%d profiles after listing while applying, %d without", got, want)
	}
}

// TestTopProfilesInListingOrder checks that TopProfiles, which ranks
// clusters without deriving their facts, returns the listing's first ones.
func TestTopProfilesInListingOrder(t *testing.T) {
	s := genStream(t, 12, 1)
	e := aggregator.New(aggregator.DefaultConfig())
	apply(t, e, s.Events, 1)
	list := e.Profiles()
	for _, n := range []int{0, 1, 5, len(list), len(list) + 3} {
		top := e.TopProfiles(n)
		if len(top) != min(n, len(list)) {
			t.Fatalf("TopProfiles(%d): %d profiles, want %d", n, len(top), min(n, len(list)))
		}
		for i, p := range top {
			if p.ID != list[i].ID || p.Summary.Facts != list[i].Facts {
				t.Fatalf("TopProfiles(%d)[%d] = %s (%d facts), listing has %s (%d facts)", n, i, p.ID, p.Summary.Facts, list[i].ID, list[i].Facts)
			}
		}
	}
}
