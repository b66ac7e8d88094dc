package world

import (
	"math"
	"slices"
)

// use is what a person goes to a place for; it picks the places of one
// kind and merchant category.
type use int

// Uses of local places.
const (
	useBakery use = iota
	useGrocery
	usePharmacy
	useCafe
	useRestaurant
	useBar
	useGym
	usePark
	useCinema
	useBooks
	nUses
)

// useOf returns the use a place serves, or -1.
func useOf(p *Place) use {
	switch {
	case p.Mall != nil || p.Kind == KindHome:
		return -1 // the mall's shops are a destination, not a local
	case p.Kind == KindPark:
		return usePark
	case p.Kind == KindGym:
		return useGym
	}
	switch p.MCC {
	case mccBakery:
		return useBakery
	case mccGrocery:
		return useGrocery
	case mccPharmacy:
		return usePharmacy
	case mccCafe:
		return useCafe
	case mccRestaurant:
		return useRestaurant
	case mccBar:
		return useBar
	case mccCinema:
		return useCinema
	case mccBooks:
		return useBooks
	}
	return -1
}

// localChoices is how many places of each use a person frequents: their
// usual one most of the time, the next ones now and then.
const localChoices = 3

// placeIndex buckets the city's places by use on a grid, for nearest
// searches.
type placeIndex struct {
	cellM  float64
	origin Point
	kx     float64
	cells  [nUses]map[[2]int][]*Place
	counts [nUses]int
	// places are the places with a use, numbered from 1 by their index
	// in it plus one (see localSet).
	places []*Place
	number map[string]uint16 // by place id
}

// localSet is a person's places of one use, nearest first: up to
// localChoices of them, each by its number in the city's placeIndex (0:
// none). Two bytes a place rather than a slice of pointers: a person has
// one set per use, and at 100,000 people the slices took some 45 MB.
type localSet [localChoices]uint16

// nearestSet is nearest as a localSet.
func (c *City) nearestSet(u use, p Point) localSet {
	ix := c.index()
	var s localSet
	for i, pl := range c.nearest(u, p, localChoices) {
		s[i] = ix.number[pl.ID]
	}
	return s
}

// len is how many places s holds.
func (s localSet) len() int {
	n := 0
	for n < len(s) && s[n] != 0 {
		n++
	}
	return n
}

// localPlace returns s's i-th place.
func (c *City) localPlace(s localSet, i int) *Place { return c.index().places[s[i]-1] }

func (c *City) index() *placeIndex {
	c.nearOnce.Do(func() {
		ix := &placeIndex{cellM: 800, origin: Chatelet, kx: math.Cos(Chatelet.Lat * math.Pi / 180)}
		for u := range ix.cells {
			ix.cells[u] = map[[2]int][]*Place{}
		}
		ix.number = map[string]uint16{}
		for _, p := range c.Places {
			if u := useOf(p); u >= 0 {
				if len(ix.places) == math.MaxUint16 {
					panic("world: too many local places to number in a localSet")
				}
				ix.places = append(ix.places, p)
				ix.number[p.ID] = uint16(len(ix.places))
				k := ix.cellOf(p.Point)
				ix.cells[u][k] = append(ix.cells[u][k], p)
				ix.counts[u]++
			}
		}
		c.near = ix
	})
	return c.near
}

func (ix *placeIndex) cellOf(p Point) [2]int {
	y := (p.Lat - ix.origin.Lat) * 111_320 / ix.cellM
	x := (p.Lon - ix.origin.Lon) * 111_320 * ix.kx / ix.cellM
	return [2]int{int(math.Floor(y)), int(math.Floor(x))}
}

// nearest returns the k places of use u nearest to p, nearest first (ties
// by id), searching ring by ring around p's cell. It ranks by a flat-earth
// squared distance, exact enough within a city.
func (c *City) nearest(u use, p Point, k int) []*Place {
	ix := c.index()
	k = min(k, ix.counts[u])
	if k <= 0 {
		return nil
	}
	type cand struct {
		d2 float64
		pl *Place
	}
	less := func(a, b cand) bool {
		if a.d2 != b.d2 {
			return a.d2 < b.d2
		}
		return a.pl.ID < b.pl.ID
	}
	best := make([]cand, 0, k+1)
	seen := 0
	ck := ix.cellOf(p)
	for r := 0; seen < ix.counts[u]; r++ {
		for dy := -r; dy <= r; dy++ {
			for dx := -r; dx <= r; dx++ {
				if max(abs(dy), abs(dx)) != r {
					continue
				}
				for _, pl := range ix.cells[u][[2]int{ck[0] + dy, ck[1] + dx}] {
					seen++
					ny := (pl.Point.Lat - p.Lat) * 111_320
					ex := (pl.Point.Lon - p.Lon) * 111_320 * ix.kx
					cd := cand{ny*ny + ex*ex, pl}
					if len(best) == k && !less(cd, best[k-1]) {
						continue
					}
					i := len(best)
					for i > 0 && less(cd, best[i-1]) {
						i--
					}
					best = slices.Insert(best, i, cd)
					if len(best) > k {
						best = best[:k]
					}
				}
			}
		}
		// Anything beyond ring r is at least r cells away.
		if bound := float64(r) * ix.cellM; len(best) == k && best[k-1].d2 <= bound*bound {
			break
		}
	}
	out := make([]*Place, len(best))
	for i, c := range best {
		out[i] = c.pl
	}
	return out
}
