package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"exhaust/event"
	"exhaust/meaning"
	"exhaust/producers"
	"exhaust/world"
)

// A seventh producer that exists only in this test, written as the guide
// (docs/adding-a-producer.md) says: parking cameras that read number
// plates. Its package gives people cars through a world extension,
// declares the plate identifier kind, and says what its events mean. The
// exhaust command, run with it registered, must link the plates to their
// owners and give the cars' facts in the API and in /metrics: with no
// aggregator code.

// parkingEnv registers the parking producer in a child exhaust process.
// It stays out of this test binary's own registry, which the other tests
// read.
const parkingEnv = "GO_EXHAUST_TEST_PARKING"

func init() {
	if os.Getenv(parkingEnv) == "1" {
		producers.Register(parkingCameras{})
	}
}

// testCar is what the extension gives a car owner.
type testCar struct {
	Plate, Make, Colour string
}

// testCars gives two people in five a car. A world extension changes
// nothing else in the world, so registering it in every test binary is
// harmless; the test reads it to know whose car is whose.
var testCars = world.Extend(world.Extension[*testCar]{
	Name: "testcar",
	Person: func(p *world.Person, d *world.Draw) *testCar {
		if d.Rand.Float64() >= 0.4 {
			return nil
		}
		// French plates, AB-123-CD: unique in the city, as the
		// extension's Unique draws them.
		n := d.Unique("plate", 26*26*26*26*1000)
		l := func(i uint64) byte { return byte('A' + i%26) }
		makes := []string{"Renault", "Peugeot", "Citroën", "Toyota"}
		colours := []string{"grey", "white", "black", "blue"}
		return &testCar{
			Plate:  fmt.Sprintf("%c%c-%03d-%c%c", l(n/1000), l(n/26000), n%1000, l(n/676000), l(n/17576000)),
			Make:   makes[d.Rand.IntN(len(makes))],
			Colour: colours[d.Rand.IntN(len(colours))],
		}
	},
	Identifiers: func(c *testCar) []event.ID {
		if c == nil {
			return nil
		}
		return []event.ID{{Kind: "plate", Value: c.Plate}}
	},
})

const parkingSchemaTmpl = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "urn:exhaust:schema:parking.%s:v1",
  "title": "parking.%s",
  "description": "A car park's camera or pay machine.",
  "type": "object",
  "additionalProperties": false,
  "required": ["ids", "where", "make", "colour"%s],
  "properties": {
    "ids": {"description": "The plate read, and the card that paid.", "type": "array", "minItems": 1, "items": {
      "type": "object", "additionalProperties": false, "required": ["kind", "value"],
      "properties": {
        "kind": {"description": "Identifier kind.", "enum": [%s]},
        "value": {"description": "The identifier.", "type": "string"}}}},
    "where": {"description": "The car park.", "type": "object", "additionalProperties": false,
      "required": ["lat", "lon"],
      "properties": {
        "place": {"description": "Place id.", "type": "string"},
        "lat": {"description": "Latitude.", "type": "number"},
        "lon": {"description": "Longitude.", "type": "number"},
        "accuracy_m": {"description": "Accuracy.", "type": "number"}}},
    "make": {"description": "The car's make, as the camera's recognition reads it.", "type": "string"},
    "colour": {"description": "The car's colour.", "type": "string"}%s
  }
}`

type parkingCameras struct{}

var _ producers.Producer = parkingCameras{}

func (parkingCameras) Spec() producers.Spec {
	plate := event.IDKind("plate")
	return producers.Spec{
		Name:    "parking",
		Summary: "Car park cameras that read number plates, and the pay machines at the exits.",
		NewIDKinds: []producers.IDKindSpec{{Kind: plate, Exclusive: true,
			Summary: "Car number plate: cameras at car parks and tolls read it."}},
		Kinds: []producers.KindSpec{{
			Name: "entry", Summary: "A camera read a car's plate at a car park's entrance.",
			Reveals: "Where a car, and so its owner, goes and when.",
			IDKinds: []event.IDKind{plate},
			Schema:  []byte(fmt.Sprintf(parkingSchemaTmpl, "entry", "entry", "", `"plate"`, "")),
			Means: []meaning.Meaning{
				meaning.Presence{Of: plate, How: meaning.Sighted, By: "car park cameras"},
				meaning.Attribute{Of: plate, Fact: "vehicle", Fields: []string{"make", "colour"}, Say: "The car park cameras read a %s car"},
			},
		}, {
			Name: "exit", Summary: "A car left a car park after its stay was paid by card at the machine.",
			Reveals: "Whose card pays for the car: the plate gets a name.",
			IDKinds: []event.IDKind{plate, event.Card},
			Schema: []byte(fmt.Sprintf(parkingSchemaTmpl, "exit", "exit", `, "fee_cents"`, `"plate", "card"`,
				`,
    "fee_cents": {"description": "The fee paid, in cents.", "type": "integer", "minimum": 0}`)),
			Means: []meaning.Meaning{
				meaning.Payment{Of: event.Card, Amount: "fee_cents"},
				meaning.Attribute{Of: plate, Fact: "vehicle", Fields: []string{"make", "colour"}, Say: "The car park cameras read a %s car"},
			},
		}},
	}
}

type parkingData struct {
	event.Common
	Make     string `json:"make"`
	Colour   string `json:"colour"`
	FeeCents *int   `json:"fee_cents,omitempty"`
}

// Observe: a car owner who spends half an hour or more somewhere other than
// at home drove there (seven times in ten): the entrance camera reads the
// plate, and at the exit the card pays.
func (parkingCameras) Observe(day *world.Day, rng *rand.Rand, emit producers.Emitter) error {
	for _, pl := range day.Present() {
		// A generator per person, drawn in population order: the parts of
		// a large city observe the same.
		prng := rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
		c := testCars.Of(pl.Person)
		if c == nil {
			continue
		}
		for _, s := range pl.Segments {
			if s.Place == nil || s.End.Sub(s.Start) < 30*time.Minute || s.Place.Kind == world.KindHome ||
				s.Place.Kind == world.KindStation || prng.Float64() >= 0.7 {
				continue
			}
			where := &event.Where{Place: s.Place.ID, Lat: s.Place.Point.Lat, Lon: s.Place.Point.Lon, AccuracyM: 30}
			plate := event.ID{Kind: "plate", Value: c.Plate}
			emit.Emit("entry", s.Start, parkingData{Common: event.Common{IDs: []event.ID{plate}, Where: where}, Make: c.Make, Colour: c.Colour})
			if tok := pl.Person.CardToken; tok != "" {
				fee := 150 * int(s.End.Sub(s.Start)/time.Hour)
				emit.Emit("exit", s.End.Add(-2*time.Minute), parkingData{
					Common: event.Common{IDs: []event.ID{plate, {Kind: event.Card, Value: tok}}, Where: where},
					Make:   c.Make, Colour: c.Colour, FeeCents: &fee})
			}
		}
	}
	return nil
}

// TestNewProducerEndToEnd runs the exhaust command with the parking
// producer registered (a child process of this test binary), the
// classroom demo on an embedded NATS, and checks what the seventh
// producer's owner was promised: its subject carries events, the plates
// are linked to their owners' cards, and each car's owner has its vehicle
// fact in the API and in /metrics.
func TestNewProducerEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run of a child exhaust process")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	const persons = 30
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "demo", "--nats-listen", "127.0.0.1:0", "--http", "127.0.0.1:0",
		"--persons", fmt.Sprint(persons), "--days", "2", "--fast", "--status-every", "1s",
		"--producers", "card,parking")
	cmd.Env = append(os.Environ(), asMainEnv+"=1", parkingEnv+"=1")
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 20 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	var copied sync.WaitGroup
	copied.Go(func() { _, _ = io.Copy(&out, bufio.NewReader(stdout)) })
	defer func() {
		cancel()
		copied.Wait()
		if err := cmd.Wait(); err != nil && ctx.Err() == nil {
			t.Errorf("exhaust demo: %v; stderr:\n%s", err, stderr.String())
		}
	}()

	httpRE := regexp.MustCompile(`Open +http://(\S+)/`)
	waitFor(t, 60*time.Second, "the demo to print its address", func() bool { return httpRE.MatchString(out.String()) })
	base := "http://" + httpRE.FindStringSubmatch(out.String())[1]

	// Whose car is whose: the world, drawn again with the same seed (the
	// ground truth is the test's to read, never the aggregator's).
	w, err := world.New(world.Config{Seed: 1, Persons: persons})
	if err != nil {
		t.Fatal(err)
	}
	carOf := map[string]*testCar{}
	for _, p := range w.People {
		if c := testCars.Of(p); c != nil && p.CardToken != "" {
			carOf[p.ID] = c
		}
	}
	if len(carOf) == 0 {
		t.Fatal("nobody with a car and a card in the city: the test proves nothing")
	}

	type fact struct {
		Name  string `json:"name"`
		Value struct {
			Value string `json:"value"`
		} `json:"value"`
	}
	type profile struct {
		ID          string `json:"id"`
		Truth       string `json:"truth"`
		Identifiers []struct {
			Kind  string `json:"kind"`
			Value string `json:"value"`
		} `json:"identifiers"`
		Facts []fact `json:"facts"`
	}
	var found []profile
	waitFor(t, 120*time.Second, "profiles with a plate, a card and a vehicle fact", func() bool {
		var list struct {
			Profiles []struct {
				ID string `json:"id"`
			} `json:"profiles"`
		}
		if getJSON(base+"/api/profiles?per_page=500", &list) != http.StatusOK {
			return false
		}
		found = found[:0]
		for _, s := range list.Profiles {
			var p profile
			if getJSON(base+"/api/profiles/"+s.ID, &p) != http.StatusOK {
				continue
			}
			var plate, card bool
			for _, id := range p.Identifiers {
				plate = plate || id.Kind == "plate"
				card = card || id.Kind == string(event.Card)
			}
			if plate && card && slices.ContainsFunc(p.Facts, func(f fact) bool { return f.Name == "vehicle" }) {
				found = append(found, p)
			}
		}
		return len(found) >= len(carOf)/2
	})
	for _, p := range found {
		want := carOf[p.Truth]
		if want == nil {
			t.Errorf("profile %s (truth %q) has a vehicle, but the truth gives that person none", p.ID, p.Truth)
			continue
		}
		i := slices.IndexFunc(p.Facts, func(f fact) bool { return f.Name == "vehicle" })
		if got := p.Facts[i].Value.Value; got != want.Make+" "+want.Colour {
			t.Errorf("profile %s (%s): vehicle %q, the truth says %q", p.ID, p.Truth, got, want.Make+" "+want.Colour)
		}
		if !slices.ContainsFunc(p.Identifiers, func(id struct {
			Kind  string `json:"kind"`
			Value string `json:"value"`
		}) bool {
			return id.Kind == "plate" && id.Value == want.Plate
		}) {
			t.Errorf("profile %s (%s) lacks its owner's plate %s", p.ID, p.Truth, want.Plate)
		}
	}

	// The page: its live stream shows the beast's facts about a car owner,
	// the vehicle among them.
	if len(found) > 0 {
		owner := found[0].Truth
		lctx, lcancel := context.WithTimeout(ctx, 30*time.Second)
		req, err := http.NewRequestWithContext(lctx, http.MethodGet, base+"/live?person="+owner, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		var event string
		shown := false
		for !shown && sc.Scan() {
			line := sc.Text()
			if name, ok := strings.CutPrefix(line, "event: "); ok {
				event = name
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok && event == "beast" {
				shown = strings.Contains(data, `"name":"vehicle"`)
			}
		}
		resp.Body.Close()
		lcancel()
		if !shown {
			t.Errorf("the page's live stream for %s never showed the vehicle fact", owner)
		}
	}

	// /metrics, as Prometheus scrapes it: the declared fact of a profile.
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	metrics := string(body)
	for _, name := range []string{
		`exhaust_profile_declared_fact_events{fact="vehicle",`,
		`exhaust_profile_fact_confidence{fact="vehicle",`,
		`exhaust_events_consumed_total{producer="parking",type="parking.entry"}`,
		`exhaust_profile_identifiers{kind="plate",`,
	} {
		if !strings.Contains(metrics, name) {
			t.Errorf("/metrics has no %s…", name)
		}
	}
}
