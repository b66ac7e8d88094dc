package wristband

import (
	"embed"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"exhaust/event"
	"exhaust/meaning"
	"exhaust/producers"
	"exhaust/world"
)

// Name is the producer's name: subjects are exhaust.wristband.<kind>.
const Name = "wristband"

// The wristband vendor's event kinds.
const (
	KindSync     = "sync"
	KindSleep    = "sleep"
	KindActivity = "activity"
	KindWorkout  = "workout"
)

// Sync is the data of a wristband.sync event: the wristband uploaded its
// records through the phone's companion app.
type Sync struct {
	event.Common
	Records    int `json:"records"`
	BatteryPct int `json:"battery_pct"`
}

// Phase is one phase of a night's sleep.
type Phase struct {
	Phase string    `json:"phase"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// PhaseTotals are the seconds spent in each sleep phase.
type PhaseTotals struct {
	FallingAsleep int `json:"falling_asleep"`
	Light         int `json:"light"`
	Deep          int `json:"deep"`
	REM           int `json:"rem"`
	Awake         int `json:"awake"`
}

// Sleep is the data of a wristband.sleep event: last night, as the
// wristband measured it.
type Sleep struct {
	event.Common
	Bed       time.Time   `json:"bed"`
	Wake      time.Time   `json:"wake"`
	DurationS int         `json:"duration_s"`
	Phases    []Phase     `json:"phases"`
	TotalsS   PhaseTotals `json:"totals_s"`
}

// Activity is the data of a wristband.activity event: one hour of steps,
// heart rate and energy.
type Activity struct {
	event.Common
	Start           time.Time `json:"start"`
	End             time.Time `json:"end"`
	Steps           int       `json:"steps"`
	HeartRateAvgBPM int       `json:"heart_rate_avg_bpm"`
	CaloriesKcal    int       `json:"calories_kcal"`
}

// Workout is the data of a wristband.workout event: a sport session.
type Workout struct {
	event.Common
	Sport           string    `json:"sport"`
	Start           time.Time `json:"start"`
	End             time.Time `json:"end"`
	DurationS       int       `json:"duration_s"`
	CaloriesKcal    int       `json:"calories_kcal"`
	HeartRateAvgBPM int       `json:"heart_rate_avg_bpm"`
}

//go:embed schemas/*.json
var schemas embed.FS

func schema(kind string) []byte { return producers.SchemaFS(schemas, kind) }

// Wristband is the fitness wristband's vendor cloud.
type Wristband struct{}

var _ producers.Producer = (*Wristband)(nil)

func init() { producers.Register(New()) }

// New returns the wristband producer.
func New() *Wristband { return &Wristband{} }

// Spec describes the wristband producer.
func (*Wristband) Spec() producers.Spec {
	return producers.Spec{
		Name:    Name,
		Summary: "The fitness wristband's vendor: sleep, steps, heart rate and workouts, uploaded through the phone's app.",
		Kinds: []producers.KindSpec{
			{Name: KindSync, Summary: "The wristband synced through the phone's companion app.",
				Reveals: "Links the wristband to the phone's advertising id; when the wearer picks up the phone.",
				IDKinds: []event.IDKind{event.Wristband, event.ADID}, Schema: schema(KindSync),
				Means: []meaning.Meaning{meaning.Sync{Of: event.Wristband}}},
			{Name: KindSleep, Summary: "Last night as the device scored it: when sleep began and ended, and its phases.",
				Reveals: "Sleep habits and quality, within a consumer device's error: bed and wake times within minutes, phases roughly.",
				IDKinds: []event.IDKind{event.Wristband}, Schema: schema(KindSleep),
				Means: []meaning.Meaning{meaning.Sleep{Of: event.Wristband, Bed: "bed", Wake: "wake", Duration: "duration_s", Totals: "totals_s"}}},
			{Name: KindActivity, Summary: "One hour of steps, average heart rate and calories.",
				Reveals: "The shape of the day: when the wearer walks, sits, sleeps; fitness from the heart rate.",
				IDKinds: []event.IDKind{event.Wristband}, Schema: schema(KindActivity),
				Means: []meaning.Meaning{meaning.Activity{Of: event.Wristband, Start: "start", Steps: "steps", Calories: "calories_kcal", HeartRate: "heart_rate_avg_bpm"}}},
			{Name: KindWorkout, Summary: "A sport session, with its length, calories and heart rate.",
				Reveals: "Sport habits and fitness.",
				IDKinds: []event.IDKind{event.Wristband}, Schema: schema(KindWorkout),
				Means: []meaning.Meaning{meaning.Workout{Of: event.Wristband, Sport: "sport", Duration: "duration_s", Calories: "calories_kcal"}}},
		},
		Privacy: []producers.PrivacyRule{
			{Setting: "wristband not worn", Apply: func(p *world.Privacy) { p.WearsWristband = false },
				Suppresses: []string{KindSync, KindSleep, KindActivity, KindWorkout}},
		},
	}
}

// Sync timing. Syncs happen when the wearer opens the app (the world's
// sessions of world.WristbandApp); in between, the app syncs in the
// background every few hours while the phone is on, and a last time before
// bed.
const (
	backgroundMin = 150 * time.Minute
	backgroundMax = 210 * time.Minute
	// firstMin/firstMax delay the first background sync after waking on
	// days the wearer never opens the app.
	firstMin = 60 * time.Minute
	firstMax = 120 * time.Minute
	// minGap keeps syncs apart: a sync right after another has nothing new.
	minGap = 20 * time.Minute
)

// Observe emits what the vendor's cloud received during day.
func (*Wristband) Observe(day *world.Day, rng *rand.Rand, emit producers.Emitter) error {
	for _, plan := range day.Plans {
		// Each person gets a generator of their own, drawn in population
		// order, so changing one person's settings, or a visitor's stay,
		// leaves the others' events untouched.
		prng := rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
		p := plan.Person
		if !p.InCity(day.Index) || p.Wristband == nil || !p.Privacy.WearsWristband || p.Phone == nil {
			continue
		}
		observe(prng, day, plan, emit)
	}
	return nil
}

// interval is a stretch of time [start, end).
type interval struct{ start, end time.Time }

// window returns the stretch of time a plan covers.
func window(day *world.Day, plan *world.Plan) interval {
	if n := len(plan.Segments); n > 0 {
		return interval{plan.Segments[0].Start, plan.Segments[n-1].End}
	}
	return interval{day.Date, day.Date.AddDate(0, 0, 1)}
}

// syncTimes returns when the wristband synced during plan's day, in order.
func syncTimes(rng *rand.Rand, plan *world.Plan, w interval) []time.Time {
	p := plan.Person
	phoneOn := func(t time.Time) bool { return !p.Privacy.PhoneOffAtNight || plan.Awake(t) }
	var out []time.Time
	for _, s := range plan.Apps {
		if s.App != world.WristbandApp || (s.Device != nil && s.Device != p.Phone) || !phoneOn(s.Start) {
			continue
		}
		// The upload starts a few seconds after the app opens.
		out = append(out, s.Start.Add(time.Duration(3+rng.IntN(15))*time.Second))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })

	wake, bed, ok := awakeSpan(plan, w)
	if !ok {
		return out
	}
	// The last sync, before bed (or before midnight for night owls).
	last := bed.Add(-randDur(rng, 10*time.Minute, 30*time.Minute))
	// Background syncs follow the first opening of the app; on days it
	// stays closed, they start a while after waking.
	start := wake.Add(randDur(rng, firstMin, firstMax))
	if len(out) > 0 {
		start = out[0]
	} else if start.Before(last) && plan.Awake(start) {
		out = append(out, start)
	}
	for t := start.Add(randDur(rng, backgroundMin, backgroundMax)); t.Before(last.Add(-minGap)); t = t.Add(randDur(rng, backgroundMin, backgroundMax)) {
		if plan.Awake(t) {
			out = append(out, t)
		}
	}
	if last.After(wake) && plan.Awake(last) {
		out = append(out, last)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	// Drop syncs too close to the previous one: nothing new to upload.
	kept := out[:0]
	for _, t := range out {
		if t.Before(w.start) || !t.Before(w.end) {
			continue
		}
		if n := len(kept); n > 0 && t.Sub(kept[n-1]) < minGap {
			continue
		}
		kept = append(kept, t)
	}
	return kept
}

// awakeSpan returns when the wearer got up (the end of last night's sleep)
// and went to bed (the start of tonight's sleep, or the end of the day for
// night owls). Night owls' minutes before last night's sleep, after
// midnight, belong to the previous day's syncs.
func awakeSpan(plan *world.Plan, w interval) (wake, bed time.Time, ok bool) {
	wake, bed = w.start, w.end
	if plan.Sleep != nil && plan.Sleep.Wake.After(wake) {
		wake = plan.Sleep.Wake
	}
	for _, s := range plan.Segments {
		if s.Activity == "sleep" && s.Start.After(wake) {
			bed = s.Start
			break
		}
	}
	return wake, bed, bed.After(wake)
}

// observe emits one wearer's syncs and the records each uploads.
func observe(rng *rand.Rand, day *world.Day, plan *world.Plan, emit producers.Emitter) {
	p := plan.Person
	w := window(day, plan)
	b := bodyOf(p.Wristband.Serial)
	band := []event.ID{{Kind: event.Wristband, Value: p.Wristband.Serial}}
	cutoff := w.start // records before it were uploaded already
	night, ok := nightRecord(rng, plan, band)
	sleepSent := !ok
	sentWorkout := make([]bool, len(plan.Workouts))
	for _, t := range syncTimes(rng, plan, w) {
		t = t.Truncate(time.Second)
		type record struct {
			kind string
			data any
		}
		var records []record
		if !sleepSent && !night.Wake.After(t) {
			sleepSent = true
			records = append(records, record{KindSleep, night})
		}
		for h := cutoff; !h.Add(time.Hour).After(t); h = h.Add(time.Hour) {
			records = append(records, record{KindActivity, b.activity(rng, plan, h, band)})
			cutoff = h.Add(time.Hour)
		}
		for i := range plan.Workouts {
			wo := &plan.Workouts[i]
			if sentWorkout[i] || wo.End.After(t) {
				continue
			}
			sentWorkout[i] = true
			records = append(records, record{KindWorkout, b.workout(rng, plan, wo, band)})
		}
		emit.Emit(KindSync, t, Sync{
			Common: event.Common{IDs: []event.ID{
				{Kind: event.Wristband, Value: p.Wristband.Serial},
				{Kind: event.ADID, Value: p.Phone.ADID},
			}},
			Records:    len(records),
			BatteryPct: battery(p.Wristband.Serial, plan.Day, t.Sub(w.start), w.end.Sub(w.start)),
		})
		for _, r := range records {
			emit.Emit(r.kind, t, r.data)
		}
	}
}

// activity is the hour bucket starting at h.
func (b body) activity(rng *rand.Rand, plan *world.Plan, h time.Time, ids []event.ID) Activity {
	var steps, hr, kcal float64
	for m := range 60 {
		s, r, k := b.minute(plan, h.Add(time.Duration(m)*time.Minute))
		steps, hr, kcal = steps+s, hr+r, kcal+k
	}
	// Counters are imprecise: a swinging arm is a step, a bumpy bus ride too.
	steps *= math.Max(0, 1+0.12*rng.NormFloat64())
	hr = hr/60 + 1.5*rng.NormFloat64()
	kcal *= 1 + 0.05*rng.NormFloat64()
	return Activity{
		Common:          event.Common{IDs: ids},
		Start:           h.UTC(),
		End:             h.Add(time.Hour).UTC(),
		Steps:           int(math.Round(steps)),
		HeartRateAvgBPM: int(math.Round(hr)),
		CaloriesKcal:    int(math.Round(kcal)),
	}
}

// workout is the wristband's record of a sport session.
func (b body) workout(rng *rand.Rand, plan *world.Plan, w *world.Workout, ids []event.ID) Workout {
	var hr, kcal float64
	n := 0
	for t := w.Start; t.Before(w.End); t = t.Add(time.Minute) {
		_, r, k := b.minute(plan, t)
		hr, kcal, n = hr+r, kcal+k, n+1
	}
	if n > 0 {
		hr /= float64(n)
	}
	return Workout{
		Common:          event.Common{IDs: ids},
		Sport:           w.Sport,
		Start:           w.Start.UTC(),
		End:             w.End.UTC(),
		DurationS:       secs(w.End.Sub(w.Start)),
		CaloriesKcal:    int(math.Round(kcal * (1 + 0.05*rng.NormFloat64()))),
		HeartRateAvgBPM: int(math.Round(hr + 3*rng.NormFloat64())),
	}
}

// battery is the wristband's charge: it lasts about nine days and its wearer
// charges it when it runs low, on a day that depends on the serial.
func battery(serial string, day int, into, length time.Duration) int {
	const cycle = 9
	h := fnv.New32a()
	h.Write([]byte(serial))
	k := (uint32(day) + h.Sum32()%cycle) % cycle
	used := (float64(k) + float64(into)/float64(length)) / cycle
	return int(math.Max(1, math.Round(100*(1-used))))
}

func secs(d time.Duration) int { return int(d.Round(time.Second) / time.Second) }

// randDur returns a uniform duration in [lo, hi), to the second.
func randDur(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(rng.Int64N(int64((hi-lo)/time.Second)))*time.Second
}
