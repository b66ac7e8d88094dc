package facts

import (
	"encoding/json"
	"testing"
	"time"

	"exhaust/aggregator/obs"
	"exhaust/event"
	"exhaust/meaning"
)

// tap is a gate event of pass at station, placed at where (nil: a sensor
// that does not say where its gates are).
func tap(t *testing.T, pass, station string, where *event.Where) *obs.Record {
	t.Helper()
	data := map[string]any{"ids": []event.ID{{Kind: event.Pass, Value: pass}}, "station": station, "station_name": "Station " + station, "line": "1", "direction": "in"}
	if where != nil {
		data["where"] = where
	}
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	r, err := obs.Decode(&event.Event{ID: "t-" + pass + station, Type: "test.tap", Time: time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC), Data: json.RawMessage(raw)})
	if err != nil {
		t.Fatal(err)
	}
	r.Means = []meaning.Meaning{meaning.Gate{Of: event.Pass, Station: "station", StationName: "station_name", Line: "line", Direction: "direction", Entering: "in"}}
	return r
}

// A station's position can give a home to a pass that is in no event when
// it is learned, if a gate named the station before any event placed it:
// the version must change then, and only then.
func TestVersionOnAStationPlacedLate(t *testing.T) {
	at := func(place string) *event.Where {
		return &event.Where{Lat: 48.86, Lon: 2.35, AccuracyM: 10, Place: place}
	}
	s := New()
	s.Observe(tap(t, "P1", "station:a", at("station:a")))
	v := s.Version()
	s.Observe(tap(t, "P2", "station:b", at("station:b")))
	s.learnPlace("shop:1", at("shop:1"))
	s.nameOf("shop:1", "A shop", false)
	if s.Version() != v {
		t.Error("a station placed by the gate that names it, or a place learned, changed the version")
	}
	s.Observe(tap(t, "P3", "station:c", nil))
	if !s.unplaced[s.intern("station:c")] {
		t.Fatal("a gate naming a station it does not place left no mark")
	}
	v = s.Version()
	s.Observe(tap(t, "P4", "station:c", at("station:c")))
	if s.Version() == v {
		t.Error("a station placed after a gate named it left the version as it was")
	}
	if len(s.unplaced) != 0 || s.placedLate != 1 {
		t.Errorf("unplaced %v, placed late %d; want none, 1", s.unplaced, s.placedLate)
	}
}
