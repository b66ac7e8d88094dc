// Package linker finds the evidence that anonymous identifiers belong to
// the same person, and writes it to the identity graph (package graph). It
// also finds the evidence that they do not, and undoes links accordingly.
//
// Three kinds of evidence, from the strongest:
//
//  1. Same event: one event carrying two identifiers links them (a ticket
//     machine's card and pass, a wristband's sync through a phone's ad id,
//     a captive portal's MAC and e-mail, a cell event's IMSI and IMEI).
//     A fact: never undone.
//  2. Joined records: a card payment and a loyalty basket at the same store,
//     for the same amount, within Config.JoinWindow, when the match is
//     unique both ways (ambiguous candidates link nothing).
//  3. Space-time co-occurrence (cooccur.go), as a test of hypotheses: an
//     identifier seen now and then at a precise place (a card, a pass, a
//     Wi-Fi address: an anchor) is scored against the phones located
//     around it each time, by a log-likelihood ratio that weighs how near
//     each phone was, how precise its position, and how many phones were
//     in view (a shop at 3 am says more than Châtelet at 8 am). Phones
//     located far away lose; a day of coarse positions (history.go) scores
//     a phone that becomes a candidate late against the earlier
//     observations. An anchor is linked to a phone once that phone is
//     Config.CooccurOdds times likelier than every other together, after
//     Config.CooccurMinCount encounters. No crowded place is skipped: it
//     scores the candidates held and seeds at most Config.CooccurCandidates;
//     the likeliest Config.CooccurCandidates are kept, the others still
//     count as rivals.
//
// Contradictions (split.go): two identifiers of one cluster seen farther
// apart than a person can travel in the time between (a card paying at a
// shop while its supposed phone is across town) undo, after
// Config.SplitAfter times, the weakest inferred link between them; the
// cluster splits, the pair is vetoed, and the split is kept with its
// reason (Splits).
//
// Precision comes first: a false merge tells a wrong story about a real
// person. The defaults of Config were tuned on seeds 1 to 4 (30 people
// over a week, 1,000 people over a day) against the ground truth; the
// figures on other seeds and sizes are in docs/accuracy.md, the method in
// docs/linkage.md. Much of the rest is out of reach of any linker: a card
// used once in a day, a cash-bought ticket, or a card used only near home,
// where the neighbours' phones are as near as its owner's.
//
// The linker's state (tower map, pending joins, open time bins, candidates
// per anchor, phone histories, contradictions) is a pure function of the
// records observed, in order; Save and Load round-trip it exactly, so a
// snapshot followed by a replay gives the same graph as an uninterrupted
// run.
package linker
