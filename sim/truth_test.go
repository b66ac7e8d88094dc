package sim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"

	"exhaust/clock"
	"exhaust/event"
	"exhaust/producers"
	"exhaust/sim"
	"exhaust/world"
)

// truthLog keeps every truth record published, in order.
type truthLog struct {
	persons  []string
	payloads [][]byte
}

func (l *truthLog) Publish(context.Context, string, string, []byte) error { return nil }
func (l *truthLog) Flush(context.Context) error                           { return nil }
func (l *truthLog) PublishTruth(_ context.Context, person string, payload []byte) error {
	l.persons, l.payloads = append(l.persons, person), append(l.payloads, payload)
	return nil
}

// TestTruthIsEachDayAddedToTheLast: the truth published for each day is,
// record for record and byte for byte, what world.Owned makes of the
// whole days' truth (Day.Truth) added day after day: every identifier a
// person emitted so far, the single tickets of earlier days included, for
// the people in the city that day. The city is large enough to have
// ticket buyers and visitors coming and going, and its days are made in
// parts.
func TestTruthIsEachDayAddedToTheLast(t *testing.T) {
	const persons, days, seed = 60, 4, 3
	w, err := world.New(world.Config{Seed: seed, Persons: persons, Start: world.DefaultStart()})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.SetPartPersons(7)()
	clk, err := clock.New(world.DefaultStart(), 1, true)
	if err != nil {
		t.Fatal(err)
	}
	got := &truthLog{}
	r, err := sim.New(sim.Config{World: w, Seed: seed, Days: days, Producers: producers.All(), Clock: clk, Sink: got, Truth: got})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}

	var want truthLog
	owned := world.Owned{}
	earlier, absent := 0, 0 // tickets bought on an earlier day; people out of the city
	for d := 1; d <= days; d++ {
		day := w.Part(d, 0, persons)
		absent += persons - len(day.Present())
		today := day.Truth()
		for _, pi := range owned.Add(day) {
			p := pi.Person
			b, err := json.Marshal(sim.Truth{Person: p.ID, Name: p.Name, Email: p.Email, Day: d, IDs: pi.IDs})
			if err != nil {
				t.Fatal(err)
			}
			want.persons, want.payloads = append(want.persons, p.ID), append(want.payloads, b)
			for _, id := range pi.IDs {
				if id.Kind == event.Ticket && !slices.Contains(today[p.ID], id) {
					earlier++
				}
			}
		}
	}
	if earlier == 0 || absent == 0 {
		t.Fatalf("the city has %d tickets of earlier days in its truths and %d absences: it tests nothing", earlier, absent)
	}
	if len(got.payloads) != len(want.payloads) {
		t.Fatalf("%d truth records, want %d", len(got.payloads), len(want.payloads))
	}
	for i := range want.payloads {
		if got.persons[i] != want.persons[i] || !bytes.Equal(got.payloads[i], want.payloads[i]) {
			t.Fatalf("truth record %d:\n got %s %s\nwant %s %s", i, got.persons[i], got.payloads[i], want.persons[i], want.payloads[i])
		}
	}
}
