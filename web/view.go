package web

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"

	"exhaust/aggregator"
	"exhaust/aggregator/facts"
	"exhaust/world"
)

// Exposure weights: how much each fact the beast holds about a person
// weighs in the exposure score. They add up to 100, so a profile holding
// every fact at full confidence scores 100 before its linked identifiers
// are counted. Home, name and contacts weigh most: they turn an anonymous
// trace into a person one can find, name and map socially.
var exposureWeights = map[string]float64{
	facts.FactHome: 12, facts.FactWork: 8, facts.FactName: 10, facts.FactEmail: 6,
	facts.FactSleep: 6, facts.FactWakeToPhone: 3, facts.FactActivity: 4, facts.FactTrips: 7,
	facts.FactPlaces: 7, facts.FactSpending: 6, facts.FactShopping: 5, facts.FactInterests: 6,
	facts.FactCafe: 4, facts.FactApps: 4, facts.FactDevices: 2, facts.FactContacts: 10,
}

// defaultWeight weighs a fact the table does not know yet (a newer fact).
const defaultWeight = 3

// identifierWeight is what each identifier linked into the profile, beyond
// the first, adds to the exposure score: every link is one more way to
// recognise the person in someone else's data.
const identifierWeight = 1

// exposure is the exposure score of a profile: Σ weight(fact) × confidence
// over its facts, plus identifierWeight × (linked identifiers − 1), rounded
// to one decimal.
func exposure(fs []facts.Fact, linked int) float64 {
	sum := 0.0
	for _, f := range fs {
		w, ok := exposureWeights[f.Name]
		if !ok {
			w = defaultWeight
		}
		sum += w * f.Confidence
	}
	if linked > 1 {
		sum += identifierWeight * float64(linked-1)
	}
	return math.Round(sum*10) / 10
}

// ownerCount is how many identifiers of one person a profile holds.
type ownerCount struct {
	Person string `json:"person"` // "" for identifiers no one is known to own
	Name   string `json:"name,omitempty"`
	Count  int    `json:"count"`
}

// fragment is another profile the beast keeps about a person: the person
// is split.
type fragment struct {
	ID          string   `json:"id"`
	Identifiers int      `json:"identifiers"`
	Facts       []string `json:"facts"`
	Kinds       []string `json:"kinds"` // identifier kinds it holds
}

// beastView is what the beast has inferred about the profile that matches
// one person: the right column.
type beastView struct {
	Person    string              `json:"person"`
	Profile   *aggregator.Profile `json:"profile"` // nil until a profile is mostly this person's
	Owners    []ownerCount        `json:"owners"`  // whose identifiers the profile holds (truth)
	Fragments []fragment          `json:"fragments"`
	Linked    int                 `json:"linked"` // the person's identifiers in the profile
	Owned     int                 `json:"owned"`  // the person's identifiers (truth, so far)
	Score     float64             `json:"score"`
	Events    uint64              `json:"events"` // events the session's beast applied
}

// beast builds the beast view of person from engine.
func (s *session) beast(engine *aggregator.Engine, person string) beastView {
	v := beastView{Person: person, Owners: []ownerCount{}, Fragments: []fragment{}, Owned: s.ownedCount(person)}
	var mine []aggregator.Summary
	for _, sum := range engine.Profiles() {
		if sum.Truth == person {
			mine = append(mine, sum)
		}
	}
	if len(mine) == 0 {
		return v
	}
	// Profiles come most identifiers first: the first is the main one.
	p, ok := engine.Profile(mine[0].ID)
	if !ok {
		return v
	}
	v.Profile = p
	v.Owners = s.owners(p.Identifiers)
	for _, o := range v.Owners {
		if o.Person == person {
			v.Linked = o.Count
		}
	}
	v.Score = exposure(p.Facts, v.Linked)
	for _, sum := range mine[1:] {
		f := fragment{ID: sum.ID, Identifiers: sum.Identifiers, Facts: []string{}, Kinds: []string{}}
		if fp, ok := engine.Profile(sum.ID); ok {
			for _, fc := range fp.Facts {
				f.Facts = append(f.Facts, fc.Name)
			}
			for _, id := range fp.Identifiers {
				if k := string(id.Kind); !slices.Contains(f.Kinds, k) {
					f.Kinds = append(f.Kinds, k)
				}
			}
		}
		v.Fragments = append(v.Fragments, f)
	}
	return v
}

// owners counts a profile's identifiers by owner, most first.
func (s *session) owners(ids []aggregator.Identifier) []ownerCount {
	counts := map[string]int{}
	var order []string
	for _, p := range s.ownersOf(ids) {
		if _, ok := counts[p]; !ok {
			order = append(order, p)
		}
		counts[p]++
	}
	out := make([]ownerCount, 0, len(order))
	for _, p := range order {
		oc := ownerCount{Person: p, Count: counts[p]}
		if per := s.cfg.World.Person(p); per != nil {
			oc.Name = per.Name
		}
		out = append(out, oc)
	}
	slices.SortStableFunc(out, func(a, b ownerCount) int { return b.Count - a.Count })
	return out
}

// popRow is one profile in the population view.
type popRow struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Identifiers int          `json:"identifiers"`
	Facts       int          `json:"facts"`
	Truth       string       `json:"truth,omitempty"`
	TruthName   string       `json:"truth_name,omitempty"`
	Owners      []ownerCount `json:"owners"`
	Mixed       bool         `json:"mixed"` // holds identifiers of several persons
	Split       bool         `json:"split"` // its person has other profiles too
}

// population is the population view: every profile, and how well the
// beast did.
type population struct {
	Events   uint64              `json:"events"`
	Rejected uint64              `json:"rejected"`
	Profiles int                 `json:"profiles"`
	Persons  int                 `json:"persons"`
	Accuracy aggregator.Accuracy `json:"accuracy"`
	Unicity  []float64           `json:"unicity"` // ε_p for p = 1…6
	Rows     []popRow            `json:"rows"`
	// Duplicates, LateWithin and LateBeyond are the beast's counts of
	// events it ignored as already applied, applied late but as if on
	// time, and applied too late for co-occurrence (aggregator.Stats).
	Duplicates uint64 `json:"duplicates"`
	LateWithin uint64 `json:"late_within"`
	LateBeyond uint64 `json:"late_beyond"`
}

// refreshPopulation recomputes the population view if the beast changed
// since the last one.
func (s *session) refreshPopulation() {
	s.mu.RLock()
	gen, engine, events, rejected := s.gen, s.engine, s.events, s.rejected
	at := s.popAt
	s.mu.RUnlock()
	version := engine.Version()
	if at == [2]uint64{gen, version} {
		return
	}
	b, err := json.Marshal(s.population(engine, events, rejected))
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen != gen {
		return // reset meanwhile
	}
	s.pop, s.popAt = b, [2]uint64{gen, version}
	s.popSeq++
	s.notifyLocked()
}

func (s *session) population(engine *aggregator.Engine, events, rejected uint64) population {
	acc := engine.Accuracy()
	st := engine.Stats()
	pop := population{Events: events, Rejected: rejected, Accuracy: acc, Persons: acc.Persons, Rows: []popRow{},
		Duplicates: st.Duplicates, LateWithin: st.LateWithin, LateBeyond: st.LateBeyond}
	for p := 1; p <= 6; p++ {
		pop.Unicity = append(pop.Unicity, acc.Unicity[strconv.Itoa(p)])
	}
	sums := engine.Profiles()
	pop.Profiles = len(sums)
	perPerson := map[string]int{}
	for _, sum := range sums {
		if sum.Truth != "" {
			perPerson[sum.Truth]++
		}
	}
	for _, sum := range sums {
		row := popRow{ID: sum.ID, Name: sum.Name, Identifiers: sum.Identifiers, Facts: sum.Facts, Truth: sum.Truth,
			Split: perPerson[sum.Truth] > 1}
		if p := s.cfg.World.Person(sum.Truth); p != nil {
			row.TruthName = p.Name
		}
		if prof, ok := engine.Profile(sum.ID); ok {
			row.Owners = s.owners(prof.Identifiers)
		}
		if row.Owners == nil {
			row.Owners = []ownerCount{}
		}
		known := 0
		for _, o := range row.Owners {
			if o.Person != "" {
				known++
			}
		}
		row.Mixed = known > 1
		pop.Rows = append(pop.Rows, row)
	}
	return pop
}

// persona is a person in the picker.
type persona struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Hero bool   `json:"hero"`
}

func personas(w *world.World) []persona {
	out := make([]persona, 0, len(w.People))
	for _, p := range w.People {
		out = append(out, persona{ID: p.ID, Name: p.Name, Hero: p.ID == world.HeroID})
	}
	return out
}
