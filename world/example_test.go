package world_test

import (
	"fmt"

	"exhaust/world"
)

// The hero's seed Sunday, moment by moment, in the default world, and what
// she paid for.
func ExampleWorld_Day() {
	w, err := world.New(world.DefaultConfig())
	if err != nil {
		panic(err)
	}
	day := w.Day(1)
	for _, m := range day.Moments {
		fmt.Printf("%-12s %s–%s\n", m.Name, m.Start.Format("15:04"), m.End.Format("15:04"))
	}
	for _, pu := range day.Plan(world.HeroID).Purchases {
		fmt.Printf("%s %s %d items %.2f EUR by %s\n", pu.Time.Format("15:04"), pu.Place.Name, len(pu.Items), float64(pu.TotalCents)/100, pu.Method)
	}
	// Output:
	// night        00:00–08:47
	// wake-up      08:47–09:32
	// morning      09:32–10:56
	// late-morning 10:56–11:32
	// mall         11:32–11:57
	// fnac         11:57–12:22
	// starbucks    12:22–14:37
	// evening      14:37–00:00
	// 11:00 Alexandre Dumas 1 items 31.60 EUR by card
	// 12:18 Fnac Forum des Halles 3 items 53.70 EUR by card
	// 12:26 Starbucks Forum des Halles 2 items 8.60 EUR by card
}
