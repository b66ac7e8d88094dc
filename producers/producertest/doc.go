// Package producertest is the contract every producer honours, as one test
// suite. producers/all runs it over every registered producer, so a new
// producer is checked the moment its package is imported there: a
// well-formed spec (and the identifier kinds it declares), every declared
// kind really emitted, every event valid against its schema, identifiers
// only of the declared kinds and only from the ground truth, none hidden
// inside a string of the data, determinism, order, each declared meaning
// (KindSpec.Means) naming fields of the schema that the events really
// fill, and the declared privacy rules.
//
// The suite runs over a 40-person world, and over larger ones (400, then
// 4,000 people; see Populations) only when a rare kind needs them.
//
// Checks are subtests with stable names (spec, emits_every_kind, valid,
// namespace, identifiers, ordered_inside_the_day, deterministic,
// absent_visitors_unseen, means, privacy/<setting>), so one can be run
// alone:
//
//	go test ./producers/all -run 'TestContract/transit/identifiers'
package producertest
