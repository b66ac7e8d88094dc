// Package web is the classroom page: a live view of one simulated day in
// which the class watches "the beast" (package aggregator) learn who a
// person is from the exhaust of their day, and tries to starve it.
//
// # Wiring it into a run
//
// The page follows the run through the two hooks of sim.Config and steers it
// through the clock and the runner. Build the Server before the runner (the
// hooks are its methods), hand it the runner afterwards, mount its handler at
// "/" next to the JSON API, and close it when the run ends:
//
//	page, err := web.New(web.Config{
//		World:     w,        // the run's *world.World
//		Clock:     clk,      // the run's *clock.Clock
//		Seed:      seed,     // the run's seed: what-if replays reuse it
//		Producers: selected, // the run's producers (nil: all registered)
//		Promote: func(subject string, payload []byte) {
//			_ = nc.Publish(subject, payload) // promo.exhaust.<chain>, outside exhaust.>
//		},
//		Log: log,
//	})
//	if err != nil { … }
//	defer page.Close()
//	runner, err := sim.New(sim.Config{…, OnDay: page.OnDay, Tap: page.Tap})
//	page.SetRunner(runner)
//	mux.Handle("/", page.Handler()) // next to /api/…, /metrics, /healthz, /readyz
//
// The handler owns "/", "/assets/…", "/city.json", "/live" (server-sent
// events), "/control/…" (pause, resume, speed, restart, jump, faults) and
// "/whatif/…", and in class mode "/class…"; it never answers under /api/,
// /metrics, /healthz or /readyz, which belong to other handlers.
//
// # What it keeps
//
// The page keeps its own classroom session: an in-memory aggregator.Engine
// fed from Tap (each event validated against the producers' schemas, then
// applied), the same beast code as the NATS aggregator, but one the page can
// reset when the teacher restarts the day or jumps to a moment. The NATS
// aggregator keeps running for the API and Grafana. The session also files
// every event under the person who really emitted it (the narrator knows the
// truth: world plans and Day.Truth), so the left column can show what a person
// did and the data each act left, moment by moment.
//
// The truth stays on the narrator's side. What the beast shows and does
// (profiles, facts, links, the shops' promotions) comes from the events
// alone: a shop sees the identifiers of an event located near it, looks
// them up in the beast's profiles and decides; only then does the page
// label the promotion with the person who really received it. The engine
// gets the truth for scoring (Accuracy, the profile a person's columns
// show), never for linking.
//
// The dirty-data panel, behind a toggle so that the story stays clean,
// lets the teacher turn fault knobs while the run plays (delay, duplicate,
// drop, corrupt, skew for every sensor; package faults): POST
// /control/faults with {"faults": "<plan>"} in the --faults grammar puts a
// plan in force through the runner's SetFaults (FaultRunner), from the
// next event on. The page shows the plan in force, the faults done, what
// the session's beast made of them (repeats ignored, late events) and its
// pairwise linkage accuracy, live.
//
// The challenge ("could you spend a whole day without feeding the beast?")
// replays the hero's day 1 in memory, never on NATS: world.New with the
// hero's privacy settings changed, producers.Collect, a fresh Engine; then it
// compares the facts and an exposure score before and after (see
// docs/classroom.md for the formula).
//
// Class mode (Config.Class) lets students join from their own devices, each
// as a person of the city with their own switches. The registry lives in
// memory only and Close forgets it; the reveal is one replay of day 1 with
// every student's switches, like the challenge's. Only requests from the
// machine itself (the projector) may drive the simulation or reveal.
package web
