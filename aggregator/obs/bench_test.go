package obs_test

import (
	"encoding/json"
	"flag"
	"sync"
	"testing"

	"exhaust/aggregator"
	"exhaust/aggregator/aggtest"
	"exhaust/aggregator/obs"
	"exhaust/event"
	"exhaust/meaning"
	"exhaust/producers"
	_ "exhaust/producers/all" // every producer
	"exhaust/world"
)

// benchPersons is the city the benchmarks decode: a few hundred people
// give every event type in its usual proportion.
const benchPersons = 300

var (
	benchOnce sync.Once
	benchRaw  [][]byte
	benchErr  error
)

// published returns one day of a benchPersons city as the runner publishes
// it: every producer's encoded events, merged by time.
func published(tb testing.TB) [][]byte {
	tb.Helper()
	benchOnce.Do(func() {
		w, err := world.New(world.Config{Seed: 1, Persons: benchPersons, Start: world.DefaultStart()})
		if err != nil {
			benchErr = err
			return
		}
		per, order, err := producers.CollectDay(producers.All(), 1, w.Day(1))
		if err != nil {
			benchErr = err
			return
		}
		next := make([]int, len(per))
		for _, p := range order {
			benchRaw = append(benchRaw, per[p][next[p]].Payload)
			next[p]++
		}
	})
	if benchErr != nil {
		tb.Fatal(benchErr)
	}
	return benchRaw
}

func validator(tb testing.TB) *event.Validator {
	tb.Helper()
	v, err := producers.NewValidator(producers.All()...)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// validated returns published(tb) validated, as the aggregator receives
// them.
func validated(tb testing.TB) []*event.Event {
	tb.Helper()
	v := validator(tb)
	var evs []*event.Event
	for _, raw := range published(tb) {
		ev, err := v.Validate(raw)
		if err != nil {
			tb.Fatal(err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// referenceDecode is Decode with the reference decoder alone
// (encoding/json, see DecodeReference).
func referenceDecode(ev *event.Event) (*obs.Record, error) {
	r, err := obs.DecodeReference(ev.Data.(json.RawMessage))
	if err != nil {
		return nil, err
	}
	r.ID, r.Type, r.Time, r.Means = ev.ID, ev.Type, ev.Time, meaning.For(ev.Type)
	return r, nil
}

// BenchmarkDecode decodes a simulated day's events, one event an
// operation: the reference (encoding/json) and Decode.
func BenchmarkDecode(b *testing.B) {
	evs := validated(b)
	for _, bc := range []struct {
		name   string
		decode func(*event.Event) (*obs.Record, error)
	}{
		{"reference", referenceDecode},
		{"fast", obs.Decode},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := bc.decode(evs[i%len(evs)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkValidateDecode is the whole per-event path of the aggregator
// before the Engine: validate the raw event, then decode its data.
func BenchmarkValidateDecode(b *testing.B) {
	raws := published(b)
	v := validator(b)
	for _, bc := range []struct {
		name   string
		decode func(*event.Event) (*obs.Record, error)
	}{
		{"reference", referenceDecode},
		{"fast", obs.Decode},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				ev, err := v.Validate(raws[i%len(raws)])
				if err != nil {
					b.Fatal(err)
				}
				if _, err := bc.decode(ev); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

var enginePersons = flag.Int("decode.persons", 300, "people in the city of BenchmarkEngineApply")

// BenchmarkEngineApply feeds a day of a -decode.persons city to a new
// Engine, each event decoded by the reference or by Decode just before
// it is applied, as the service's workers do: the decoder's share of the
// Engine's time, allocation rate included. An operation is the whole day.
//
//	go test -run XXX -bench EngineApply -benchtime 1x -count 2 -decode.persons 3000 ./aggregator/obs/
func BenchmarkEngineApply(b *testing.B) {
	s, err := aggtest.Generate(1, *enginePersons, 1, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name   string
		decode func(*event.Event) (*obs.Record, error)
	}{
		{"reference", referenceDecode},
		{"fast", obs.Decode},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				e := aggregator.New(aggregator.DefaultConfig())
				for i, ev := range s.Events {
					r, err := bc.decode(ev)
					if err != nil {
						b.Fatal(err)
					}
					decoded := *ev
					decoded.Data = r
					if _, err := e.Apply(uint64(i+1), &decoded); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(s.Events)), "ns/event")
		})
	}
}
