package score

import (
	"slices"

	"exhaust/aggregator/graph"
	"exhaust/event"
)

// PRF is a precision, a recall and their harmonic mean, each in [0, 1].
type PRF struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

func prf(p, r float64) PRF {
	out := PRF{Precision: p, Recall: r}
	if p+r > 0 {
		out.F1 = 2 * p * r / (p + r)
	}
	return out
}

// ratio is num/den, or 1 when den is 0: nothing claimed is nothing wrong,
// nothing to find is nothing missed.
func ratio(num, den float64) float64 {
	if den == 0 {
		return 1
	}
	return num / den
}

// Invert turns the truth as the simulator publishes it (person → the
// identifiers they can emit) into identifier → person. Should two persons
// claim one identifier, the smaller person id keeps it.
func Invert(byPerson map[string][]event.ID) map[event.ID]string {
	persons := make([]string, 0, len(byPerson))
	for p := range byPerson {
		persons = append(persons, p)
	}
	slices.Sort(persons)
	out := map[event.ID]string{}
	for _, p := range persons {
		for _, id := range byPerson[p] {
			if _, taken := out[id]; !taken {
				out[id] = p
			}
		}
	}
	return out
}

// table is the contingency table of a clustering against the truth, over
// identifiers both know: for each cluster, how many of its identifiers
// belong to each person.
type table[P comparable] struct {
	clusters []map[P]int // per cluster: person → identifiers
	sizes    []int       // per cluster: identifiers the truth knows
	persons  map[P]int   // person → identifiers seen
	items    int
}

func tabulate[P comparable](clusters [][]event.ID, owner func(event.ID) (P, bool)) table[P] {
	t := table[P]{persons: map[P]int{}}
	seen := map[event.ID]bool{}
	for _, c := range clusters {
		row := map[P]int{}
		n := 0
		for _, id := range c {
			p, ok := owner(id)
			if !ok || seen[id] {
				continue
			}
			seen[id] = true
			row[p]++
			t.persons[p]++
			n++
		}
		if n > 0 {
			t.clusters = append(t.clusters, row)
			t.sizes = append(t.sizes, n)
			t.items += n
		}
	}
	return t
}

// lookup reads truth (identifier → person) as an owner function.
func lookup(truth map[event.ID]string) func(event.ID) (string, bool) {
	return func(id event.ID) (string, bool) {
		p, ok := truth[id]
		return p, ok
	}
}

func pairs(n int) float64 { return float64(n) * float64(n-1) / 2 }

// Pairwise scores clusters against truth (identifier → person) by pairs of
// identifiers: precision is the share of same-cluster pairs that are one
// person's, recall the share of one person's pairs that share a cluster.
// Only identifiers that appear in clusters and that truth knows count. A
// ratio with nothing to count is 1; with no identifiers at all, the result
// is zero.
func Pairwise(clusters [][]event.ID, truth map[event.ID]string) PRF {
	return PairwiseOf(clusters, lookup(truth))
}

// PairwiseOf is Pairwise with the truth as a function: owner(id) returns
// the person owning id, if the truth knows it. A person is any comparable
// value, such as an index into a table of person ids (a truth held as
// integers is a fraction of the size of a map of strings).
func PairwiseOf[P comparable](clusters [][]event.ID, owner func(event.ID) (P, bool)) PRF {
	t := tabulate(clusters, owner)
	if t.items == 0 {
		return PRF{}
	}
	var tp, predicted, actual float64
	for i, row := range t.clusters {
		predicted += pairs(t.sizes[i])
		for _, k := range row {
			tp += pairs(k)
		}
	}
	for _, k := range t.persons {
		actual += pairs(k)
	}
	return prf(ratio(tp, predicted), ratio(tp, actual))
}

// BCubed scores clusters against truth by identifiers: an identifier's
// precision is the share of its cluster that is its person's, its recall
// the share of its person's identifiers that are in its cluster; both are
// averaged over the identifiers that appear in clusters and that truth
// knows. With no such identifiers, the result is zero.
func BCubed(clusters [][]event.ID, truth map[event.ID]string) PRF {
	return BCubedOf(clusters, lookup(truth))
}

// BCubedOf is BCubed with the truth as a function, as in PairwiseOf.
func BCubedOf[P comparable](clusters [][]event.ID, owner func(event.ID) (P, bool)) PRF {
	t := tabulate(clusters, owner)
	if t.items == 0 {
		return PRF{}
	}
	var p, r float64
	for i, row := range t.clusters {
		for person, k := range row {
			p += float64(k) * float64(k) / float64(t.sizes[i])
			r += float64(k) * float64(k) / float64(t.persons[person])
		}
	}
	n := float64(t.items)
	return prf(p/n, r/n)
}

// Scores are the pairwise and B-cubed scores of one clustering.
type Scores struct {
	Pairwise PRF `json:"pairwise"`
	BCubed   PRF `json:"bcubed"`
}

// Accuracy is a graph's clustering scored against the truth, overall and
// for each evidence kind alone.
type Accuracy struct {
	Scores
	// ByEvidence scores the clustering that the links of one evidence kind
	// alone give (graph.ClustersBy).
	ByEvidence map[graph.EvidenceKind]Scores `json:"by_evidence"`
}

// Evaluate scores g's clusters against truth (identifier → person).
func Evaluate(g *graph.Graph, truth map[event.ID]string) Accuracy {
	all := g.Clusters()
	a := Accuracy{
		Scores:     Scores{Pairwise: Pairwise(all, truth), BCubed: BCubed(all, truth)},
		ByEvidence: map[graph.EvidenceKind]Scores{},
	}
	for _, k := range graph.EvidenceKinds {
		cs := g.ClustersBy(k)
		a.ByEvidence[k] = Scores{Pairwise: Pairwise(cs, truth), BCubed: BCubed(cs, truth)}
	}
	return a
}
