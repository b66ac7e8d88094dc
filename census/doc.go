// Package census is the city's own report: what a simulated city is (people
// by occupation, towers, places by kind), how much exhaust its producers
// leave (events per person per day, by producer), and how identifying that
// exhaust is, as unicity curves measured from the events themselves, next to
// the papers' figures.
//
// Run builds the world in process, with no NATS, and has every producer
// observe every day through an Emitter of its own that counts events and
// reads trace points out of them as they are emitted: nothing holds a day's
// events, so memory grows with the population's plans and traces, not with
// the exhaust. A Lens says which events make which traces: AntennaHour is de
// Montjoye et al.'s "Unique in the Crowd" (Scientific Reports, 2013), each
// SIM's distinct (serving tower, hour) points from phone.cell events;
// ShopDay is "Unique in the shopping mall" (Science, 2015), each card's
// distinct (merchant place, local day) points from card payments. The
// curves come from score.Traces and its UnicityCurve, the aggregator's own
// measure, so the city's figure and the aggregator's agree by construction.
//
// The package knows nothing of the command line; cmd/exhaust's city command
// parses flags and prints a Report as text or JSON.
package census
