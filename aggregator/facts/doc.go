// Package facts turns the aggregator's stream of decoded events into profile
// facts: where someone lives and works, how they sleep, where they go, what
// they buy and read, which devices they carry, whom they talk to and what
// their name is, each with the evidence behind it.
//
// The Store knows no producer: it reads each event through the meanings its
// producer declared (package meaning), and a meaning feeds the
// accumulators of the identifier kind it is about. The six producers'
// declarations give the facts below; a producer may declare facts of its
// own (meaning.Attribute), returned after them, sorted by name.
//
// A Store keeps, per identifier, compact accumulators (counters, sums, small
// bounded lists and a few sample event ids), never the events themselves.
// Derive merges the accumulators of the identifiers of one profile (a
// cluster of the identity graph) and derives the facts from the merged
// state, so a fact appears the moment the graph links in the identifier
// that carries it.
//
// The facts, in the order Derive returns them (see FactNames), and what
// they rest on:
//
//	home, work     radio measurement reports at night / in working hours,
//	               GPS fixes, the station where the day's trips start and end
//	sleep          wristband sleep records: last night, phases, averages
//	wake_to_phone  wristband wake time vs the first phone app session
//	activity       wristband steps, calories, heart rate, workouts
//	trips          metro gate taps paired into trips, ticket-machine sales
//	places         presences (Wi-Fi sessions and probes, dwell), payments, taps
//	spending       card payments by category (the bank's view)
//	shopping       loyalty baskets by chain (the shops' view)
//	interests      book genres from baskets, search topics
//	cafe           café orders and own cup (baskets), café payments (MCC 5814)
//	apps           app sessions and time by app and device
//	devices        phone, SIM, tablet, wristband, Wi-Fi MACs and where seen
//	contacts       call and SMS correspondents (hashed, and unhashed when
//	               the number is one the store has seen)
//	name, email    loyalty registrations, captive-portal logins
//
// Locations do not need GPS. The mobile operator knows its towers (the store
// learns each tower's position from the events it serves) and every cell
// event carries the phone's measurement report: the signal of the strongest
// towers. Averaged over the night, the signals are turned into a position
// estimate through a path-loss model the store fits itself to its phones'
// nights (see docs/location.md), which GPS fixes, when location services
// are on, and the metro station where the day's trips start and end refine.
//
// Times of day are local to Paris (Europe/Paris), where the simulated city
// lives: nights are 22:00–07:00, working hours 09:30–12:00 and 14:00–16:30
// on weekdays.
//
// A Store is a pure function of the sequence of records observed: no clock,
// no randomness, no map-order dependence, so a saved and reloaded store that
// observes the rest of a stream ends exactly where an uninterrupted one does.
// It is not safe for concurrent use: Observe and Load must not run
// concurrently with anything, while Derive and Save only read and may run
// concurrently with each other.
package facts
