package promexport

import (
	"cmp"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"exhaust/aggregator"
	"exhaust/aggregator/facts"
)

// sample is one value of a per-person series, with its labels after person.
type sample struct {
	value  float64
	labels []string
}

// factMetric is a per-person series read from a profile's facts. A profile
// without the fact has no sample: "not known" is not "zero".
type factMetric struct {
	desc *prometheus.Desc
	read func(*aggregator.Profile) []sample
}

// valueOf returns the value of p's fact named name, if p has it and it has
// type T (or *T).
func valueOf[T any](p *aggregator.Profile, name string) (T, bool) {
	for _, f := range p.Facts {
		if f.Name != name {
			continue
		}
		switch v := f.Value.(type) {
		case T:
			return v, true
		case *T:
			if v != nil {
				return *v, true
			}
		}
	}
	var zero T
	return zero, false
}

// one reads a single unlabelled number from fact name.
func one[T any](name string, get func(T) float64) func(*aggregator.Profile) []sample {
	return func(p *aggregator.Profile) []sample {
		v, ok := valueOf[T](p, name)
		if !ok {
			return nil
		}
		return []sample{{value: get(v)}}
	}
}

// labelled reads a set of numbers keyed by one label value from fact name.
// Equal keys are summed and empty keys dropped, so a scrape never holds two
// series with the same labels; samples are sorted by key.
func labelled[T any](name string, each func(T, func(key string, v float64))) func(*aggregator.Profile) []sample {
	return func(p *aggregator.Profile) []sample {
		v, ok := valueOf[T](p, name)
		if !ok {
			return nil
		}
		sums := map[string]float64{}
		each(v, func(key string, x float64) {
			if key != "" {
				sums[key] += x
			}
		})
		out := make([]sample, 0, len(sums))
		for k, x := range sums {
			out = append(out, sample{value: x, labels: []string{k}})
		}
		slices.SortFunc(out, func(a, b sample) int { return cmp.Compare(a.labels[0], b.labels[0]) })
		return out
	}
}

// area reads one coordinate of the home and work areas.
func area(get func(facts.AreaValue) float64) func(*aggregator.Profile) []sample {
	return func(p *aggregator.Profile) []sample {
		var out []sample
		for _, name := range []string{facts.FactHome, facts.FactWork} {
			if v, ok := valueOf[facts.AreaValue](p, name); ok {
				out = append(out, sample{value: get(v), labels: []string{name}})
			}
		}
		return out
	}
}

func counts(cs []facts.Count, add func(string, float64)) {
	for _, c := range cs {
		add(c.Name, float64(c.Count))
	}
}

// factMetrics lists the per-person series read from fact values: what a
// "Person" dashboard shows of one profile. d builds a descriptor whose first
// label is person. Every unit is a base unit (seconds, meters, euros).
func factMetrics(d func(name, help string, labels ...string) *prometheus.Desc) []factMetric {
	return []factMetric{
		{d("exhaust_profile_area_latitude_degrees", "Latitude of the centre of a profile's home or work area, located from cell towers, Wi-Fi and GPS.", "area"),
			area(func(v facts.AreaValue) float64 { return v.Lat })},
		{d("exhaust_profile_area_longitude_degrees", "Longitude of the centre of a profile's home or work area.", "area"),
			area(func(v facts.AreaValue) float64 { return v.Lon })},
		{d("exhaust_profile_area_radius_meters", "Uncertainty radius of a profile's home or work area.", "area"),
			area(func(v facts.AreaValue) float64 { return float64(v.RadiusM) })},

		{d("exhaust_profile_sleep_seconds", "Duration of a profile's last night of sleep, from the wristband."),
			one(facts.FactSleep, func(v facts.SleepValue) float64 { return float64(v.LastDurationS) })},
		{d("exhaust_profile_sleep_average_seconds", "Average duration of a profile's nights of sleep."),
			one(facts.FactSleep, func(v facts.SleepValue) float64 { return float64(v.AvgDurationS) })},
		{d("exhaust_profile_sleep_phase_seconds", "Time spent in each sleep phase during a profile's last night.", "phase"),
			labelled(facts.FactSleep, func(v facts.SleepValue, add func(string, float64)) {
				for phase, s := range v.LastPhasesS {
					add(phase, float64(s))
				}
			})},
		{d("exhaust_profile_wake_to_phone_seconds", "Delay between waking up (wristband) and the first phone app session, last morning."),
			one(facts.FactWakeToPhone, func(v facts.WakeToPhoneValue) float64 { return float64(v.LastDelayS) })},

		{d("exhaust_profile_daily_steps", "Average steps per day of a profile, from the wristband."),
			one(facts.FactActivity, func(v facts.ActivityValue) float64 { return float64(v.StepsPerDay) })},
		{d("exhaust_profile_last_day_steps", "Steps of a profile on the last day observed."),
			one(facts.FactActivity, func(v facts.ActivityValue) float64 { return float64(v.LastDaySteps) })},
		{d("exhaust_profile_workout_seconds", "Time a profile spent on workouts, by sport.", "sport"),
			labelled(facts.FactActivity, func(v facts.ActivityValue, add func(string, float64)) {
				for _, w := range v.Workouts {
					add(w.Sport, float64(w.Minutes*60))
				}
			})},

		{d("exhaust_profile_trips", "Metro trips of a profile (transit gate taps in and out)."),
			one(facts.FactTrips, func(v facts.TripsValue) float64 { return float64(v.Trips) })},
		{d("exhaust_profile_station_taps", "Transit gate taps of a profile, by station.", "station"),
			labelled(facts.FactTrips, func(v facts.TripsValue, add func(string, float64)) { counts(v.Stations, add) })},
		{d("exhaust_profile_places", "Distinct places where a profile was seen (Wi-Fi, payments, stations)."),
			one(facts.FactPlaces, func(v facts.PlacesValue) float64 { return float64(len(v.Places)) })},

		{d("exhaust_profile_spending_euros", "Card payments of a profile, by merchant category: the bank's view.", "category"),
			labelled(facts.FactSpending, func(v facts.SpendingValue, add func(string, float64)) {
				for _, c := range v.ByCategory {
					add(c.Category, float64(c.Cents)/100)
				}
			})},
		{d("exhaust_profile_loyalty_spending_euros", "Loyalty baskets of a profile, by shop chain: the shops' view.", "chain"),
			labelled(facts.FactShopping, func(v facts.ShoppingValue, add func(string, float64)) {
				for _, c := range v.Chains {
					add(c.Chain, float64(c.Cents)/100)
				}
			})},
		{d("exhaust_profile_books", "Books in a profile's loyalty baskets, by genre.", "genre"),
			labelled(facts.FactInterests, func(v facts.InterestsValue, add func(string, float64)) { counts(v.BookGenres, add) })},
		{d("exhaust_profile_searches", "Web searches of a profile, by topic.", "topic"),
			labelled(facts.FactInterests, func(v facts.InterestsValue, add func(string, float64)) { counts(v.SearchTopics, add) })},

		{d("exhaust_profile_cafe_visits", "Café visits of a profile (loyalty baskets and card payments at cafés)."),
			one(facts.FactCafe, func(v facts.CafeValue) float64 { return float64(v.Visits) })},
		{d("exhaust_profile_cafe_own_cup_ratio", "Share of a profile's itemised café visits with their own cup."),
			one(facts.FactCafe, func(v facts.CafeValue) float64 { return v.OwnCupShare })},
		{d("exhaust_profile_app_seconds", "Time a profile spent in each app, all devices together.", "app"),
			labelled(facts.FactApps, func(v facts.AppsValue, add func(string, float64)) {
				for _, a := range v.Apps {
					add(a.App, float64(a.Seconds))
				}
			})},
		{d("exhaust_profile_devices", "Devices linked to a profile, by kind of device.", "device"),
			labelled(facts.FactDevices, func(v facts.DevicesValue, add func(string, float64)) {
				add("phone", float64(v.Phones))
				add("tablet", float64(v.Tablets))
				add("wristband", float64(v.Wristbands))
				add("wifi", float64(v.WiFi))
			})},
		{d("exhaust_profile_contacts", "Distinct correspondents of a profile's calls and text messages (hashed by the operator)."),
			one(facts.FactContacts, func(v facts.ContactsValue) float64 { return float64(len(v.Contacts)) })},
		{d("exhaust_profile_declared_fact_events", "Events behind each value of the facts producers declare of their own (meaning.Attribute), by fact and value.", "fact", "value"),
			declared},
	}
}

// declared reads the facts producers declare (meaning.Attribute): any fact
// whose value is a facts.AttributeValue, so a new producer's facts are
// exported with no code here.
func declared(p *aggregator.Profile) []sample {
	var out []sample
	seen := map[string]bool{}
	for _, f := range p.Facts {
		v, ok := f.Value.(facts.AttributeValue)
		if !ok || seen[f.Name] {
			continue // a name twice would repeat its series
		}
		seen[f.Name] = true
		for _, c := range v.Values {
			out = append(out, sample{value: float64(c.Count), labels: []string{f.Name, c.Name}})
		}
	}
	return out
}
