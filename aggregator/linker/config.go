package linker

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"exhaust/event"
)

// Config holds the linker's thresholds. Each becomes a command-line flag;
// DefaultConfig documents and returns the defaults, tuned on seven simulated
// days of the default population with every sensor on (see the package
// tests for the figures). A zero field means its default.
type Config struct {
	// JoinWindow is the largest time between a card payment and the loyalty
	// basket of the same purchase (the till sends both within seconds, the
	// bank's timestamp can lag). Default 2 min.
	JoinWindow time.Duration

	// CooccurCellM is the side of the spatial blocks of co-occurrence, in
	// metres. Two observations share a block when they are less than one to
	// two sides apart, so it should exceed the error of the coarsest
	// position used (a phone triangulated from cell towers: 100–300 m).
	// Default 400 m.
	CooccurCellM float64
	// CooccurBin is the length of the time bins of co-occurrence. Default
	// 10 min.
	CooccurBin time.Duration
	// CooccurPointWindow is how long before and after a point observation
	// (a payment, a gate tap, a Wi-Fi probe, a GPS fix) the person is
	// assumed to be where it was made. Default 3 min.
	CooccurPointWindow time.Duration
	// CooccurTrackHold is how long a phone located from its cell tower
	// measurements is assumed to stay put without a newer cell event: an
	// idle phone checks in every 30 to 60 minutes, and a moving one hands
	// over from cell to cell. Default 60 min.
	CooccurTrackHold time.Duration
	// CooccurMaxAccuracyM: observations whose position is less precise
	// than this (a call located at its serving tower only) are not used for
	// co-occurrence. Default 600 m.
	CooccurMaxAccuracyM float64
	// CooccurCandidates is how many candidate phones an identifier keeps,
	// the likeliest, and how many new ones one observation may add, the
	// nearest of a crowd. A crowded place and time still scores the
	// candidates held, so the cost of a busy block is bounded without
	// throwing it away, and the phones let go still count as rivals.
	// Default 24 (docs/linkage.md).
	CooccurCandidates int
	// CooccurOdds is how much likelier the best candidate must be than all
	// other phones together: the other candidates, and every phone in view
	// that never came near (each observation leaves it a chance: it may have
	// been switched off, or mislocated). Default 30 (a posterior of 0.97):
	// a wrong link is not final, later evidence undoes it (see recheck).
	CooccurOdds float64
	// CooccurMinCount is the least number of encounters (stays at a place:
	// a long one counts once) the identifier must have had with the
	// phone. Default 2.
	CooccurMinCount int
	// CooccurRatio is how many times likelier the best candidate must be
	// than the next (another phone): ambiguous evidence links nothing.
	// Default 30.
	CooccurRatio float64
	// CooccurLag is how long a time bin stays open after it ends, for
	// observations that arrive a little out of order. Default 10 min.
	CooccurLag time.Duration
	// CooccurForget is how long an identifier's co-occurrence evidence is
	// kept when it is not seen again. Default 7 days.
	CooccurForget time.Duration
	// CooccurExclusive lists the identifier kinds a person has at most one
	// of: two clusters holding different identifiers of one of these kinds
	// are never linked by co-occurrence. Default the exclusive kinds of the
	// vocabulary (event.ExclusiveKinds): imsi, imei, msisdn, wristband,
	// card, pass, email, and any a producer declares so.
	CooccurExclusive []event.IDKind

	// CooccurDevice lists the identifier kinds of a phone: the candidates
	// of co-occurrence. Two phones are never linked by co-occurrence: a
	// phone's own identifiers link by same-event evidence (the network sees
	// the IMSI with the IMEI and the number, apps the ad id with the
	// number), and two phones side by side every night are neighbours, not
	// one person. Default imsi, imei, msisdn, adid.
	CooccurDevice []event.IDKind

	// SplitWindow is how close in time two positions of one cluster's
	// identifiers must be to contradict each other. Default 2 min.
	SplitWindow time.Duration
	// SplitSpeedKmh is the fastest a person travels across the city: two
	// identifiers seen farther apart than that allows (plus three times
	// their accuracies and 500 m) are not one person's. Default 120 km/h.
	SplitSpeedKmh float64
	// SplitAfter is how many contradictions between the same two
	// identifiers undo the weakest inferred link between them. Default 2.
	SplitAfter int
}

// DefaultConfig returns the default thresholds (see each field of Config).
func DefaultConfig() Config {
	return Config{
		JoinWindow:          2 * time.Minute,
		CooccurCellM:        400,
		CooccurBin:          10 * time.Minute,
		CooccurPointWindow:  3 * time.Minute,
		CooccurTrackHold:    60 * time.Minute,
		CooccurMaxAccuracyM: 600,
		CooccurCandidates:   24,
		CooccurOdds:         30,
		CooccurMinCount:     2,
		CooccurRatio:        30,
		CooccurLag:          10 * time.Minute,
		CooccurForget:       7 * 24 * time.Hour,
		// The vocabulary's one-per-person kinds, those producers declare
		// included (event.Exclusive).
		CooccurExclusive: event.ExclusiveKinds(),
		CooccurDevice:    []event.IDKind{event.IMSI, event.IMEI, event.MSISDN, event.ADID},
		SplitWindow:      2 * time.Minute,
		SplitSpeedKmh:    120,
		SplitAfter:       2,
	}
}

// withDefaults returns c with its zero fields set to their default.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	setDur := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	setF := func(v *float64, def float64) {
		if *v == 0 {
			*v = def
		}
	}
	setI := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setDur(&c.JoinWindow, d.JoinWindow)
	setF(&c.CooccurCellM, d.CooccurCellM)
	setDur(&c.CooccurBin, d.CooccurBin)
	setDur(&c.CooccurPointWindow, d.CooccurPointWindow)
	setDur(&c.CooccurTrackHold, d.CooccurTrackHold)
	setF(&c.CooccurMaxAccuracyM, d.CooccurMaxAccuracyM)
	setI(&c.CooccurCandidates, d.CooccurCandidates)
	setF(&c.CooccurOdds, d.CooccurOdds)
	setI(&c.CooccurMinCount, d.CooccurMinCount)
	setF(&c.CooccurRatio, d.CooccurRatio)
	setDur(&c.CooccurLag, d.CooccurLag)
	setDur(&c.CooccurForget, d.CooccurForget)
	setDur(&c.SplitWindow, d.SplitWindow)
	setF(&c.SplitSpeedKmh, d.SplitSpeedKmh)
	setI(&c.SplitAfter, d.SplitAfter)
	if c.CooccurExclusive == nil {
		c.CooccurExclusive = d.CooccurExclusive
	}
	if c.CooccurDevice == nil {
		c.CooccurDevice = d.CooccurDevice
	}
	return c
}

// ErrConfig is wrapped by the errors of Config.Validate.
var ErrConfig = errors.New("invalid linker configuration")

// Validate reports the first threshold that makes no sense.
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
	}
	switch {
	case c.JoinWindow < 0:
		return bad("join window %v is negative", c.JoinWindow)
	case c.CooccurCellM <= 0:
		return bad("co-occurrence cell %v m must be positive", c.CooccurCellM)
	case c.CooccurBin < time.Second:
		return bad("co-occurrence bin %v must be at least a second", c.CooccurBin)
	case c.CooccurPointWindow < 0 || c.CooccurTrackHold < 0 || c.CooccurLag < 0 || c.CooccurForget < 0:
		return bad("co-occurrence windows must not be negative")
	case c.CooccurCandidates < 1:
		return bad("co-occurrence candidates %d must be at least 1", c.CooccurCandidates)
	case c.CooccurOdds < 1:
		return bad("co-occurrence odds %v must be at least 1", c.CooccurOdds)
	case c.CooccurMinCount < 1:
		return bad("co-occurrence min count %d must be at least 1", c.CooccurMinCount)
	case c.CooccurRatio < 1:
		return bad("co-occurrence ratio %v must be at least 1", c.CooccurRatio)
	case c.SplitWindow < 0:
		return bad("split window %v is negative", c.SplitWindow)
	case c.SplitSpeedKmh <= 0:
		return bad("split speed %v km/h must be positive", c.SplitSpeedKmh)
	case c.SplitAfter < 1:
		return bad("split after %d must be at least 1", c.SplitAfter)
	}
	for _, k := range append(slices.Clone(c.CooccurExclusive), c.CooccurDevice...) {
		if !k.Valid() {
			return bad("kind %q is not an identifier kind", k)
		}
	}
	return nil
}
