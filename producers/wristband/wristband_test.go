package wristband_test

import (
	"slices"
	"testing"
	"time"

	"exhaust/event"
	"exhaust/producers"
	"exhaust/producers/producertest"
	"exhaust/producers/wristband"
	"exhaust/world"
)

var date = time.Date(2026, 11, 29, 0, 0, 0, 0, world.Paris())

// at returns hh:mm on the test day.
func at(h, m int) time.Time {
	return date.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

var (
	home   = &world.Place{ID: "home:t1", Kind: world.KindHome, Point: world.Point{Lat: 48.8556, Lon: 2.3962}}
	office = &world.Place{ID: "office:t", Kind: world.KindOffice, Point: world.Point{Lat: 48.8712, Lon: 2.3338}}
	park   = &world.Place{ID: "park:t", Kind: world.KindPark, Point: world.Point{Lat: 48.8809, Lon: 2.3831}}
)

func testPerson(priv world.Privacy) *world.Person {
	return &world.Person{
		ID: "t1", Name: "Test Person", Home: home,
		Phone:     &world.Device{Kind: world.DevicePhone, ADID: "00000000-0000-4000-8000-000000000001"},
		Wristband: &world.Device{Kind: world.DeviceWristband, Serial: "WB-00000001"},
		Privacy:   priv,
	}
}

var lastNight = &world.Sleep{
	Bed:  at(-1, -30),
	Wake: at(7, 0),
	Phases: []world.SleepPhase{
		{Kind: "falling_asleep", Start: at(-1, -30), End: at(-1, -15)},
		{Kind: "light", Start: at(-1, -15), End: at(1, 0)},
		{Kind: "deep", Start: at(1, 0), End: at(2, 30)},
		{Kind: "awake", Start: at(2, 30), End: at(2, 34)},
		{Kind: "rem", Start: at(2, 34), End: at(4, 0)},
		{Kind: "light", Start: at(4, 0), End: at(7, 0)},
	},
}

// activeDay: asleep until 07:00, home, an hour's walk to work, a desk day,
// a run in the park 18:00 to 19:00, home, bed at 23:00. The wristband app is
// opened at 07:30 and 12:30.
func activeDay(p *world.Person) *world.Plan {
	return &world.Plan{
		Person: p, Day: 1, Sleep: lastNight,
		Segments: []world.Segment{
			{Start: at(0, 0), End: at(7, 0), Activity: "sleep", Place: home},
			{Start: at(7, 0), End: at(9, 0), Activity: "home", Place: home},
			{Start: at(9, 0), End: at(10, 0), Activity: "walk", Trip: &world.Trip{Mode: "walk", From: home, To: office}},
			{Start: at(10, 0), End: at(17, 0), Activity: "work", Place: office},
			{Start: at(17, 0), End: at(17, 30), Activity: "walk", Trip: &world.Trip{Mode: "walk", From: office, To: park}},
			{Start: at(17, 30), End: at(19, 30), Activity: "park", Place: park},
			{Start: at(19, 30), End: at(20, 0), Activity: "walk", Trip: &world.Trip{Mode: "walk", From: park, To: home}},
			{Start: at(20, 0), End: at(23, 0), Activity: "home", Place: home},
			{Start: at(23, 0), End: at(24, 0), Activity: "sleep", Place: home},
		},
		Apps: []world.AppSession{
			{Start: at(7, 30), Duration: time.Minute, App: world.WristbandApp, Device: p.Phone},
			{Start: at(12, 30), Duration: time.Minute, App: world.WristbandApp, Device: p.Phone},
		},
		Workouts: []world.Workout{{Start: at(18, 0), End: at(19, 0), Sport: "running"}},
	}
}

func collect(t *testing.T, plans ...*world.Plan) []event.Event {
	t.Helper()
	evs, err := producers.Collect(wristband.New(), 1, &world.Day{Index: 1, Date: date, City: &world.City{}, Plans: plans})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func kinds(evs []event.Event, kind string) []event.Event {
	var out []event.Event
	for _, e := range evs {
		if e.Kind() == kind {
			out = append(out, e)
		}
	}
	return out
}

func TestNothingWithoutAWornWristband(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*world.Person)
		want  bool
	}{
		{"worn", func(*world.Person) {}, true},
		{"not worn", func(p *world.Person) { p.Privacy.WearsWristband = false }, false},
		{"no wristband", func(p *world.Person) { p.Wristband = nil }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := testPerson(world.Privacy{WearsWristband: true})
			tc.setup(p)
			if got := len(collect(t, activeDay(p))) > 0; got != tc.want {
				t.Errorf("events emitted: %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSyncs(t *testing.T) {
	p := testPerson(world.Privacy{WearsWristband: true})
	evs := collect(t, activeDay(p))
	syncs := kinds(evs, wristband.KindSync)
	if len(syncs) < 3 {
		t.Fatalf("%d syncs, want the two app openings, background syncs and one before bed", len(syncs))
	}
	for _, open := range []time.Time{at(7, 30), at(12, 30)} {
		if !slices.ContainsFunc(syncs, func(e event.Event) bool {
			return !e.Time.Before(open) && e.Time.Sub(open) < 30*time.Second
		}) {
			t.Errorf("no sync a few seconds after the app opened at %s", open.Format("15:04"))
		}
	}
	if !syncs[0].Time.After(at(7, 30)) {
		t.Errorf("first sync at %s, before the wearer first opened the app", syncs[0].Time)
	}
	last := syncs[len(syncs)-1].Time
	if !last.Before(at(23, 0)) || last.Before(at(22, 0)) {
		t.Errorf("last sync at %s, want shortly before bed at 23:00", last.In(world.Paris()))
	}
	for _, s := range syncs {
		d := s.Data.(wristband.Sync)
		want := []event.ID{{Kind: event.Wristband, Value: "WB-00000001"}, {Kind: event.ADID, Value: p.Phone.ADID}}
		if !slices.Equal(d.IDs, want) {
			t.Errorf("sync ids %v, want %v: the sync is what links the wristband to the phone", d.IDs, want)
		}
		n := 0
		for _, e := range evs {
			if e.Time.Equal(s.Time) && e.Kind() != wristband.KindSync {
				n++
			}
		}
		if d.Records != n {
			t.Errorf("sync at %s announces %d records, uploads %d", s.Time, d.Records, n)
		}
		if d.BatteryPct < 1 || d.BatteryPct > 100 {
			t.Errorf("battery %d%%", d.BatteryPct)
		}
	}
	// Hour buckets: each hour from midnight to the last sync, once, in order.
	acts := kinds(evs, wristband.KindActivity)
	for i, e := range acts {
		a := e.Data.(wristband.Activity)
		if want := date.Add(time.Duration(i) * time.Hour); !a.Start.Equal(want) || !a.End.Equal(want.Add(time.Hour)) {
			t.Errorf("bucket %d is %s–%s, want the hour from %s", i, a.Start, a.End, want)
		}
		if a.End.After(e.Time) {
			t.Errorf("bucket ending %s uploaded at %s, before it is over", a.End, e.Time)
		}
	}
	if want := last.Truncate(time.Hour).Sub(date) / time.Hour; len(acts) != int(want) {
		t.Errorf("%d hour buckets, want %d (midnight to the last sync)", len(acts), want)
	}
}

// TestBackgroundSyncs: on a day the wearer never opens the app, the app
// still syncs in the background, starting a while after waking.
func TestBackgroundSyncs(t *testing.T) {
	p := testPerson(world.Privacy{WearsWristband: true})
	plan := activeDay(p)
	plan.Apps = nil
	evs := collect(t, plan)
	syncs := kinds(evs, wristband.KindSync)
	if len(syncs) < 4 {
		t.Fatalf("%d syncs over a 16-hour day, want one every few hours", len(syncs))
	}
	if first := syncs[0].Time; first.Before(at(8, 0)) || !first.Before(at(9, 0)) {
		t.Errorf("first sync at %s, want one to two hours after waking at 07:00", first.In(world.Paris()))
	}
	for i := 1; i < len(syncs); i++ {
		if gap := syncs[i].Time.Sub(syncs[i-1].Time); gap > 3*time.Hour+30*time.Minute {
			t.Errorf("%s between syncs", gap)
		}
	}
	if sl := kinds(evs, wristband.KindSleep); len(sl) != 1 || !sl[0].Time.Equal(syncs[0].Time) {
		t.Errorf("sleep records %v, want one with the first sync", sl)
	}
}

// TestSleep: the night goes up with the first sync after waking, as the
// device scored it: close to the truth, not a copy of it (the error model
// is checked against published figures in TestSleepErrsLikeAConsumerDevice).
func TestSleep(t *testing.T) {
	p := testPerson(world.Privacy{WearsWristband: true})
	evs := collect(t, activeDay(p))
	sl := kinds(evs, wristband.KindSleep)
	if len(sl) != 1 {
		t.Fatalf("%d sleep records, want 1", len(sl))
	}
	if first := kinds(evs, wristband.KindSync)[0]; !sl[0].Time.Equal(first.Time) {
		t.Errorf("sleep uploaded at %s, want the first sync after waking, %s", sl[0].Time, first.Time)
	}
	s := sl[0].Data.(wristband.Sleep)
	// The device cannot see the wearer lie awake: it starts the record
	// somewhere in the 15 minutes of falling asleep, or soon after.
	if s.Bed.Before(lastNight.Bed) || s.Bed.After(lastNight.Phases[1].Start.Add(10*time.Minute)) {
		t.Errorf("bed %s, want between getting in bed %s and shortly after falling asleep %s",
			s.Bed, lastNight.Bed, lastNight.Phases[1].Start)
	}
	// Waking is seen when the wrist moves: before the app is opened at 07:30.
	if s.Wake.Before(lastNight.Wake.Add(-10*time.Minute)) || s.Wake.After(at(7, 10)) {
		t.Errorf("wake %s, want within minutes of the true %s", s.Wake, lastNight.Wake)
	}
	if s.DurationS != int(s.Wake.Sub(s.Bed).Seconds()) {
		t.Errorf("duration %d s, want wake − bed", s.DurationS)
	}
	if len(s.Phases) < 4 || !s.Phases[0].Start.Equal(s.Bed) || !s.Phases[len(s.Phases)-1].End.Equal(s.Wake) {
		t.Fatalf("phases %+v: want several, from bed to wake", s.Phases)
	}
	var sum wristband.PhaseTotals
	for i, ph := range s.Phases {
		if i > 0 && !ph.Start.Equal(s.Phases[i-1].End) {
			t.Errorf("phase %d starts %s, the previous ended %s", i, ph.Start, s.Phases[i-1].End)
		}
		n := int(ph.End.Sub(ph.Start).Seconds())
		switch ph.Phase {
		case "light":
			sum.Light += n
		case "deep":
			sum.Deep += n
		case "rem":
			sum.REM += n
		case "awake":
			sum.Awake += n
		default:
			t.Errorf("phase %d is %q", i, ph.Phase)
		}
	}
	if s.TotalsS != sum {
		t.Errorf("totals %+v, phases add up to %+v", s.TotalsS, sum)
	}
	if s.TotalsS.Deep == 0 || s.TotalsS.REM == 0 {
		t.Errorf("totals %+v: want deep and REM sleep", s.TotalsS)
	}
	truthDeep := 90 * time.Minute
	if d := time.Duration(s.TotalsS.Deep) * time.Second; d < truthDeep/3 || d > truthDeep*3/2 {
		t.Errorf("deep sleep %v, truth %v: want the device's usual underestimate, not another night", d, truthDeep)
	}
	if again := kinds(collect(t, activeDay(p)), wristband.KindSleep)[0].Data.(wristband.Sleep); !slices.EqualFunc(again.Phases, s.Phases, func(a, b wristband.Phase) bool { return a == b }) {
		t.Error("the same night scored twice gives two hypnograms: want the same (deterministic)")
	}
}

// TestActivityFollowsTheDay: steps, heart rate and calories come from what
// the person was doing.
func TestActivityFollowsTheDay(t *testing.T) {
	p := testPerson(world.Privacy{WearsWristband: true})
	evs := collect(t, activeDay(p))
	hour := map[int]wristband.Activity{}
	for _, e := range kinds(evs, wristband.KindActivity) {
		a := e.Data.(wristband.Activity)
		hour[int(a.Start.Sub(date)/time.Hour)] = a
	}
	asleep, walk, desk, run := hour[3], hour[9], hour[14], hour[18]
	tests := []struct {
		name           string
		a              wristband.Activity
		minStep, maxSt int
	}{
		{"asleep", asleep, 0, 0},
		{"walking", walk, 4000, 9000},
		{"at the desk", desk, 50, 500},
		{"running", run, 7000, 14000},
	}
	for _, tc := range tests {
		if tc.a.Steps < tc.minStep || tc.a.Steps > tc.maxSt {
			t.Errorf("%s: %d steps, want %d to %d", tc.name, tc.a.Steps, tc.minStep, tc.maxSt)
		}
		if tc.a.HeartRateAvgBPM < 40 || tc.a.HeartRateAvgBPM > 190 {
			t.Errorf("%s: heart rate %d bpm", tc.name, tc.a.HeartRateAvgBPM)
		}
	}
	if !(asleep.HeartRateAvgBPM < desk.HeartRateAvgBPM && desk.HeartRateAvgBPM < walk.HeartRateAvgBPM && walk.HeartRateAvgBPM < run.HeartRateAvgBPM) {
		t.Errorf("heart rates asleep %d, desk %d, walking %d, running %d: want increasing",
			asleep.HeartRateAvgBPM, desk.HeartRateAvgBPM, walk.HeartRateAvgBPM, run.HeartRateAvgBPM)
	}
	if !(asleep.CaloriesKcal < walk.CaloriesKcal && walk.CaloriesKcal < run.CaloriesKcal) || asleep.CaloriesKcal < 40 {
		t.Errorf("calories asleep %d, walking %d, running %d: want increasing, and a resting metabolism",
			asleep.CaloriesKcal, walk.CaloriesKcal, run.CaloriesKcal)
	}
}

func TestWorkout(t *testing.T) {
	p := testPerson(world.Privacy{WearsWristband: true})
	evs := collect(t, activeDay(p))
	wo := kinds(evs, wristband.KindWorkout)
	if len(wo) != 1 {
		t.Fatalf("%d workouts, want 1", len(wo))
	}
	w := wo[0].Data.(wristband.Workout)
	if w.Sport != "running" || !w.Start.Equal(at(18, 0)) || !w.End.Equal(at(19, 0)) || w.DurationS != 3600 {
		t.Errorf("workout %+v, want the 18:00–19:00 run", w)
	}
	if w.CaloriesKcal < 400 || w.CaloriesKcal > 1000 || w.HeartRateAvgBPM < 130 {
		t.Errorf("an hour's run: %d kcal at %d bpm", w.CaloriesKcal, w.HeartRateAvgBPM)
	}
	if wo[0].Time.Before(at(19, 0)) {
		t.Errorf("workout uploaded at %s, before it ended", wo[0].Time)
	}
}

// TestHeroMorningSync: the seed's narrator syncs her wristband in the
// morning, after the phone frenzy of waking up.
func TestHeroMorningSync(t *testing.T) {
	day := producertest.Day(t, 1)
	hero := day.Plan(world.HeroID).Person
	morning := day.Moment(world.MomentMorning)
	evs, err := producers.Collect(wristband.New(), 1, day)
	if err != nil {
		t.Fatal(err)
	}
	var sleepAt time.Time
	for _, e := range kinds(evs, wristband.KindSleep) {
		if e.Data.(wristband.Sleep).IDs[0].Value == hero.Wristband.Serial {
			sleepAt = e.Time
		}
	}
	if sleepAt.Before(morning.Start) || !sleepAt.Before(morning.End) {
		t.Errorf("the hero's sleep was uploaded at %s, want during the morning moment %s–%s",
			sleepAt, morning.Start, morning.End)
	}
	synced := false
	for _, e := range kinds(evs, wristband.KindSync) {
		ids := e.Data.(wristband.Sync).IDs
		synced = synced || (e.Time.Equal(sleepAt) && ids[0].Value == hero.Wristband.Serial && ids[1].Value == hero.Phone.ADID)
	}
	if !synced {
		t.Error("no sync linking the hero's wristband to her phone when her sleep was uploaded")
	}
}
