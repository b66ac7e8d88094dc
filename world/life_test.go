package world

import (
	"math"
	"slices"
	"testing"
	"time"
)

// TestOccupationShares: a large population has each occupation in its
// share, and the work each occupation implies.
func TestOccupationShares(t *testing.T) {
	w := newWorld(t, 5000, nil)
	n := map[Occupation]int{}
	for _, p := range w.People {
		n[p.Occupation]++
		switch p.Occupation {
		case OccOffice:
			if p.Work == nil || p.Work.Kind != KindOffice {
				t.Errorf("%s: office worker working at %v", p.ID, p.Work)
			}
		case OccStudent:
			if p.Work == nil || p.Work.Kind != KindCampus {
				t.Errorf("%s: student studying at %v", p.ID, p.Work)
			}
		case OccShift, OccNight:
			if p.Work == nil {
				t.Errorf("%s: %s worker without a workplace", p.ID, p.Occupation)
			}
		case OccRetired, OccRemote, OccVisitor:
			if p.Work != nil {
				t.Errorf("%s: %s with a workplace %s", p.ID, p.Occupation, p.Work.ID)
			}
		}
	}
	for _, o := range occupationShares {
		got := float64(n[o.occ]) / float64(len(w.People))
		// Five standard deviations of a binomial share.
		if tol := 5 * math.Sqrt(o.share*(1-o.share)/float64(len(w.People))); math.Abs(got-o.share) > tol {
			t.Errorf("%s: %.3f of the people, want %.2f ± %.3f", o.occ, got, o.share, tol)
		}
	}
}

// TestHomesFollowResidents: homes fall in arrondissements in proportion to
// their residents, not evenly.
func TestHomesFollowResidents(t *testing.T) {
	w := newWorld(t, 5000, nil)
	byArr := map[int]int{}
	residents := 0
	for _, p := range w.People {
		if p.Occupation != OccVisitor {
			byArr[p.Home.Arrondissement]++
			residents++
		}
	}
	total := 0
	for _, d := range districts {
		total += d.pop
	}
	for _, d := range districts {
		want := float64(d.pop) / float64(total)
		got := float64(byArr[d.arr]) / float64(residents)
		if tol := 5*math.Sqrt(want*(1-want)/float64(residents)) + 0.005; math.Abs(got-want) > tol {
			t.Errorf("%de: %.3f of the homes, want %.3f", d.arr, got, want)
		}
	}
}

// TestTowersFollowTraffic: sites are closer together where more people
// live and work.
func TestTowersFollowTraffic(t *testing.T) {
	c := NewCity()
	spacing := func(p Point) float64 {
		ts := c.TowersNear(p, 4)
		return ts[3].DistanceM
	}
	dense := Point{Lat: 48.8727, Lon: 2.3125}  // the 8e: offices
	sparse := Point{Lat: 48.8560, Lon: 2.2730} // the 16e: homes and space
	if a, b := spacing(dense), spacing(sparse); a >= b {
		t.Errorf("4th nearest site %.0f m away in the 8e, %.0f m in the 16e: want closer where traffic is", a, b)
	}
	if d := spacingAt(dense); d > 300 {
		t.Errorf("spacing in the 8e %.0f m, want a dense network", d)
	}
}

// TestVisitorsStayAFewDays: visitors sleep in a hotel and are in the city
// only between their arrival and departure, with empty plans otherwise.
func TestVisitorsStayAFewDays(t *testing.T) {
	w := newWorld(t, 400, nil)
	var visitors []*Person
	for _, p := range w.People {
		if p.Occupation == OccVisitor {
			visitors = append(visitors, p)
			if n := p.Leave - p.Arrive + 1; p.Arrive < 1 || n < visitorMinDays || n > visitorMaxDays {
				t.Errorf("%s stays days %d–%d", p.ID, p.Arrive, p.Leave)
			}
			if p.PassID != "" {
				t.Errorf("%s: a visitor with a Navigo pass", p.ID)
			}
		}
	}
	if len(visitors) == 0 {
		t.Fatal("no visitors among 400 people")
	}
	for day := 1; day <= 8; day++ {
		d := w.Day(day)
		for _, p := range visitors {
			pl := d.Plan(p.ID)
			if in := p.InCity(day); in != (len(pl.Segments) > 0) {
				t.Errorf("%s day %d: in the city %v, %d segments", p.ID, day, in, len(pl.Segments))
			}
			if slices.Contains(d.Present(), pl) != p.InCity(day) {
				t.Errorf("%s day %d: Present disagrees with InCity", p.ID, day)
			}
		}
	}
}

// TestShiftsAndNights: early shifts get people up before dawn; a night
// worker's day after a night starts at work and sleeps in the daytime.
func TestShiftsAndNights(t *testing.T) {
	w := newWorld(t, 600, nil)
	var early, nights int
	for day := 1; day <= 7; day++ {
		d := w.Day(day)
		for _, pl := range d.Plans {
			p := pl.Person
			switch p.Occupation {
			case OccShift:
				if works, e := p.worksShift(day); works && e {
					early++
					if h := pl.Sleep.Wake.Sub(d.Date); h > shiftEarly {
						t.Errorf("%s day %d: up at %v for the 06:00 shift", p.ID, day, h)
					}
				}
			case OccNight:
				if !p.worksNight(day - 1) {
					continue
				}
				nights++
				if pl.Segments[0].Place != p.Work {
					t.Errorf("%s day %d: after a night shift, the day starts at %s", p.ID, day, pl.Segments[0].Place.ID)
				}
				if b := pl.Sleep.Bed.Sub(d.Date); b < 6*time.Hour || b > 12*time.Hour {
					t.Errorf("%s day %d: after a night shift, to bed at %v", p.ID, day, b)
				}
			}
		}
	}
	if early == 0 || nights == 0 {
		t.Fatalf("%d early shifts, %d days after a night shift in a week of 600 people", early, nights)
	}
}

// TestPlacesLongTailed: over a week, a few places draw many people and most
// draw a handful: the mall and big stations against the corner bakery.
func TestPlacesLongTailed(t *testing.T) {
	w := newWorld(t, 1000, nil)
	visitors := map[*Place]map[*Person]bool{}
	for day := 1; day <= 7; day++ {
		for _, pl := range w.Day(day).Plans {
			for _, s := range pl.Segments {
				if s.Place == nil || s.Place.Kind == KindHome || s.Place.Kind == KindHotel {
					continue
				}
				if visitors[s.Place] == nil {
					visitors[s.Place] = map[*Person]bool{}
				}
				visitors[s.Place][pl.Person] = true
			}
		}
	}
	var counts []int
	for _, v := range visitors {
		counts = append(counts, len(v))
	}
	slices.Sort(counts)
	median, top := counts[len(counts)/2], counts[len(counts)-1]
	t.Logf("%d places visited; visitors per place: median %d, busiest %d", len(counts), median, top)
	if len(counts) < 500 {
		t.Errorf("only %d places visited in a week of 1,000 people", len(counts))
	}
	if top < 20*median {
		t.Errorf("busiest place %d visitors, median %d: want a long tail", top, median)
	}
}
