package world

import (
	"errors"
	"fmt"
	"sync"
	"time"
	_ "time/tzdata" // Europe/Paris must resolve on machines without a zoneinfo database

	"exhaust/event"
)

// DefaultPersons is the population size used when none is given on the
// command line: enough for a classroom, small enough to read.
const DefaultPersons = 30

// DefaultSeed is the seed of the canonical run.
const DefaultSeed = 1

// DefaultStart is the first simulated day: Sunday 29 November 2026, the
// hero's seed Sunday.
func DefaultStart() time.Time { return time.Date(2026, time.November, 29, 0, 0, 0, 0, Paris()) }

// DefaultConfig returns the canonical configuration: seed 1, 30 persons,
// starting on DefaultStart.
func DefaultConfig() Config {
	return Config{Seed: DefaultSeed, Persons: DefaultPersons, Start: DefaultStart()}
}

// ErrNoPersons is returned by New when the population would be empty.
var ErrNoPersons = errors.New("world: at least one person (the hero) is needed")

var paris = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil { // impossible with time/tzdata embedded
		panic(err)
	}
	return loc
})

// Paris returns the Europe/Paris time zone, in which days start and end.
func Paris() *time.Location { return paris() }

// New builds the city and its people. The same Config always gives the same
// world; a person's identity depends only on the seed and their id, so a
// larger population adds people without changing the others.
func New(cfg Config) (*World, error) {
	if cfg.Persons < 1 {
		return nil, fmt.Errorf("%w (got %d persons)", ErrNoPersons, cfg.Persons)
	}
	if cfg.Persons > MaxPersons {
		return nil, fmt.Errorf("%w (got %d persons, at most %d)", ErrTooManyPersons, cfg.Persons, MaxPersons)
	}
	if cfg.Start.IsZero() {
		cfg.Start = DefaultStart()
	}
	c := NewCity()
	w := &World{City: c, cfg: cfg, exts: registered()}
	emails := newAddressBook()
	for i := range cfg.Persons {
		occ := genOccupation(cfg.Seed, i)
		home := genHome(cfg.Seed, i, occ, c)
		if home.Kind == KindHome {
			c.add(home)
		}
		p := genPerson(cfg.Seed, i, home, emails)
		settle(cfg.Seed, i, p, occ, c)
		w.People = append(w.People, p)
	}
	linkContacts(cfg.Seed, w.People)
	for i, p := range w.People {
		w.extendPerson(p, i)
	}
	if cfg.Adjust != nil {
		for _, p := range w.People {
			cfg.Adjust(p)
		}
	}
	return w, nil
}

// Config returns the configuration the world was built with.
func (w *World) Config() Config { return w.cfg }

// Person returns the person with the given id, or nil.
func (w *World) Person(id string) *Person {
	if i := personIndex(id); i >= 0 && i < len(w.People) {
		return w.People[i]
	}
	return nil
}

// Date returns local midnight (Europe/Paris) starting day i (1-based).
func (w *World) Date(i int) time.Time {
	s := w.cfg.Start.In(Paris())
	return time.Date(s.Year(), s.Month(), s.Day()+i-1, 0, 0, 0, 0, Paris())
}

// linkContacts builds the social graph. Friends are drawn among nearby
// population indices (a person's circle), symmetrically, so person i's
// contacts depend only on i's neighbourhood of indices: adding people at the
// end of the population does not change existing circles.
func linkContacts(seed int64, people []*Person) {
	const window = 4
	n := len(people)
	for i := range n {
		for j := i + 1; j < n && j <= i+window; j++ {
			h := hashBytes(fmt.Sprint(seed), "edge", PersonID(i), PersonID(j))
			if i == 0 || h[0] < 140 { // about 55 % of nearby pairs know each other; the hero knows all of hers
				people[i].Habits.Contacts = append(people[i].Habits.Contacts, people[j].ID)
				people[j].Habits.Contacts = append(people[j].Habits.Contacts, people[i].ID)
			}
		}
	}
}

// Truth returns, for every person, every identifier they can emit on this
// day: Identifiers plus the single tickets bought that day and the scan
// addresses their devices probe with that day.
func (d *Day) Truth() map[string][]event.ID {
	out := make(map[string][]event.ID, len(d.Plans))
	for _, p := range d.Plans {
		// Scan addresses are left out: a real phone draws a new one every
		// scan, so one names a probe, not a person (see ScanMAC).
		ids := p.Person.Identifiers(d.City)
		for _, t := range p.TicketIDs() {
			ids = append(ids, event.ID{Kind: event.Ticket, Value: t})
		}
		out[p.Person.ID] = sortIDs(ids)
	}
	return out
}

// Throwaway returns, for every person, the addresses their devices emit
// this day that are not identifiers: the random scan addresses of probe
// requests (see ScanMAC). Only checks that every emitted value belongs to
// someone need them; scoring uses Truth.
func (d *Day) Throwaway() map[string][]event.ID {
	out := make(map[string][]event.ID, len(d.Plans))
	for _, p := range d.Plans {
		if ids := p.Person.scanAddresses(d.Index); len(ids) > 0 {
			out[p.Person.ID] = sortIDs(ids)
		}
	}
	return out
}

// InCity reports whether p is in the city on day (1-based): residents
// always are, visitors between their arrival and departure days.
func (p *Person) InCity(day int) bool {
	return p.Arrive == 0 || (day >= p.Arrive && day <= p.Leave)
}

// Present returns the plans of the people in the city this day, in
// population order: what the sensors can see. A visitor's plan on a day
// outside their stay has no segments and must not be observed.
func (d *Day) Present() []*Plan {
	out := make([]*Plan, 0, len(d.Plans))
	for _, pl := range d.Plans {
		if pl.Person.InCity(d.Index) {
			out = append(out, pl)
		}
	}
	return out
}

// Plan returns the plan of the person with the given id, or nil (also for
// someone outside a part of the day).
func (d *Day) Plan(id string) *Plan {
	if i := personIndex(id) - d.From; i >= 0 && i < len(d.Plans) {
		return d.Plans[i]
	}
	return nil
}

// Moment returns the hero's moment with the given name, or nil.
func (d *Day) Moment(name string) *Moment {
	for i := range d.Moments {
		if d.Moments[i].Name == name {
			return &d.Moments[i]
		}
	}
	return nil
}
