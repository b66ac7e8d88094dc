package aggregator

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"exhaust/aggregator/facts"
	"exhaust/aggregator/graph"
	"exhaust/aggregator/linker"
	"exhaust/aggregator/obs"
	"exhaust/aggregator/score"
	"exhaust/event"
)

// Config sets up an Engine.
type Config struct {
	// Linker holds the evidence thresholds (see linker.DefaultConfig).
	Linker linker.Config
	// DedupHorizon is how long, in event time, an event id is remembered
	// to make a re-published event a no-op. JetStream's duplicate window
	// already stops re-publications within it; this covers redeliveries
	// and re-publications whose events are still recent.
	DedupHorizon time.Duration
	// UnicityDraws is how many random draws of p points per trace the
	// unicity estimate averages over.
	UnicityDraws int
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{Linker: linker.DefaultConfig(), DedupHorizon: 2 * time.Hour, UnicityDraws: 5}
}

// Result says what Apply did with an event.
type Result int

// Results of Apply.
const (
	Applied   Result = iota // the event changed the state
	Stale                   // its stream sequence was already applied (a redelivery)
	Duplicate               // its event id was already applied (a re-publication)
)

func (r Result) String() string {
	switch r {
	case Applied:
		return "applied"
	case Stale:
		return "stale"
	case Duplicate:
		return "duplicate"
	}
	return "result(" + strconv.Itoa(int(r)) + ")"
}

// Truth is one person's ground truth, as the simulator publishes it: used
// for scoring only, never for linking.
type Truth struct {
	Person, Name string
	IDs          []event.ID
}

// Summary is a profile in a listing.
type Summary struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Identifiers int       `json:"identifiers"`
	Facts       int       `json:"facts"`
	LastSeen    time.Time `json:"last_seen"`
	Truth       string    `json:"truth,omitempty"`
}

// Identifier is one identifier of a profile.
type Identifier struct {
	Kind      event.IDKind `json:"kind"`
	Value     string       `json:"value"`
	FirstSeen time.Time    `json:"first_seen"`
	LastSeen  time.Time    `json:"last_seen"`
	Seen      int          `json:"seen"`
}

// Profile is everything the engine holds about one cluster of identifiers.
type Profile struct {
	Summary
	Facts       []facts.Fact `json:"facts"`
	Identifiers []Identifier `json:"identifiers"`
	Links       []graph.Link `json:"links"`
	// Splits are the links once joining this profile's identifiers to
	// others that a contradiction undid (see linker.Split): the profile
	// says what it no longer believes, and why.
	Splits []linker.Split `json:"splits"`
}

// Accuracy scores the clusters against the ground truth.
type Accuracy struct {
	Pairwise   score.PRF            `json:"pairwise"`
	BCubed     score.PRF            `json:"bcubed"`
	ByEvidence map[string]score.PRF `json:"by_evidence"`
	Unicity    map[string]float64   `json:"unicity"`
	Persons    int                  `json:"persons"`
}

// Stats counts the engine's state.
type Stats struct {
	Events            uint64
	Profiles          int
	IdentifiersByKind map[event.IDKind]int
	LinksByKind       map[graph.EvidenceKind]int
	// LinksUndone counts the links contradictions undid (see linker.Split).
	LinksUndone int64
	// Since the Engine was created or restored (counters of this process,
	// not of the state): Duplicates are events whose id was already
	// applied (a sensor repeating itself, a re-publication), ignored.
	// LateWithin are events applied with a time before the newest one
	// applied (out of order) but within the linker's co-occurrence lag:
	// applied as if on time. LateBeyond are later than that lag: their
	// same-event links and facts count, their co-occurrence is lost.
	Duplicates, LateWithin, LateBeyond uint64
}

// Engine is the aggregator's domain: it applies validated events in stream
// order to an identity graph and per-identifier fact accumulators. It knows
// nothing of NATS or Prometheus. One goroutine applies; any number read.
type Engine struct {
	cfg Config

	mu      sync.RWMutex
	seq     uint64
	events  uint64
	version uint64
	seen    *recentIDs
	graph   *graph.Graph
	linker  *linker.Linker
	facts   *facts.Store
	traces  *score.Traces
	side    *side

	// Process counters (see Stats).
	duplicates, lateWithin, lateBeyond uint64

	// The ground truth, for scoring only.
	truth truthTable

	// Caches, valid while version (and truthVersion) are unchanged.
	cacheMu      sync.Mutex
	truthVersion uint64
	summaries    []Summary
	roots        map[string]event.ID // profile id -> cluster representative
	// byRoot keeps each cluster's summary with the stamp it was made at
	// (see clusterStamp): a listing made while events flow derives again
	// only the clusters they touched, not the whole city.
	byRoot      map[event.ID]stampedSummary
	summariesAt [2]uint64
	accuracy    *Accuracy
	accuracyAt  [2]uint64
}

// New returns an empty Engine.
func New(cfg Config) *Engine {
	if cfg.UnicityDraws <= 0 {
		cfg.UnicityDraws = DefaultConfig().UnicityDraws
	}
	if cfg.DedupHorizon <= 0 {
		cfg.DedupHorizon = DefaultConfig().DedupHorizon
	}
	e := &Engine{cfg: cfg, truth: newTruthTable(), side: newSide()}
	// The side goroutine holds no reference to e: once e is unreachable,
	// closing its queue ends it.
	runtime.AddCleanup(e, func(s *side) { s.close() }, e.side)
	e.reset()
	return e
}

func (e *Engine) reset() {
	e.side.settle()
	e.byRoot = map[event.ID]stampedSummary{}
	e.seq, e.events, e.version = 0, 0, e.version+1
	e.seen = newRecentIDs(e.cfg.DedupHorizon)
	e.graph = graph.New()
	e.linker = linker.New(e.cfg.Linker, e.graph)
	e.facts = facts.New()
	e.traces = score.NewTraces()
}

// Apply applies one validated event (Data a json.RawMessage, as
// event.Validator returns it) found at stream sequence seq. Sequences at or
// below the last applied one and event ids already applied change nothing.
func (e *Engine) Apply(seq uint64, ev *event.Event) (Result, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if seq != 0 && seq <= e.seq {
		return Stale, nil
	}
	rec, err := obs.Decode(ev)
	if err != nil {
		return Applied, err
	}
	if seq != 0 {
		e.seq = seq
	}
	if !e.seen.add(ev.ID, ev.Time) {
		e.duplicates++
		return Duplicate, nil
	}
	if wm := e.linker.Watermark(); !wm.IsZero() && rec.Time.Before(wm) {
		if wm.Sub(rec.Time) > e.linker.Config().CooccurLag {
			e.lateBeyond++
		} else {
			e.lateWithin++
		}
	}
	for i, id := range rec.IDs {
		rec.IDs[i] = e.graph.Touch(id, rec.Time)
	}
	e.linker.Observe(rec)
	e.side.observe(rec, e.facts, e.traces)
	e.events++
	e.version++
	return Applied, nil
}

// Seq returns the last stream sequence applied.
func (e *Engine) Seq() uint64 {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.seq
}

// Version changes whenever the state does; readers use it to know when to
// refresh.
func (e *Engine) Version() uint64 {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.version
}

// SetTruth records one person's ground truth: the identifiers of t are
// theirs (an identifier named again for another person changes owner).
func (e *Engine) SetTruth(t Truth) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.truth.set(t)
	e.cacheMu.Lock()
	e.truthVersion++
	e.cacheMu.Unlock()
}

// ProfileID is the pseudonymous id of the cluster whose representative is
// root: stable as long as the cluster's smallest identifier is.
func ProfileID(root event.ID) string {
	h := sha256.Sum256([]byte(string(root.Kind) + ":" + root.Value))
	return "P-" + hex.EncodeToString(h[:4])
}

// stamp returns the version pair caches are keyed on. Call with e.mu held.
func (e *Engine) stamp() [2]uint64 {
	e.cacheMu.Lock()
	defer e.cacheMu.Unlock()
	return [2]uint64{e.version, e.truthVersion}
}

// Profiles lists every profile: most identifiers first, then by id.
func (e *Engine) Profiles() []Summary {
	e.warm()
	e.mu.RLock()
	defer e.mu.RUnlock()
	s, _ := e.index()
	return s
}

// index returns the summaries and the profile id -> root table, computed
// once per state. Call with e.mu held.
func (e *Engine) index() ([]Summary, map[string]event.ID) {
	e.side.settle()
	at := e.stamp()
	e.cacheMu.Lock()
	if e.summaries != nil && e.summariesAt == at {
		s, r := e.summaries, e.roots
		e.cacheMu.Unlock()
		return s, r
	}
	e.cacheMu.Unlock()
	roots := e.graph.Roots()
	out := make([]Summary, 0, len(roots))
	byID := make(map[string]event.ID, len(roots))
	byRoot := make(map[event.ID]stampedSummary, len(roots))
	global := e.facts.Version() ^ at[1]
	for _, root := range roots {
		sum := e.summaryOf(root, global)
		byRoot[root] = sum
		out = append(out, sum.Summary)
		byID[sum.ID] = root
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Identifiers != out[j].Identifiers {
			return out[i].Identifiers > out[j].Identifiers
		}
		return out[i].ID < out[j].ID
	})
	e.cacheMu.Lock()
	e.summaries, e.roots, e.summariesAt = out, byID, at
	e.byRoot = byRoot // the clusters that are no more are dropped
	e.cacheMu.Unlock()
	return out, byID
}

// summaryOf returns root's summary, from byRoot if nothing changed since
// it was made, else derived (and kept). global is the stamp of the facts
// store and the truth. Call with e.mu held.
func (e *Engine) summaryOf(root event.ID, global uint64) stampedSummary {
	stamp := e.graph.Stamp(root) ^ global
	if sum, ok := e.kept(root, stamp); ok {
		return sum
	}
	return e.derive(root, stamp)
}

// kept returns root's summary if it was made at stamp.
func (e *Engine) kept(root event.ID, stamp uint64) (stampedSummary, bool) {
	e.cacheMu.Lock()
	defer e.cacheMu.Unlock()
	sum, ok := e.byRoot[root]
	return sum, ok && sum.stamp == stamp
}

// derive makes root's summary at stamp and keeps it. Call with e.mu held.
func (e *Engine) derive(root event.ID, stamp uint64) stampedSummary {
	members := e.graph.Members(root)
	sum := stampedSummary{stamp, e.summary(root, members, e.facts.Derive(members))}
	e.cacheMu.Lock()
	e.byRoot[root] = sum
	e.cacheMu.Unlock()
	return sum
}

// warmChunk is how many stale summaries warm derives under one hold of
// the read lock: a second or so of work, after which the applier gets its
// turn.
var warmChunk = 1000

// warm derives the summaries a listing would derive, a chunk at a time,
// releasing the Engine's lock between chunks: after a burst of events
// (a city's every phone seen again) deriving them all takes minutes, and
// a listing holding the lock that long stalls the applier (and, past 30 s,
// the consumer's heartbeats). The listing then finds little left to do
// under its own hold of the lock. Under a steady flow some cluster is
// always stale, hence the bound on rounds.
func (e *Engine) warm() {
	for range 64 {
		e.mu.RLock()
		n := e.deriveStale(warmChunk)
		e.mu.RUnlock()
		if n < warmChunk {
			return
		}
	}
}

// deriveStale derives up to limit stale summaries and returns how many it
// derived. Call with e.mu held.
func (e *Engine) deriveStale(limit int) int {
	e.side.settle()
	at := e.stamp()
	e.cacheMu.Lock()
	current := e.summaries != nil && e.summariesAt == at
	e.cacheMu.Unlock()
	if current {
		return 0
	}
	global := e.facts.Version() ^ at[1]
	n := 0
	for _, root := range e.graph.Roots() {
		if n == limit {
			break
		}
		stamp := e.graph.Stamp(root) ^ global
		if _, ok := e.kept(root, stamp); !ok {
			e.derive(root, stamp)
			n++
		}
	}
	return n
}

// stampedSummary is a cluster's summary and the stamp of the cluster, the
// facts store and the truth it was made at.
type stampedSummary struct {
	stamp uint64
	Summary
}

// summary builds a profile's summary. Call with e.mu held.
func (e *Engine) summary(root event.ID, members []event.ID, fs []facts.Fact) Summary {
	s := Summary{ID: ProfileID(root), Identifiers: len(members), Facts: len(fs)}
	s.Name = "Profile " + s.ID
	for _, f := range fs {
		if v, ok := f.Value.(facts.NameValue); ok && f.Name == facts.FactName && v.Name != "" {
			s.Name = v.Name
		}
	}
	votes := map[int32]int{}
	for _, id := range members {
		if n, ok := e.graph.Node(id); ok && n.LastSeen.After(s.LastSeen) {
			s.LastSeen = n.LastSeen
		}
		if p, ok := e.truth.ownerOf(id); ok {
			votes[p]++
		}
	}
	best := 0
	for p, n := range votes {
		if person := e.truth.person(p); n > best || (n == best && person < s.Truth) {
			s.Truth, best = person, n
		}
	}
	return s
}

// Profile returns one profile by id.
func (e *Engine) Profile(id string) (*Profile, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	// Looking the id up needs only the cluster representatives, not the
	// summaries (which derive every profile's facts): hash the roots.
	for _, root := range e.graph.Roots() {
		if ProfileID(root) == id {
			return e.profile(root), true
		}
	}
	return nil, false
}

// ProfileOf returns the profile holding the identifier id, if any.
func (e *Engine) ProfileOf(id event.ID) (*Profile, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	root, ok := e.graph.Root(id)
	if !ok {
		return nil, false
	}
	return e.profile(root), true
}

// Splits returns the links undone by contradictions, oldest first.
func (e *Engine) Splits() []linker.Split {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.linker.Splits()
}

// TopProfiles returns the first n profiles in Profiles' order, in full, all
// read under one lock: what a metrics scrape needs at once. The order
// needs only each cluster's size and id, so only the n profiles returned
// have their facts derived.
func (e *Engine) TopProfiles(n int) []*Profile {
	top, _ := e.TopProfilesOf(n, nil)
	return top
}

// TopProfilesOf is TopProfiles over the profiles whose id keep accepts
// (all if keep is nil): the people one of several aggregator workers
// exports. It also returns how many profiles keep accepted.
func (e *Engine) TopProfilesOf(n int, keep func(id string) bool) ([]*Profile, int) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	type ranked struct {
		root event.ID
		size int
		id   string
	}
	roots := e.graph.Roots()
	rs := make([]ranked, 0, len(roots))
	for _, root := range roots {
		id := ProfileID(root)
		if keep == nil || keep(id) {
			rs = append(rs, ranked{root, e.graph.Size(root), id})
		}
	}
	slices.SortFunc(rs, func(a, b ranked) int {
		if a.size != b.size {
			return cmp.Compare(b.size, a.size)
		}
		return cmp.Compare(a.id, b.id)
	})
	out := make([]*Profile, 0, min(max(n, 0), len(rs)))
	for _, r := range rs[:min(max(n, 0), len(rs))] {
		out = append(out, e.profile(r.root))
	}
	return out, len(rs)
}

// profile builds the profile of root's cluster. Call with e.mu held.
func (e *Engine) profile(root event.ID) *Profile {
	e.side.settle()
	members := e.graph.Members(root)
	fs := e.facts.Derive(members)
	p := &Profile{Summary: e.summary(root, members, fs), Facts: fs, Links: e.graph.Links(root), Splits: []linker.Split{}}
	for _, sp := range e.linker.Splits() {
		if e.graph.Same(sp.Link.A, root) || e.graph.Same(sp.Link.B, root) {
			p.Splits = append(p.Splits, sp)
		}
	}
	for _, m := range members {
		n, _ := e.graph.Node(m)
		p.Identifiers = append(p.Identifiers, Identifier{Kind: m.Kind, Value: m.Value, FirstSeen: n.FirstSeen, LastSeen: n.LastSeen, Seen: n.Seen})
	}
	return p
}

// Accuracy scores the current clusters against the ground truth known so far.
func (e *Engine) Accuracy() Accuracy {
	e.mu.RLock()
	defer e.mu.RUnlock()
	at := e.stamp()
	e.cacheMu.Lock()
	if e.accuracy != nil && e.accuracyAt == at {
		a := *e.accuracy
		e.cacheMu.Unlock()
		return a
	}
	e.cacheMu.Unlock()
	a := Accuracy{ByEvidence: map[string]score.PRF{}, Unicity: map[string]float64{}, Persons: e.truth.len()}
	var clusters [][]event.ID
	for _, root := range e.graph.Roots() {
		clusters = append(clusters, e.graph.Members(root))
	}
	a.Pairwise = score.PairwiseOf(clusters, e.truth.ownerOf)
	a.BCubed = score.BCubedOf(clusters, e.truth.ownerOf)
	for _, k := range graph.EvidenceKinds {
		a.ByEvidence[string(k)] = score.PairwiseOf(e.graph.ClustersBy(k), e.truth.ownerOf)
	}
	e.side.settle()
	// A fixed seed: the same state always reports the same unicity.
	rng := rand.New(rand.NewPCG(1, 2))
	for i, eps := range e.traces.UnicityCurve(6, e.cfg.UnicityDraws, rng) {
		a.Unicity[strconv.Itoa(i+1)] = eps
	}
	e.cacheMu.Lock()
	e.accuracy, e.accuracyAt = &a, at
	e.cacheMu.Unlock()
	return a
}

// Stats counts events, profiles, identifiers and links.
func (e *Engine) Stats() Stats {
	e.mu.RLock()
	defer e.mu.RUnlock()
	gs := e.graph.Stats()
	return Stats{Events: e.events, Profiles: gs.Clusters, IdentifiersByKind: gs.IdentifiersByKind, LinksByKind: gs.LinksByKind,
		LinksUndone: e.linker.Stats().Undone, Duplicates: e.duplicates, LateWithin: e.lateWithin, LateBeyond: e.lateBeyond}
}

// SideQueued returns how many applied records wait for the side goroutine
// (facts and traces). It takes no lock: any goroutine may call it, and
// the answer is a moment's.
func (e *Engine) SideQueued() int { return len(e.side.queue) }

// snapshot is the serialised state. Truth is not in it: it is reloaded from
// its own stream.
// A snapshot is a header (snapshotMagic, the version, Seq and the events
// applied, big-endian) and then the Engine's parts one after another, each
// its own stream framed in chunks (chunk.go). It is written and read a
// part at a time, a chunk at a time: at city scale the state is large, and
// neither side holds it twice.
var snapshotMagic = [8]byte{'e', 'x', 'h', 'a', 'u', 's', 't', 0}

// snapshotVersion 2: parts framed one by one; the linker packs its
// candidates and histories. 3: recent event ids as 64-bit hashes. 4: parts
// framed in chunks rather than by their length. 5: every part in package
// wire's binary form instead of gob, which spent most of a snapshot's
// pause on reflection.
const snapshotVersion = 5

// Snapshot writes the whole state, Seq included.
func (e *Engine) Snapshot(w io.Writer) error {
	e.mu.RLock()
	defer e.mu.RUnlock()
	e.side.settle()
	var head [28]byte
	copy(head[:], snapshotMagic[:])
	binary.BigEndian.PutUint32(head[8:], snapshotVersion)
	binary.BigEndian.PutUint64(head[12:], e.seq)
	binary.BigEndian.PutUint64(head[20:], e.events)
	if _, err := w.Write(head[:]); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	for _, save := range []func(io.Writer) error{e.seen.save, e.graph.Save, e.linker.Save, e.facts.Save, e.traces.Save} {
		c := newChunkWriter(w)
		err := save(c)
		if err == nil {
			err = c.Close()
		}
		if err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
	}
	return nil
}

// Restore replaces the state with a snapshot's.
func (e *Engine) Restore(r io.Reader) error {
	var head [28]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return fmt.Errorf("restore snapshot: %w", err)
	}
	if !bytes.Equal(head[:8], snapshotMagic[:]) {
		return errors.New("restore snapshot: not in this build's format (written before version 2?): delete the snapshot to rebuild from the stream")
	}
	if v := binary.BigEndian.Uint32(head[8:]); v != snapshotVersion {
		return fmt.Errorf("restore snapshot: version %d, this build reads %d (delete the snapshot to rebuild from the stream)", v, snapshotVersion)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.reset()
	for _, load := range []func(io.Reader) error{e.seen.load, e.graph.Load, e.linker.Load, e.facts.Load, e.traces.Load} {
		part := &chunkReader{r: r}
		err := load(part)
		if err == nil {
			_, err = io.Copy(io.Discard, part) // what the part's decoder left
		}
		if err != nil {
			e.reset()
			return fmt.Errorf("restore snapshot: %w", err)
		}
	}
	e.seq, e.events = binary.BigEndian.Uint64(head[12:]), binary.BigEndian.Uint64(head[20:])
	return nil
}
