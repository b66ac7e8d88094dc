package world

// This file fixes the API the rest of exhaust uses. Bodies are filled in by
// city.go, people.go and plan.go.

import (
	"sync"
	"time"

	"exhaust/event"
)

// City is the synthetic, Paris-flavoured city: its places, cell towers,
// Wi-Fi access points and metro lines.
type City struct {
	Places   []*Place
	Towers   []*Tower
	APs      []*AccessPoint
	Stations []*Station
	Lines    []*Line
	byID     map[string]*Place
	byKind   map[PlaceKind][]*Place

	nearOnce sync.Once // the index of local places is built on first use
	near     *placeIndex

	gridOnce sync.Once // the tower grid is built on first use
	grid     *towerGrid
}

// Config sets up a world.
type Config struct {
	Seed    int64
	Persons int       // including the hero; at least 1
	Start   time.Time // first simulated day; its date is used (Europe/Paris)
	// Adjust, if set, is applied to every person after generation (privacy
	// experiments, tests). It must be deterministic.
	Adjust func(*Person)
}

// World is a city and its people. Day(i) is a pure function of the Config and i.
type World struct {
	City   *City
	People []*Person
	cfg    Config
	exts   []*ext // the extensions registered when the world was built
}

var _ = event.IMSI
