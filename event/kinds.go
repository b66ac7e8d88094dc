package event

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// KindInfo describes an identifier kind of the vocabulary: what the
// reference says of it and what a linker may assume about it.
type KindInfo struct {
	Kind IDKind
	// Summary is one sentence: what the identifier is and who sees it.
	Summary string
	// Exclusive is set when a person has at most one identifier of this
	// kind at a time (a SIM, a bank card): two different values of it
	// never belong to one person, which a linker can use to refuse a link.
	Exclusive bool
}

// builtins is the built-in vocabulary, in documentation order. Exclusive
// follows the kinds the aggregator's linker treats as one per person by
// default (aggregator/linker.DefaultConfig's CooccurExclusive).
var builtins = []KindInfo{
	{IMSI, "SIM subscriber identity (IMSI): the mobile network sees it on every attach, handover and call.", true},
	{IMEI, "Handset identity (IMEI): the mobile network sees it alongside the SIM.", true},
	{MSISDN, "Phone number: the operator's records of calls and SMS, and apps that log in with it.", true},
	{ADID, "Mobile advertising id: apps, their analytics and the OS vendor see it; one per phone or tablet.", false},
	{MAC, "Wi-Fi address of a phone or tablet: the hardware one, or one per network when the device randomises it.", false},
	{Wristband, "Fitness wristband serial number: the vendor's cloud sees it at every sync.", true},
	{Card, "Bank card token (never the card number): the bank sees it at every card payment.", true},
	{Pass, "Transit pass number: gates read it at every tap, ticket machines when it is topped up.", true},
	{Ticket, "Single transit ticket number: sold by a ticket machine, read by the gate once.", false},
	{Loyalty, "Shop loyalty account number: the till reads it when the card is shown.", false},
	{Email, "E-mail address: typed in by the person at a loyalty registration or a Wi-Fi captive portal, or the account an app is signed in with.", true},
}

// vocabulary is an immutable snapshot of the whole vocabulary, replaced
// whole by Declare, so readers (the aggregator's hot path among them) take
// no lock.
type vocabulary struct {
	kinds []IDKind            // built-ins, then declared kinds sorted by name
	info  map[IDKind]KindInfo // every kind
}

var (
	declareMu sync.Mutex // serialises Declare
	declared  []KindInfo // kinds declared so far, sorted by name
	vocab     atomic.Pointer[vocabulary]
)

func init() { vocab.Store(build(nil)) }

// build returns the vocabulary of the built-in kinds and decl (sorted by
// name).
func build(decl []KindInfo) *vocabulary {
	v := &vocabulary{info: make(map[IDKind]KindInfo, len(builtins)+len(decl))}
	for _, list := range [][]KindInfo{builtins, decl} {
		for _, k := range list {
			v.kinds = append(v.kinds, k.Kind)
			v.info[k.Kind] = k
		}
	}
	v.kinds = slices.Clip(v.kinds)
	return v
}

// kindRE is what an identifier kind looks like: one lower-case word, as it
// appears in schemas' enums, metric labels and flags.
var kindRE = regexp.MustCompile(`^[a-z][a-z0-9]{1,31}$`)

// Declare adds a kind to the vocabulary. Producers declare the kinds of
// identifier only their sensor sees (producers.Spec.NewIDKinds, declared by
// producers.Register from init()); declaring again the same kind with the
// same description does nothing, so two producers may share one. Declare
// panics on a kind that is not one lower-case word, an empty summary, a
// built-in kind, or a kind already declared with another description: a
// programming error that any test run catches.
func Declare(k KindInfo) {
	if !kindRE.MatchString(string(k.Kind)) {
		panic(fmt.Sprintf("event: invalid identifier kind %q (want one lower-case word of letters and digits)", k.Kind))
	}
	if strings.TrimSpace(k.Summary) == "" {
		panic(fmt.Sprintf("event: identifier kind %q declared without a summary", k.Kind))
	}
	declareMu.Lock()
	defer declareMu.Unlock()
	if slices.ContainsFunc(builtins, func(b KindInfo) bool { return b.Kind == k.Kind }) {
		panic(fmt.Sprintf("event: identifier kind %q is built in: use it without declaring it", k.Kind))
	}
	i, found := slices.BinarySearchFunc(declared, k.Kind, func(d KindInfo, k IDKind) int { return strings.Compare(string(d.Kind), string(k)) })
	if found {
		if declared[i] != k {
			panic(fmt.Sprintf("event: identifier kind %q declared twice, differently: %+v and %+v", k.Kind, declared[i], k))
		}
		return
	}
	declared = slices.Insert(slices.Clone(declared), i, k)
	vocab.Store(build(declared))
}

// Kinds returns every identifier kind, in documentation order: the
// built-in kinds, then the declared ones sorted by name. The slice is
// shared: callers must not modify it (appending to it is safe).
func Kinds() []IDKind { return vocab.Load().kinds }

// Describe returns what the vocabulary says of k, and false when k is not
// in it.
func Describe(k IDKind) (KindInfo, bool) {
	i, ok := vocab.Load().info[k]
	return i, ok
}

// Exclusive reports whether a person has at most one identifier of kind k
// at a time (KindInfo.Exclusive); false for a kind outside the vocabulary.
func Exclusive(k IDKind) bool { return vocab.Load().info[k].Exclusive }

// ExclusiveKinds returns the exclusive kinds of the vocabulary, in
// documentation order: what a linker refusing to join two people's SIMs,
// cards or plates reads.
func ExclusiveKinds() []IDKind {
	v := vocab.Load()
	var out []IDKind
	for _, k := range v.kinds {
		if v.info[k].Exclusive {
			out = append(out, k)
		}
	}
	return out
}

// Builtin reports whether k is one of the built-in kinds (not declared by
// a producer).
func Builtin(k IDKind) bool {
	return slices.ContainsFunc(builtins, func(b KindInfo) bool { return b.Kind == k })
}

// Valid reports whether k belongs to the vocabulary: a built-in kind or a
// declared one.
func (k IDKind) Valid() bool {
	_, ok := vocab.Load().info[k]
	return ok
}
