package world

import (
	"crypto/sha256"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
)

// earthRadiusM is the mean Earth radius used by Distance.
const earthRadiusM = 6_371_000

// Distance returns the great-circle (haversine) distance between a and b in
// metres.
func Distance(a, b Point) float64 {
	const rad = math.Pi / 180
	dLat := (b.Lat - a.Lat) * rad
	dLon := (b.Lon - a.Lon) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusM * math.Asin(math.Min(1, math.Sqrt(h)))
}

// offset returns p moved by north and east metres. Good enough at city scale.
func offset(p Point, north, east float64) Point {
	const mPerDegLat = 111_320.0
	mPerDegLon := mPerDegLat * math.Cos(p.Lat*math.Pi/180)
	return Point{Lat: p.Lat + north/mPerDegLat, Lon: p.Lon + east/mPerDegLon}
}

// lerp returns the point a fraction f of the way from a to b.
func lerp(a, b Point, f float64) Point {
	return Point{Lat: a.Lat + (b.Lat-a.Lat)*f, Lon: a.Lon + (b.Lon-a.Lon)*f}
}

// Place returns the place with the given id, or nil.
func (c *City) Place(id string) *Place { return c.byID[id] }

// Station returns the station with the given id ("station:chatelet"), or nil.
func (c *City) Station(id string) *Station {
	if p := c.byID[id]; p != nil {
		return p.Station
	}
	return nil
}

// Line returns the metro line with the given name ("4"), or nil.
func (c *City) Line(name string) *Line {
	for _, l := range c.Lines {
		if l.Name == name {
			return l
		}
	}
	return nil
}

// PlacesOf returns the places of one kind, in city order. The slice is the
// city's own: callers must not modify it.
func (c *City) PlacesOf(k PlaceKind) []*Place { return slices.Clip(c.byKind[k]) }

// SSIDs returns the names of the city's Wi-Fi networks, sorted.
func (c *City) SSIDs() []string {
	seen := map[string]bool{}
	var out []string
	for _, ap := range c.APs {
		if !seen[ap.SSID] {
			seen[ap.SSID] = true
			out = append(out, ap.SSID)
		}
	}
	sort.Strings(out)
	return out
}

// TowersNear returns the n towers nearest to p, nearest first, with their
// distances. Ties are broken by tower id so results are deterministic.
//
// Phone producers call this for every person every few minutes, so towers
// are bucketed on a grid and searched ring by ring around p; ranking uses a
// flat-earth squared distance (exact enough over a city, and monotonic with
// the true distance to well under a metre), haversine only for the answers.
func (c *City) TowersNear(p Point, n int) []TowerSignal {
	if n <= 0 || len(c.Towers) == 0 {
		return nil
	}
	c.gridOnce.Do(c.buildTowerGrid)
	g := c.grid
	kx := math.Cos(p.Lat * math.Pi / 180)
	less := func(a, b towerCand) bool {
		if a.d2 != b.d2 {
			return a.d2 < b.d2
		}
		return a.t.ID < b.t.ID
	}
	best := make([]towerCand, 0, n+1)
	consider := func(t *Tower) {
		dy, dx := t.Point.Lat-p.Lat, (t.Point.Lon-p.Lon)*kx
		cd := towerCand{dy*dy + dx*dx, t}
		if len(best) == n && !less(cd, best[n-1]) {
			return
		}
		i := sort.Search(len(best), func(i int) bool { return less(cd, best[i]) })
		best = append(best, towerCand{})
		copy(best[i+1:], best[i:])
		best[i] = cd
		if len(best) > n {
			best = best[:n]
		}
	}
	cx, cy := g.cellOf(p)
	// Anything outside ring r is at least r cells away from p's cell, in
	// the ranking metric scaled by kx/kx0 along longitude.
	scale := math.Min(1, kx/g.kx0)
	for r := 0; r <= g.nx+g.ny; r++ {
		for y := cy - r; y <= cy+r; y++ {
			for x := cx - r; x <= cx+r; x++ {
				if max(abs(x-cx), abs(y-cy)) != r || x < 0 || y < 0 || x >= g.nx || y >= g.ny {
					continue
				}
				for _, t := range g.cells[y*g.nx+x] {
					consider(t)
				}
			}
		}
		if bound := float64(r) * g.size * scale; len(best) == n && best[n-1].d2 < bound*bound {
			break
		}
	}
	out := make([]TowerSignal, len(best))
	for i, b := range best {
		out[i] = TowerSignal{Tower: b.t, DistanceM: Distance(p, b.t.Point)}
	}
	return out
}

type towerCand struct {
	d2 float64
	t  *Tower
}

// towerGrid buckets towers by cells of size degrees of latitude (and the
// same ground length in longitude, scaled by kx0).
type towerGrid struct {
	size, kx0  float64
	minX, minY float64
	nx, ny     int
	cells      [][]*Tower
}

func (g *towerGrid) cellOf(p Point) (int, int) {
	x := int(math.Floor((p.Lon*g.kx0 - g.minX) / g.size))
	y := int(math.Floor((p.Lat - g.minY) / g.size))
	return min(max(x, 0), g.nx-1), min(max(y, 0), g.ny-1)
}

func (c *City) buildTowerGrid() {
	g := &towerGrid{size: 0.004, kx0: math.Cos(c.Towers[0].Point.Lat * math.Pi / 180)} // ~450 m cells
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	g.minX, g.minY = math.Inf(1), math.Inf(1)
	for _, t := range c.Towers {
		x, y := t.Point.Lon*g.kx0, t.Point.Lat
		g.minX, g.minY = math.Min(g.minX, x), math.Min(g.minY, y)
		maxX, maxY = math.Max(maxX, x), math.Max(maxY, y)
	}
	g.nx = int((maxX-g.minX)/g.size) + 1
	g.ny = int((maxY-g.minY)/g.size) + 1
	g.cells = make([][]*Tower, g.nx*g.ny)
	for _, t := range c.Towers {
		x, y := g.cellOf(t.Point)
		g.cells[y*g.nx+x] = append(g.cells[y*g.nx+x], t)
	}
	c.grid = g
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// NearestStation returns the metro station nearest to p.
func (c *City) NearestStation(p Point) *Station {
	var best *Station
	bestD := math.Inf(1)
	for _, s := range c.Stations {
		if d := Distance(p, s.Point); d < bestD {
			best, bestD = s, d
		}
	}
	return best
}

// Routing costs, in tenths of a stop: a change of line is worth a bit more
// than three stops, so people accept three extra stops to avoid one and,
// between equally long routes, take the one with fewer changes.
const (
	stopCost     = 10
	transferCost = 31
)

// Route returns the metro legs (without times) from one station to another:
// the path with the fewest stops, where changing line costs a little over
// three stops. It returns nil when from and to are the same station or are not
// connected.
func (c *City) Route(from, to *Station) []Leg {
	if from == nil || to == nil || from == to {
		return nil
	}
	// Every City has the same stations and lines (NewCity is fixed), so
	// routes are cached by station ids for the whole process.
	key := from.ID + "|" + to.ID
	if v, ok := routeCache.Load(key); ok {
		return c.legsFrom(v.([]legIDs))
	}
	legs := c.route(from, to)
	ids := make([]legIDs, len(legs))
	for i, l := range legs {
		ids[i] = legIDs{l.Line, l.From.ID, l.To.ID}
	}
	routeCache.Store(key, ids)
	return legs
}

// routeCache maps "fromID|toID" to the legs of Route, as ids.
var routeCache sync.Map

type legIDs struct{ line, from, to string }

func (c *City) legsFrom(ids []legIDs) []Leg {
	if len(ids) == 0 {
		return nil
	}
	legs := make([]Leg, len(ids))
	for i, l := range ids {
		legs[i] = Leg{Line: l.line, From: c.Station(l.from), To: c.Station(l.to)}
	}
	return legs
}

// route is Route without the cache.
func (c *City) route(from, to *Station) []Leg {
	type state struct {
		st   *Station
		line *Line
		pos  int // index of st on line
	}
	// Dijkstra over (station, line) states; the graph is tiny, so a linear
	// scan for the minimum is fine and keeps tie-breaking deterministic.
	var states []state
	index := map[[2]int]int{}
	stIdx := map[*Station]int{}
	for i, s := range c.Stations {
		stIdx[s] = i
	}
	for li, l := range c.Lines {
		for pos, s := range l.Stations {
			index[[2]int{stIdx[s], li}] = len(states)
			states = append(states, state{s, l, pos})
		}
	}
	lineIdx := map[*Line]int{}
	for i, l := range c.Lines {
		lineIdx[l] = i
	}
	dist := make([]int, len(states))
	prev := make([]int, len(states))
	done := make([]bool, len(states))
	for i := range dist {
		dist[i] = math.MaxInt
		prev[i] = -1
		if states[i].st == from {
			dist[i] = 0
		}
	}
	goal := -1
	for {
		u := -1
		for i := range states {
			if !done[i] && dist[i] != math.MaxInt && (u < 0 || dist[i] < dist[u]) {
				u = i
			}
		}
		if u < 0 {
			break
		}
		done[u] = true
		s := states[u]
		if s.st == to {
			goal = u
			break
		}
		relax := func(v, cost int) {
			if !done[v] && dist[u]+cost < dist[v] {
				dist[v] = dist[u] + cost
				prev[v] = u
			}
		}
		for _, d := range []int{-1, 1} {
			if p := s.pos + d; p >= 0 && p < len(s.line.Stations) {
				relax(index[[2]int{stIdx[s.line.Stations[p]], lineIdx[s.line]}], stopCost)
			}
		}
		for li := range c.Lines {
			if v, ok := index[[2]int{stIdx[s.st], li}]; ok && v != u {
				relax(v, transferCost)
			}
		}
	}
	if goal < 0 {
		return nil
	}
	var path []state
	for v := goal; v >= 0; v = prev[v] {
		path = append(path, states[v])
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	var legs []Leg
	for i := 1; i < len(path); i++ {
		a, b := path[i-1], path[i]
		if a.line != b.line {
			continue // a change of line at a.st
		}
		if n := len(legs); n > 0 && legs[n-1].Line == a.line.Name && legs[n-1].To == a.st {
			legs[n-1].To = b.st
			continue
		}
		legs = append(legs, Leg{Line: a.line.Name, From: a.st, To: b.st})
	}
	return legs
}

// Stops returns the stations a leg passes, from boarding to alighting
// inclusive, in travel order. It returns nil if the leg is not on c's lines.
func (c *City) Stops(l Leg) []*Station {
	line := c.Line(l.Line)
	if line == nil {
		return nil
	}
	i, j := -1, -1
	for k, s := range line.Stations {
		if s == l.From {
			i = k
		}
		if s == l.To {
			j = k
		}
	}
	if i < 0 || j < 0 {
		return nil
	}
	var out []*Station
	if i <= j {
		out = append(out, line.Stations[i:j+1]...)
	} else {
		for k := i; k >= j; k-- {
			out = append(out, line.Stations[k])
		}
	}
	return out
}

// slug turns a name into an id fragment: lower case ASCII, dashes.
func slug(name string) string {
	s := strings.ToLower(deaccent(name))
	var b strings.Builder
	dash := false
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

var deaccenter = strings.NewReplacer(
	"à", "a", "â", "a", "ä", "a", "é", "e", "è", "e", "ê", "e", "ë", "e",
	"î", "i", "ï", "i", "ô", "o", "ö", "o", "ù", "u", "û", "u", "ü", "u",
	"ç", "c", "œ", "oe", "É", "E", "È", "E", "Ê", "E", "À", "A", "Ç", "C",
	"Î", "I", "Ô", "O", "’", "'",
)

func deaccent(s string) string { return deaccenter.Replace(s) }

// hashBytes returns a SHA-256 digest of the parts, separated so that
// ("ab","c") and ("a","bc") differ.
func hashBytes(parts ...string) [32]byte {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}
