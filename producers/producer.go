package producers

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"time"

	"exhaust/event"
	"exhaust/meaning"
	"exhaust/world"
)

// Producer is one simulated sensor: it observes a simulated day and emits only
// what that sensor could really see.
type Producer interface {
	// Spec describes the producer; it is data, used for the registry listing,
	// generated docs and the contract suite.
	Spec() Spec
	// Observe emits the events this sensor saw during day. It must be
	// deterministic: all randomness comes from rng, a generator seeded for
	// this run, producer and day. A large city's day is observed in parts
	// (world.World.Part, StreamDay): observing the parts in order, with
	// the same rng and emit, must emit what observing the whole day does,
	// so people are observed one after the other, and whatever covers the
	// whole population at once belongs to the part with From 0.
	Observe(day *world.Day, rng *rand.Rand, emit Emitter) error
}

// Emitter receives a producer's events. It builds the envelope (id, source,
// type, subject, schema) so producers only supply the kind, time and data.
type Emitter interface {
	Emit(kind string, t time.Time, data any)
}

// KindSpec describes one event kind of a producer.
type KindSpec struct {
	Name    string         // "tap" → type "transit.tap", subject "exhaust.transit.tap"
	Summary string         // one sentence: what the event is
	Reveals string         // one sentence: what it gives away
	IDKinds []event.IDKind // identifier kinds the event may carry
	Schema  []byte         // JSON Schema (draft 2020-12) of the event's data
	// Means declares what the kind's events mean, in the vocabulary the
	// aggregator derives its facts from (package meaning): a kind without
	// meanings is still linked by its identifiers and places, but feeds
	// no fact.
	Means []meaning.Meaning
}

// PrivacyRule declares a privacy setting the producer honours: with the
// setting applied to everyone, the listed kinds must vanish entirely.
type PrivacyRule struct {
	Setting    string               // human name, e.g. "location services off"
	Apply      func(*world.Privacy) // flips the setting
	Suppresses []string             // kinds that must no longer be emitted
}

// IDKindSpec declares an identifier kind that the built-in vocabulary
// (event.Kinds) lacks and only this producer's sensor sees: a parking
// camera reads number plates. Register adds it to the vocabulary.
type IDKindSpec struct {
	Kind event.IDKind // one lower-case word: "plate"
	// Summary is one sentence: what the identifier is and who sees it.
	Summary string
	// Exclusive is set when a person has at most one at a time (like a
	// SIM or a bank card), which the aggregator's linker can use.
	Exclusive bool
}

// Spec is a producer's description, as data.
type Spec struct {
	Name    string // lower-case, one NATS token: "phone", "transit", …
	Summary string
	Kinds   []KindSpec
	Privacy []PrivacyRule
	// NewIDKinds declares the identifier kinds this producer adds to the
	// vocabulary. Its owners' values must be in the world's ground truth
	// (Person.Identifiers: see world.Extend).
	NewIDKinds []IDKindSpec
}

// SchemaFS returns the schema of kind, schemas/<kind>.json in fsys (a
// producer's embedded schemas). It panics when the file is missing: a
// programming error that any test run catches.
func SchemaFS(fsys fs.FS, kind string) []byte {
	b, err := fs.ReadFile(fsys, "schemas/"+kind+".json")
	if err != nil {
		panic(fmt.Sprintf("producers: missing schema for kind %q: %v", kind, err))
	}
	return b
}
