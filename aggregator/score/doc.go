// Package score measures the aggregator against the ground truth the
// simulator publishes, and measures how identifying the traces it holds are.
//
// Clustering quality: Pairwise counts pairs of identifiers put in the same
// cluster (precision: how many of those pairs are one person's; recall: how
// many of a person's pairs were found), BCubed averages the same questions
// over identifiers, so a large cluster does not outweigh many small ones.
// Both score only identifiers the aggregator has seen and the truth knows.
// Evaluate scores a graph overall and for each evidence kind alone.
//
// Unicity (de Montjoye et al., "Unique in the Crowd", Scientific Reports,
// 2013): Traces accumulates each SIM's trace as (cell tower, hour) points
// from phone.cell events; Unicity(p) is the share of traces that p random
// points of their own single out among all traces. UnicityCurve gives ε_1
// to ε_p from nested draws (the first p points of one random order), the
// curve the aggregator reports. Add puts any (place, time bin) point in a
// trace, so the same measure works at other resolutions: exhaust city
// (package census) also measures cards at shop × day, as in "Unique in the
// shopping mall" (de Montjoye et al., Science, 2015).
package score
