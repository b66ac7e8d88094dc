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
	// CooccurMaxBlock is the largest number of clusters in one block (place
	// and time bin) that still counts as evidence: a busier block, a
	// station at rush hour, says nothing about who is with whom, and
	// skipping it keeps the cost linear. Default 12.
	CooccurMaxBlock int
	// CooccurMinScore is the least accumulated weight before two clusters
	// are linked by co-occurrence. In each time bin a pair gets the weight
	// of its best block: g = exp(−d²/2(σ₁²+σ₂²)) for two spots d metres
	// apart with accuracies σ₁ and σ₂, shared with the rivals standing as
	// close (g²/(g + Σ rivals' g)): 1 for a card paid next to one phone and
	// no other, ¼ next to four. Default 2.
	CooccurMinScore float64
	// CooccurMinCount is the least number of distinct time bins the two
	// clusters were seen together in. Default 3.
	CooccurMinCount int
	// CooccurMinDays is the least number of distinct days (UTC) they were
	// seen together on. Default 1.
	CooccurMinDays int
	// CooccurMinEpisodes is the least number of episodes the two were
	// seen together in, an episode being a day and a place (places at
	// least CooccurPlaceM apart): 2 asks for two days, or two places in a
	// day (a trip from one station to another), not one long afternoon.
	// Default 1: a phone is seen everywhere, so share and rivals already
	// tell a shared afternoon from a shared life.
	CooccurMinEpisodes int
	// CooccurPlaceM is how far apart two places must be to count as two.
	// Default 1000 m.
	CooccurPlaceM float64
	// CooccurMinShare is the least share of the rarer cluster's observed
	// bins that the other cluster shares: a card is near its owner's phone
	// almost every time it is used, a neighbour's phone only when it is
	// used at the corner shop. A rival below it is no rival. Default 0.6.
	CooccurMinShare float64
	// CooccurRatio is how many times stronger a candidate must be than any
	// rival: another cluster that could belong with this one, but not
	// together with the candidate (both hold an identifier of an exclusive
	// kind: two phones near one card). Ambiguous evidence links nothing.
	// Default 3.
	CooccurRatio float64
	// CooccurLag is how long a time bin stays open after it ends, for
	// observations that arrive a little out of order. Default 10 min.
	CooccurLag time.Duration
	// CooccurForget is how long weak co-occurrence evidence (below the
	// thresholds) is kept without being reinforced. Default 72 h.
	CooccurForget time.Duration
	// CooccurExclusive lists the identifier kinds a person has at most one
	// of: two clusters holding different identifiers of one of these kinds
	// are never linked by co-occurrence. Default imsi, imei, msisdn,
	// wristband, card, pass, email.
	CooccurExclusive []event.IDKind

	// CooccurDevice lists the identifier kinds of a phone. Two clusters
	// that both hold one are never linked by co-occurrence: a phone's own
	// identifiers link by same-event evidence (the network sees the IMSI
	// with the IMEI and the number, apps the ad id with the number), and two
	// phones side by side every night are neighbours, not one person.
	// Default imsi, imei, msisdn, adid.
	CooccurDevice []event.IDKind
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
		CooccurMaxBlock:     12,
		CooccurMinScore:     2,
		CooccurMinCount:     3,
		CooccurMinDays:      1,
		CooccurMinEpisodes:  1,
		CooccurPlaceM:       1000,
		CooccurMinShare:     0.6,
		CooccurRatio:        3,
		CooccurLag:          10 * time.Minute,
		CooccurForget:       72 * time.Hour,
		CooccurExclusive: []event.IDKind{
			event.IMSI, event.IMEI, event.MSISDN, event.Wristband, event.Card, event.Pass, event.Email,
		},
		CooccurDevice: []event.IDKind{event.IMSI, event.IMEI, event.MSISDN, event.ADID},
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
	setI(&c.CooccurMaxBlock, d.CooccurMaxBlock)
	setF(&c.CooccurMinScore, d.CooccurMinScore)
	setI(&c.CooccurMinCount, d.CooccurMinCount)
	setI(&c.CooccurMinDays, d.CooccurMinDays)
	setI(&c.CooccurMinEpisodes, d.CooccurMinEpisodes)
	setF(&c.CooccurPlaceM, d.CooccurPlaceM)
	setF(&c.CooccurMinShare, d.CooccurMinShare)
	setF(&c.CooccurRatio, d.CooccurRatio)
	setDur(&c.CooccurLag, d.CooccurLag)
	setDur(&c.CooccurForget, d.CooccurForget)
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
	case c.CooccurMaxBlock < 2:
		return bad("co-occurrence max block %d must be at least 2", c.CooccurMaxBlock)
	case c.CooccurMinCount < 1:
		return bad("co-occurrence min count %d must be at least 1", c.CooccurMinCount)
	case c.CooccurMinShare < 0 || c.CooccurMinShare > 1:
		return bad("co-occurrence min share %v must be within [0, 1]", c.CooccurMinShare)
	case c.CooccurRatio < 1:
		return bad("co-occurrence ratio %v must be at least 1", c.CooccurRatio)
	}
	for _, k := range append(slices.Clone(c.CooccurExclusive), c.CooccurDevice...) {
		if !k.Valid() {
			return bad("kind %q is not an identifier kind", k)
		}
	}
	return nil
}
