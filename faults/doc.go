// Package faults makes the exhaust dirty on purpose, the way real sensors
// do: late and out of order (delay), repeated (duplicate), lost (drop),
// broken (corrupt), or stamped by a device whose clock is off (skew).
//
// A Plan says which producers suffer which faults; Parse reads it from the
// command line's grammar:
//
//	<producer|all>:<fault>=<rate>%[/<amount>][,<fault>=…][;<clause>…]
//
// for example "phone:delay=10%/5m,duplicate=5%;wifi:drop=2%". A Day
// applies a plan to the time-ordered events a run emits that day and says
// what it did, for the ground truth (Report). Every decision is drawn from
// the run's seed, the producer, the day and the event's id (a device's
// clock from its identifier instead of the day), so the same seed and
// settings give the same faults however the day is cut or batched.
//
// The package knows nothing of NATS: the runner (package sim) publishes
// what a Day delivers.
package faults
