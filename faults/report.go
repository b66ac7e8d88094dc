package faults

import "exhaust/event"

// Report is what a Day did to one producer's events, for the ground truth:
// scoring reads it to know what was lost, broken, late or repeated.
type Report struct {
	Producer string `json:"producer"`
	Day      int    `json:"day"`
	Seed     int64  `json:"seed"`
	// Faults is the producer's settings, in the grammar.
	Faults string `json:"faults"`
	// Events counts the producer's events of the day before any fault.
	Events uint64 `json:"events"`
	// Counts counts each fault done.
	Counts Counts `json:"counts"`
	// Dropped lists the ids of the events dropped.
	Dropped []string `json:"dropped,omitempty"`
	// Corrupted lists the events corrupted, and how.
	Corrupted []Corrupted `json:"corrupted,omitempty"`
	// Skewed lists the devices whose clock is off, with their offset, among
	// those seen that day.
	Skewed []Device `json:"skewed,omitempty"`
	// Part and Parts number the parts of a report split to fit a message
	// (Split); every part has the same counts.
	Part  int `json:"part"`
	Parts int `json:"parts"`
}

// Counts counts faults by kind. Delay, Drop, Corrupt and Skew count
// events; Duplicate counts the extra copies delivered.
type Counts struct {
	Delay     uint64 `json:"delay"`
	Duplicate uint64 `json:"duplicate"`
	Drop      uint64 `json:"drop"`
	Corrupt   uint64 `json:"corrupt"`
	Skew      uint64 `json:"skew"`
}

// Of returns the count of kind k.
func (c Counts) Of(k Kind) uint64 {
	switch k {
	case Delay:
		return c.Delay
	case Duplicate:
		return c.Duplicate
	case Drop:
		return c.Drop
	case Corrupt:
		return c.Corrupt
	case Skew:
		return c.Skew
	}
	return 0
}

func (c *Counts) add(k Kind) {
	switch k {
	case Delay:
		c.Delay++
	case Duplicate:
		c.Duplicate++
	case Drop:
		c.Drop++
	case Corrupt:
		c.Corrupt++
	case Skew:
		c.Skew++
	}
}

// Plus returns c with o's counts added.
func (c Counts) Plus(o Counts) Counts {
	return Counts{c.Delay + o.Delay, c.Duplicate + o.Duplicate, c.Drop + o.Drop, c.Corrupt + o.Corrupt, c.Skew + o.Skew}
}

// Corrupted is an event replaced by a malformed one.
type Corrupted struct {
	ID    string `json:"id"`     // the event's id
	MsgID string `json:"msg_id"` // the message id it was published with
	// As is the corruption (Corruptions), Reason the rejection reason a
	// validator gives it (event.Reasons).
	As     string `json:"as"`
	Reason string `json:"reason"`
}

// Device is a device whose clock is off.
type Device struct {
	ID       event.ID `json:"id"`        // its identifier, the first of its events'
	OffsetMS int64    `json:"offset_ms"` // added to its events' time, in milliseconds
}

// Split cuts r into parts of at most n listed items (dropped,
// corrupted and skewed together), each with r's counts, so that each fits
// a message; a report with no more than n items is one part.
func (r Report) Split(n int) []Report {
	n = max(n, 1)
	var parts []Report
	dropped, corrupted, skewed := r.Dropped, r.Corrupted, r.Skewed
	for first := true; first || len(dropped)+len(corrupted)+len(skewed) > 0; first = false {
		p := r
		left := n
		p.Dropped, dropped = cut(dropped, &left)
		p.Corrupted, corrupted = cut(corrupted, &left)
		p.Skewed, skewed = cut(skewed, &left)
		parts = append(parts, p)
	}
	for i := range parts {
		parts[i].Part, parts[i].Parts = i, len(parts)
	}
	return parts
}

func cut[T any](s []T, left *int) (head, tail []T) {
	n := min(len(s), *left)
	*left -= n
	if n == 0 {
		return nil, s
	}
	return s[:n:n], s[n:]
}

// With returns c with the count of kind k set to n.
func (c Counts) With(k Kind, n uint64) Counts {
	switch k {
	case Delay:
		c.Delay = n
	case Duplicate:
		c.Duplicate = n
	case Drop:
		c.Drop = n
	case Corrupt:
		c.Corrupt = n
	case Skew:
		c.Skew = n
	}
	return c
}
