package faults

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind is a kind of fault.
type Kind int

// The kinds of fault, in the order they are listed and drawn.
const (
	// Delay holds an event back and delivers it up to a lateness later,
	// behind events that happened after it; its time is unchanged.
	Delay Kind = iota
	// Duplicate delivers an event a second time, same id and bytes, a
	// little later (at most DuplicateLag).
	Duplicate
	// Drop loses an event: it is never delivered.
	Drop
	// Corrupt replaces an event with a malformed one, of the kinds a broken
	// sensor sends (Corruptions).
	Corrupt
	// Skew shifts the time of every event of a device whose clock is off,
	// by that device's offset.
	Skew
	numKinds
)

// Kinds lists every kind of fault, in order.
var Kinds = []Kind{Delay, Duplicate, Drop, Corrupt, Skew}

var kindNames = [numKinds]string{"delay", "duplicate", "drop", "corrupt", "skew"}

// String returns the kind's name in the grammar: "delay", "duplicate",
// "drop", "corrupt" or "skew".
func (k Kind) String() string {
	if k < 0 || k >= numKinds {
		return "fault(" + strconv.Itoa(int(k)) + ")"
	}
	return kindNames[k]
}

// amountName names what a kind's amount is, "" for a kind that takes only
// a rate.
func (k Kind) amountName() string {
	switch k {
	case Delay:
		return "lateness"
	case Skew:
		return "clock offset"
	}
	return ""
}

// example is a valid setting of the kind, for error messages.
func (k Kind) example() string {
	switch k {
	case Delay:
		return "delay=10%/5m"
	case Skew:
		return "skew=5%/90s"
	case Duplicate:
		return "duplicate=5%"
	case Drop:
		return "drop=2%"
	}
	return "corrupt=1%"
}

// MaxAmount bounds a delay's lateness and a skew's clock offset. Delayed
// events wait in memory until they are delivered, so the lateness bounds
// that memory; a day covers any lateness a sensor's buffer plausibly has.
const MaxAmount = 24 * time.Hour

// DuplicateLag is the most a duplicate is delivered after the event it
// repeats: a sensor that resends because it missed an acknowledgement does
// so within seconds.
const DuplicateLag = time.Minute

// Rule is one fault's setting.
type Rule struct {
	// Rate is the share of events (of devices, for Skew) affected, from 0
	// to 1.
	Rate float64
	// Amount is a delay's largest lateness or a skew's largest clock
	// offset (either way); zero for the other kinds.
	Amount time.Duration
}

// Set is the faults of one producer, a Rule per Kind.
type Set struct {
	rules [numKinds]Rule
	given [numKinds]bool
}

// Rule returns the setting of kind k (the zero Rule if none).
func (s Set) Rule(k Kind) Rule {
	if k < 0 || k >= numKinds {
		return Rule{}
	}
	return s.rules[k]
}

// IsZero reports whether s does nothing: every rate is zero.
func (s Set) IsZero() bool {
	for _, r := range s.rules {
		if r.Rate > 0 {
			return false
		}
	}
	return true
}

// String returns s in the grammar, the faults given in Kinds order, e.g.
// "delay=10%/5m,duplicate=5%"; "" for a set with nothing given.
func (s Set) String() string {
	var parts []string
	for _, k := range Kinds {
		if !s.given[k] {
			continue
		}
		r := s.rules[k]
		p := k.String() + "=" + formatRate(r.Rate) + "%"
		if k.amountName() != "" {
			p += "/" + formatDuration(r.Amount)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ",")
}

// over returns s with o's given faults in place of s's.
func (s Set) over(o Set) Set {
	for k := range numKinds {
		if o.given[k] {
			s.rules[k], s.given[k] = o.rules[k], true
		}
	}
	return s
}

// All is the producer name of a clause that applies to every producer.
const All = "all"

// Plan says which producers suffer which faults. The zero Plan does
// nothing.
type Plan struct {
	all    Set
	own    map[string]Set // by producer
	order  []string       // producers in the order first given
	clause map[string]string
}

// For returns the faults of a producer: those given for all, with those
// given for the producer itself in their place.
func (p Plan) For(producer string) Set {
	return p.all.over(p.own[producer])
}

// IsZero reports whether p injects no fault at all.
func (p Plan) IsZero() bool {
	if !p.all.IsZero() {
		return false
	}
	for _, s := range p.own {
		if !s.IsZero() {
			return false
		}
	}
	return true
}

// Producers returns the producers p names in its own clauses (not "all"),
// in the order given.
func (p Plan) Producers() []string { return slices.Clone(p.order) }

// Check returns an error naming the clause of the first producer p names
// that is not among known (the registry's names), nil if there is none.
func (p Plan) Check(known []string) error {
	for _, name := range p.order {
		if !slices.Contains(known, name) {
			return fmt.Errorf("%q: unknown producer %q (want one of %s, or all)", p.clause[name], name, strings.Join(known, ", "))
		}
	}
	return nil
}

// String returns p in the grammar, canonical: the "all" clause first, then
// each producer's in the order given, e.g.
// "all:duplicate=5%;phone:delay=10%/5m".
func (p Plan) String() string {
	var clauses []string
	if s := p.all.String(); s != "" {
		clauses = append(clauses, All+":"+s)
	}
	for _, name := range p.order {
		if s := p.own[name].String(); s != "" {
			clauses = append(clauses, name+":"+s)
		}
	}
	return strings.Join(clauses, ";")
}

// Syntax is the grammar of a plan, for usage texts.
const Syntax = "<producer|all>:<fault>=<rate>%[/<amount>][,<fault>=<rate>%[/<amount>]…][;<clause>…]"

// Parse reads a plan: clauses separated by ";", each a producer's name (or
// "all") and ":" then faults separated by ",", each <fault>=<rate>% with,
// for delay and skew, "/" and a duration (Go's syntax: 90s, 5m, 1h30m).
// Spaces around the separators are ignored, and so are empty clauses; ""
// is the zero Plan. A producer's own clause overrides "all" for the faults
// it names, whatever their order. Producer names are not checked against
// the registry: see Check.
//
// Errors are one line that quotes the clause at fault, e.g.
// `"phone:delay=10": delay needs a lateness, e.g. delay=10%/5m`.
func Parse(s string) (Plan, error) {
	p := Plan{own: map[string]Set{}, clause: map[string]string{}}
	for _, clause := range strings.Split(s, ";") {
		clause = strings.TrimSpace(clause)
		if clause == "" {
			continue
		}
		name, faults, ok := strings.Cut(clause, ":")
		name = strings.TrimSpace(name)
		if !ok {
			return Plan{}, fmt.Errorf("%q: want %s:<fault>=<rate>%%, e.g. %s:drop=2%%", clause, orName(name), orName(name))
		}
		if !validName(name) {
			return Plan{}, fmt.Errorf("%q: %q is not a producer's name (lower-case letters and digits) or all", clause, name)
		}
		var set Set
		if name == All {
			set = p.all
		} else {
			set = p.own[name]
		}
		empty := true
		for _, item := range strings.Split(faults, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			empty = false
			k, r, err := parseFault(item)
			if err == nil && set.given[k] {
				err = fmt.Errorf("%s given twice for %s", k, name)
			}
			if err != nil {
				return Plan{}, fmt.Errorf("%q: %w", name+":"+item, err)
			}
			set.rules[k], set.given[k] = r, true
		}
		if empty {
			return Plan{}, fmt.Errorf("%q: no fault after the colon, e.g. %s:drop=2%%", clause, name)
		}
		if name == All {
			p.all = set
			continue
		}
		if _, seen := p.own[name]; !seen {
			p.order = append(p.order, name)
			p.clause[name] = clause
		}
		p.own[name] = set
	}
	return p, nil
}

func orName(name string) string {
	if name == "" || !validName(name) {
		return "<producer|all>"
	}
	return name
}

// validName reports whether name can be a producer's name: the event
// type's first token, lower-case letters and digits after a letter.
func validName(name string) bool {
	if name == "" || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for _, c := range []byte(name) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// parseFault reads one "<fault>=<rate>%[/<amount>]".
func parseFault(item string) (Kind, Rule, error) {
	name, value, hasValue := strings.Cut(item, "=")
	name = strings.TrimSpace(name)
	k := Kind(slices.Index(kindNames[:], name))
	if k < 0 {
		return 0, Rule{}, fmt.Errorf("unknown fault %q (want delay, duplicate, drop, corrupt or skew)", name)
	}
	rate, amount, hasAmount := strings.Cut(strings.TrimSpace(value), "/")
	rate, amount = strings.TrimSpace(rate), strings.TrimSpace(amount)
	what := k.amountName()
	switch {
	case what == "" && !hasValue:
		return 0, Rule{}, fmt.Errorf("%s needs a rate, e.g. %s", k, k.example())
	case what != "" && !hasValue:
		return 0, Rule{}, fmt.Errorf("%s needs a rate and a %s, e.g. %s", k, what, k.example())
	case what != "" && !hasAmount:
		return 0, Rule{}, fmt.Errorf("%s needs a %s, e.g. %s", k, what, k.example())
	case what == "" && hasAmount:
		return 0, Rule{}, fmt.Errorf("%s takes only a rate, e.g. %s", k, k.example())
	}
	var r Rule
	var err error
	if r.Rate, err = parseRate(rate); err != nil {
		return 0, Rule{}, fmt.Errorf("%w, e.g. %s", err, k.example())
	}
	if what != "" {
		if r.Amount, err = time.ParseDuration(amount); err != nil || r.Amount <= 0 || r.Amount > MaxAmount {
			return 0, Rule{}, fmt.Errorf("%s must be a positive duration up to %s, like 90s or 5m, got %q", what, formatDuration(MaxAmount), amount)
		}
	}
	return k, r, nil
}

var errRate = errors.New("rate must be a percentage from 0% to 100%")

// parseRate reads "<number>%" as a share from 0 to 1.
func parseRate(s string) (float64, error) {
	num, ok := strings.CutSuffix(s, "%")
	if !ok {
		return 0, fmt.Errorf("%w, got %q", errRate, s)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || !(v >= 0 && v <= 100) {
		return 0, fmt.Errorf("%w, got %q", errRate, s)
	}
	return v / 100, nil
}

func formatRate(r float64) string { return strconv.FormatFloat(r*100, 'g', -1, 64) }

// formatDuration writes d without Go's trailing zero units: 5m, not 5m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
