package world

import (
	"slices"
	"testing"
	"time"
)

func TestHeroSunday(t *testing.T) {
	w := newWorld(t, 8, nil)
	d := w.Day(1)
	p := d.Plan(HeroID)
	hero := p.Person
	c := w.City

	var names []string
	for i, m := range d.Moments {
		names = append(names, m.Name)
		if !m.End.After(m.Start) || (i > 0 && !d.Moments[i-1].End.Equal(m.Start)) {
			t.Errorf("moment %s %v–%v is not contiguous", m.Name, m.Start, m.End)
		}
	}
	if !slices.Equal(names, MomentNames) {
		t.Fatalf("moments %v, want %v", names, MomentNames)
	}
	if !d.Moments[0].Start.Equal(d.Date) || !d.Moments[len(d.Moments)-1].End.Equal(w.Date(2)) {
		t.Error("moments do not cover the day")
	}
	if w.Day(2).Moments != nil {
		t.Error("day 2 has moments")
	}
	in := func(name string, at time.Time) bool {
		m := d.Moment(name)
		return m != nil && !at.Before(m.Start) && at.Before(m.End)
	}

	tests := []struct {
		moment string
		check  func(t *testing.T, m *Moment)
	}{
		{MomentNight, func(t *testing.T, m *Moment) {
			if hero.Privacy.LocationServices || hero.Privacy.PhoneOffAtNight {
				t.Error("she keeps location services off and the phone on")
			}
			at := d.Date.Add(4 * time.Hour)
			if _, pl := p.Where(at); pl != hero.Home || p.Awake(at) {
				t.Error("at 04:00 she should be asleep at home")
			}
		}},
		{MomentWakeUp, func(t *testing.T, m *Moment) {
			local := m.Start.In(Paris())
			if h := local.Hour()*60 + local.Minute(); h < 8*60+30 || h > 9*60+30 {
				t.Errorf("she wakes at %v", local)
			}
			if !m.Start.Equal(p.Sleep.Wake) {
				t.Errorf("wake-up starts %v, sleep ends %v", m.Start, p.Sleep.Wake)
			}
			cats := map[string]bool{}
			for _, a := range p.Apps {
				if a.Moment == m.Name {
					cats[AppCategory(a.App)] = true
				}
			}
			for _, want := range []string{"social", "news", "messages", "games"} {
				if !cats[want] {
					t.Errorf("no %s app at wake-up (%v)", want, cats)
				}
			}
			if first := p.Apps[0]; first.Moment != m.Name || first.Start.Sub(p.Sleep.Wake) > hero.Habits.PhoneDelay {
				t.Errorf("first session %s at %v, wake at %v", first.App, first.Start, p.Sleep.Wake)
			}
			var got, out, calls, searches int
			for _, msg := range p.Messages {
				if msg.Moment != m.Name {
					continue
				}
				switch {
				case msg.Kind == "call":
					calls++
				case msg.Outgoing:
					out++
				default:
					got++
				}
			}
			for _, s := range p.Searches {
				if s.Moment == m.Name && in(m.Name, s.Time) {
					searches++
				}
			}
			if got == 0 || out == 0 || calls == 0 || searches < 2 {
				t.Errorf("wake-up: %d sms in, %d out, %d calls, %d searches", got, out, calls, searches)
			}
		}},
		{MomentMorning, func(t *testing.T, m *Moment) {
			syncs := p.Syncs()
			if len(syncs) != 1 || !in(m.Name, syncs[0]) {
				t.Fatalf("syncs %v, want one in the morning", syncs)
			}
			if _, pl := p.Where(syncs[0]); pl != hero.Home || !p.Awake(syncs[0]) {
				t.Error("she syncs the wristband at home, awake")
			}
		}},
		{MomentLateMorning, func(t *testing.T, m *Moment) {
			trip := tripIn(p, m.Name)
			if trip == nil || trip.Mode != "metro" || len(trip.Legs) < 2 {
				t.Fatalf("want a metro trip with a change, got %+v", trip)
			}
			if trip.Legs[len(trip.Legs)-1].To != c.Station("station:chatelet") || trip.Ticket != "" {
				t.Error("she rides with her pass to Châtelet")
			}
			pu := purchaseIn(p, m.Name)
			if pu == nil || pu.Place.Kind != KindStation || pu.Method != "card" || pu.Pass != hero.PassID ||
				!pu.Time.Before(trip.Legs[0].Board) {
				t.Errorf("want a card top-up of her pass at the station machine before boarding, got %+v", pu)
			}
		}},
		{MomentMall, func(t *testing.T, m *Moment) {
			shops := map[string]bool{}
			for _, s := range p.Segments {
				if s.Moment == m.Name && s.Place != nil && s.Place.Mall != nil {
					shops[s.Place.ID] = true
				}
			}
			if len(shops) < 3 {
				t.Errorf("she walks past %d shops", len(shops))
			}
		}},
		{MomentFnac, func(t *testing.T, m *Moment) {
			pu := purchaseIn(p, m.Name)
			if pu == nil || pu.Place.ID != FnacID || pu.Method != "card" || pu.Loyalty != hero.Loyalty["fnac"] {
				t.Fatalf("want a card + loyalty payment at the Fnac, got %+v", pu)
			}
			if n := len(pu.Items); n < 2 || n > 3 {
				t.Errorf("%d books", n)
			}
			for _, it := range pu.Items {
				if it.Category != "book" || !slices.Contains(hero.Habits.BookGenres, it.Genre) {
					t.Errorf("item %+v is not a book of her genres", it)
				}
			}
		}},
		{MomentStarbucks, func(t *testing.T, m *Moment) {
			pu := purchaseIn(p, m.Name)
			if pu == nil || pu.Place.ID != StarbucksID || pu.Method != "card" || pu.Loyalty != hero.Loyalty["starbucks"] ||
				!pu.OwnCup || pu.Items[0].Name != hero.Habits.CafeOrder {
				t.Fatalf("want her order in her own cup, card + loyalty, got %+v", pu)
			}
			if m.End.Sub(m.Start) < 100*time.Minute {
				t.Errorf("she stays %v", m.End.Sub(m.Start))
			}
			if len(p.TabletUse) != 1 || p.TabletUse[0].Moment != m.Name || p.TabletUse[0].Duration < 90*time.Minute ||
				p.TabletUse[0].Device != hero.Tablet || !in(m.Name, p.TabletUse[0].Start) {
				t.Errorf("tablet use %+v", p.TabletUse)
			}
			if !hero.Privacy.WifiEnabled || !hero.Privacy.WifiAutoJoin || hero.Privacy.MACRandomisation {
				t.Error("her devices join the café Wi-Fi with their hardware MACs")
			}
		}},
		{MomentEvening, func(t *testing.T, m *Moment) {
			trip := tripIn(p, m.Name)
			if trip == nil || trip.To != hero.Home || trip.Mode != "metro" {
				t.Fatalf("she rides home, got %+v", trip)
			}
			last := p.Segments[len(p.Segments)-1]
			if last.Place != hero.Home || last.Moment != m.Name {
				t.Error("the day ends at home")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.moment, func(t *testing.T) { tt.check(t, d.Moment(tt.moment)) })
	}
}

func tripIn(p *Plan, moment string) *Trip {
	for _, s := range p.Segments {
		if s.Moment == moment && s.Trip != nil {
			return s.Trip
		}
	}
	return nil
}

func purchaseIn(p *Plan, moment string) *Purchase {
	for i := range p.Purchases {
		if p.Purchases[i].Moment == moment {
			return &p.Purchases[i]
		}
	}
	return nil
}

func TestHeroOtherDaysOrdinary(t *testing.T) {
	w := newWorld(t, 1, nil)
	for i := 2; i <= 8; i++ {
		p := w.Day(i).Plan(HeroID)
		for _, s := range p.Segments {
			if s.Moment != "" {
				t.Fatalf("day %d carries moment %s", i, s.Moment)
			}
		}
		if w.Date(i).Weekday() == time.Sunday {
			for _, s := range p.Segments {
				if s.Place == p.Person.Work {
					t.Errorf("day %d: she works on a Sunday", i)
				}
			}
		}
	}
}
