package world

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestNearestMatchesLinearScan checks the grid search for local places
// against sorting every place of the use by distance.
func TestNearestMatchesLinearScan(t *testing.T) {
	c := NewCity()
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		p, _ := homePoint(r)
		for u := range nUses {
			got := c.nearest(u, p, localChoices)
			var all []*Place
			for _, pl := range c.Places {
				if useOf(pl) == u {
					all = append(all, pl)
				}
			}
			slices.SortStableFunc(all, func(a, b *Place) int {
				if d := Distance(p, a.Point) - Distance(p, b.Point); d != 0 {
					if d < 0 {
						return -1
					}
					return 1
				}
				return 0
			})
			want := all[:min(localChoices, len(all))]
			for i := range want {
				// The flat-earth ranking may swap two places within a metre.
				if got[i] != want[i] && Distance(p, got[i].Point)-Distance(p, want[i].Point) > 1 {
					t.Fatalf("use %d near %v: got %s, want %s", u, p, got[i].ID, want[i].ID)
				}
			}
		}
	}
}
