package api

import (
	"math"
	"time"

	"exhaust/aggregator"
	"exhaust/aggregator/facts"
	"exhaust/aggregator/graph"
	"exhaust/aggregator/score"
	"exhaust/event"
)

// The response bodies. They are the API's contract, kept apart from the
// Engine's types so that a change inside the aggregator cannot silently
// change what clients read.
//
// Every time is RFC 3339 with the offset of the city's zone, Europe/Paris
// ("2026-11-29T23:29:38+01:00"), as the times of day facts give ("in bed
// at 23:29") are: see local.

// local returns t in the city's zone (facts.Zone), the one time convention
// of every body; the zero time stays as it is.
func local(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(facts.Zone())
}

// Summary is one profile in a listing.
type Summary struct {
	ID          string    `json:"id"`          // pseudonymous profile id, "P-" and 8 hex digits
	Name        string    `json:"name"`        // the name fact if known, else a pseudonym
	Identifiers int       `json:"identifiers"` // identifiers linked into the profile
	Facts       int       `json:"facts"`       // facts derived about it
	LastSeen    time.Time `json:"last_seen"`   // simulated time any identifier was last seen
	// Truth is the persona id the profile mostly matches in the ground
	// truth, or null while no truth covers its identifiers.
	Truth *string `json:"truth"`
}

// ProfileList is the body of GET /api/profiles.
type ProfileList struct {
	Profiles []Summary `json:"profiles"`
	Total    int       `json:"total"`    // profiles in all pages
	Page     int       `json:"page"`     // 1-based
	PerPage  int       `json:"per_page"` // page size asked for
}

// Profile is the body of GET /api/profiles/{id}: a Summary's fields, with
// the facts and identifiers listed instead of counted, and the links.
type Profile struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	LastSeen    time.Time    `json:"last_seen"`
	Truth       *string      `json:"truth"`
	Facts       []Fact       `json:"facts"`
	Identifiers []Identifier `json:"identifiers"`
	Links       []Link       `json:"links"`
	// Splits are the links that once joined one of the profile's
	// identifiers to another, undone by a contradiction (docs/linkage.md).
	Splits []Split `json:"splits"`
}

// Split is a link a contradiction undid: the link as it was, the two
// identifiers seen too far apart to be one person's (or the evidence that
// turned), and why.
type Split struct {
	Time   time.Time `json:"time"`
	Link   Link      `json:"link"`
	A      event.ID  `json:"a"`
	B      event.ID  `json:"b"`
	EventA string    `json:"event_a"`
	EventB string    `json:"event_b"`
	Why    string    `json:"why"`
}

// Fact is one thing the aggregator derived about a profile, with why it
// believes it.
type Fact struct {
	Name       string    `json:"name"`
	Value      any       `json:"value"`
	Display    string    `json:"display"`
	Confidence float64   `json:"confidence"`
	Evidence   Evidence  `json:"evidence"`
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
}

// Evidence supports a fact: a sentence, how many events, a sample of their
// ids and the event types used.
type Evidence struct {
	Why      string   `json:"why"`
	Count    int      `json:"count"`
	EventIDs []string `json:"event_ids"`
	Sources  []string `json:"sources"`
}

// Identifier is one identifier linked into a profile.
type Identifier struct {
	Kind      event.IDKind `json:"kind"`
	Value     string       `json:"value"`
	FirstSeen time.Time    `json:"first_seen"`
	LastSeen  time.Time    `json:"last_seen"`
	Seen      int          `json:"seen"` // events that carried it
}

// Link is one edge of the identity graph inside a profile: why two
// identifiers were judged to belong to one person.
type Link struct {
	A         event.ID  `json:"a"`
	B         event.ID  `json:"b"`
	Evidence  string    `json:"evidence"` // same_event, joined_records or cooccurrence
	Score     float64   `json:"score"`
	Count     int       `json:"count"`
	EventIDs  []string  `json:"event_ids"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Why       string    `json:"why"`
}

// PRF is a precision, recall and F1 triple.
type PRF struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

// Accuracy is the body of GET /api/accuracy.
type Accuracy struct {
	Pairwise   PRF                `json:"pairwise"`
	BCubed     PRF                `json:"bcubed"`
	ByEvidence map[string]PRF     `json:"by_evidence"` // same_event, joined_records, cooccurrence
	Unicity    map[string]float64 `json:"unicity"`     // "1".."6": share of traces unique with that many points
	Persons    int                `json:"persons"`     // persons in the truth; 0: nothing to score against yet
}

// Error is the body of every error response.
type Error struct {
	Error string `json:"error"`
}

func toSummary(s aggregator.Summary) Summary {
	out := Summary{ID: s.ID, Name: s.Name, Identifiers: s.Identifiers, Facts: s.Facts, LastSeen: local(s.LastSeen)}
	if s.Truth != "" {
		t := s.Truth
		out.Truth = &t
	}
	return out
}

func toProfile(p *aggregator.Profile) Profile {
	// Empty lists, never null: clients iterate without checking.
	sm := toSummary(p.Summary)
	out := Profile{
		ID: sm.ID, Name: sm.Name, LastSeen: sm.LastSeen, Truth: sm.Truth,
		Facts:       make([]Fact, 0, len(p.Facts)),
		Identifiers: make([]Identifier, 0, len(p.Identifiers)),
		Links:       make([]Link, 0, len(p.Links)),
		Splits:      make([]Split, 0, len(p.Splits)),
	}
	for _, f := range p.Facts {
		out.Facts = append(out.Facts, toFact(f))
	}
	for _, i := range p.Identifiers {
		out.Identifiers = append(out.Identifiers, Identifier{Kind: i.Kind, Value: i.Value, FirstSeen: local(i.FirstSeen), LastSeen: local(i.LastSeen), Seen: i.Seen})
	}
	for _, l := range p.Links {
		out.Links = append(out.Links, toLink(l))
	}
	for _, sp := range p.Splits {
		out.Splits = append(out.Splits, Split{Time: local(sp.Time), Link: toLink(sp.Link), A: sp.A, B: sp.B, EventA: sp.EventA, EventB: sp.EventB, Why: sp.Why})
	}
	return out
}

func toFact(f facts.Fact) Fact {
	return Fact{
		Name: f.Name, Value: f.Value, Display: f.Display, Confidence: finite(f.Confidence),
		Evidence: Evidence{
			Why: f.Evidence.Why, Count: f.Evidence.Count,
			EventIDs: orEmpty(f.Evidence.EventIDs), Sources: orEmpty(f.Evidence.Sources),
		},
		FirstSeen: local(f.FirstSeen), LastSeen: local(f.LastSeen),
	}
}

func toLink(l graph.Link) Link {
	return Link{
		A: l.A, B: l.B, Evidence: string(l.Kind), Score: finite(l.Score), Count: l.Count,
		EventIDs: orEmpty(l.EventIDs), FirstSeen: local(l.FirstSeen), LastSeen: local(l.LastSeen), Why: l.Why,
	}
}

func toAccuracy(a aggregator.Accuracy) Accuracy {
	out := Accuracy{
		Pairwise: toPRF(a.Pairwise), BCubed: toPRF(a.BCubed),
		ByEvidence: map[string]PRF{}, Unicity: map[string]float64{}, Persons: a.Persons,
	}
	// Every evidence kind is present, scored or not, so clients need not
	// guess which keys may be missing.
	for _, k := range graph.EvidenceKinds {
		out.ByEvidence[string(k)] = PRF{}
	}
	for k, v := range a.ByEvidence {
		out.ByEvidence[k] = toPRF(v)
	}
	for k, v := range a.Unicity {
		out.Unicity[k] = finite(v)
	}
	return out
}

func toPRF(s score.PRF) PRF {
	return PRF{Precision: finite(s.Precision), Recall: finite(s.Recall), F1: finite(s.F1)}
}

// finite maps NaN and infinities, which JSON cannot carry, to 0 (a score
// over nothing).
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
