package facts

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// filledStore returns a store whose every field, down to each accumulator's,
// holds a value other than zero (random, drawn from seed), within what Load
// accepts: a field Save forgot would come back zero.
func filledStore(seed uint64) *Store {
	rnd := rand.New(rand.NewPCG(seed, 5))
	s := New()
	for i := range maxTypes { // every type bit is then valid
		s.typeBit(fmt.Sprintf("type.%d", i))
	}
	for i := range 8 {
		s.intern(fmt.Sprintf("s%d", i))
	}
	fill(reflect.ValueOf(&s.radio).Elem(), rnd)
	s.radioPlaces, s.radioNext = rnd.IntN(2000)-1000, rnd.Int()
	for i := range int32(3) {
		s.towerAt[i] = len(s.towers)
		s.towers = append(s.towers, towerPos{T: i, Lat: rnd.NormFloat64(), Lon: rnd.NormFloat64()})
		s.placeAt[7-i] = len(s.places)
		s.places = append(s.places, towerPos{T: 7 - i, Lat: rnd.NormFloat64(), Lon: rnd.NormFloat64()})
	}
	s.unplaced[1], s.unplaced[2], s.placedLate = true, true, 1+rnd.IntN(100)
	// Keys at the ends of their ranges, where a difference could overflow.
	for _, k := range []int32{math.MinInt32, -1, 0, 5, math.MaxInt32} {
		s.names[k], s.appCat[k] = rnd.Int32(), -rnd.Int32()
	}
	for _, k := range []key{0, 1, 1 << 63, math.MaxUint64 - 1, math.MaxUint64} {
		s.heads[k] = head{First: stamp(rnd.Int32()), Last: stamp(-rnd.Int32()), Seen: rnd.Int32()}
	}
	for _, num := range []string{"+33600000001", "+33600000002", "+33600000003"} {
		s.byHash[hashNumber(num)] = num
	}
	for _, k := range []key{0, 1 << 63, math.MaxUint64} {
		fillPart(s.cells, k, rnd)
		fillPart(s.gps, k, rnd)
		fillPart(s.apps, k, rnd)
		fillPart(s.msgs, k, rnd)
		fillPart(s.wifi, k, rnd)
		fillPart(s.bands, k, rnd)
		fillPart(s.pays, k, rnd)
		fillPart(s.transits, k, rnd)
		fillPart(s.tickets, k, rnd)
		fillPart(s.baskets, k, rnd)
		fillPart(s.regs, k, rnd)
		fillPart(s.attrs, k, rnd)
	}
	return s
}

func fillPart[P any](m map[key]*P, k key, rnd *rand.Rand) {
	p := new(P)
	fill(reflect.ValueOf(p).Elem(), rnd)
	m[k] = p
}

// fill sets every field of v to a random value other than zero. A uint8
// is 1: a sample's ring position, a device kind, a bit set of them, each
// valid so.
func fill(v reflect.Value, rnd *rand.Rand) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i), rnd)
		}
	case reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 { // an event id
			for i := range v.Len() {
				v.Index(i).SetUint(uint64(1 + rnd.IntN(255)))
			}
			return
		}
		for i := range v.Len() {
			fill(v.Index(i), rnd)
		}
	case reflect.Slice:
		n := 1 + rnd.IntN(3)
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := range n {
			fill(v.Index(i), rnd)
		}
	case reflect.Int32, reflect.Int64:
		x := int64(rnd.Uint64())
		if v.Kind() == reflect.Int32 {
			x = int64(int32(x))
		}
		v.SetInt(cmpOr(x, 1))
	case reflect.Uint8:
		v.SetUint(1)
	case reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(cmpOr(rnd.Uint64()>>(64-8*v.Type().Size()), 1))
	case reflect.Float64:
		v.SetFloat(rnd.NormFloat64() * 1e6)
	case reflect.Bool:
		v.SetBool(true)
	default:
		panic(fmt.Sprintf("fill: a field of kind %v", v.Kind()))
	}
}

func cmpOr[T comparable](v, instead T) T {
	var zero T
	if v == zero {
		return instead
	}
	return v
}

// roundTrip saves s, loads what it saved, and checks the loaded store
// saves the same bytes.
func roundTrip(t *testing.T, s *Store) *Store {
	t.Helper()
	var b bytes.Buffer
	if err := s.Save(&b); err != nil {
		t.Fatal(err)
	}
	saved := bytes.Clone(b.Bytes())
	got := New()
	if err := got.Load(&b); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := got.Save(&again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), saved) {
		t.Error("the loaded store saves other bytes")
	}
	return got
}

// TestSaveLoadEveryField checks that Save writes, and Load reads, every
// field of the store and of each accumulator type, at the ends of their
// ranges too.
func TestSaveLoadEveryField(t *testing.T) {
	for seed := range uint64(4) {
		s := filledStore(seed)
		if err := SameState(roundTrip(t, s), s); err != nil {
			t.Errorf("seed %d: %v", seed, err)
		}
	}
	if err := SameState(roundTrip(t, New()), New()); err != nil {
		t.Errorf("empty store: %v", err)
	}
}

// TestLoadRefusesInvalid checks that Load refuses, with an error and no
// panic, a part holding what the store never holds and later code would
// trip on. Save writes whatever it is given, so each case is a filled
// store made invalid, saved.
func TestLoadRefusesInvalid(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(s *Store)
	}{
		{"sample ring position", func(s *Store) { s.cells[0].Night.Ev.Next = sampleCap }},
		{"type bit of no type", func(s *Store) {
			s.types, s.typeAt = s.types[:3], map[string]uint8{"type.0": 0, "type.1": 1, "type.2": 2}
			s.gps[0].Work.Ev.Types = 1 << 3
		}},
		{"device kind", func(s *Store) { s.apps[0].Apps[0].Device = devPhone | devTablet }},
		{"device bits", func(s *Store) { s.apps[0].Device = 4 }},
		{"too many contacts", func(s *Store) { s.msgs[0].Contacts = make([]contactStat, maxContacts+1) }},
		{"too many wakes", func(s *Store) { s.bands[0].Wakes = make([]stamp, maxMornings+1) }},
		{"a string twice", func(s *Store) { s.strs = append(s.strs, s.strs[0]) }},
		{"a type twice", func(s *Store) { s.types = append(s.types[:3], s.types[0]) }},
		{"too many types", func(s *Store) { s.types = append(s.types, "type.32") }},
		{"a tower twice", func(s *Store) { s.towers = append(s.towers, s.towers[0]) }},
		{"a station placed and unplaced", func(s *Store) { s.unplaced[s.places[0].T] = true }},
		{"more accumulators than identifiers", func(s *Store) {
			s.heads, s.byHash = map[key]head{0: {}, 1 << 63: {}}, map[uint64]string{}
		}},
		{"more numbers than identifiers", func(s *Store) { s.heads = map[key]head{0: {}} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := filledStore(1)
			tc.spoil(s)
			var b bytes.Buffer
			if err := s.Save(&b); err != nil {
				t.Fatal(err)
			}
			err := New().Load(&b)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			t.Log(err)
		})
	}
}

// TestSorted checks the bucket sort of keys against slices.Sort, on keys
// spread evenly, bunched into one bucket, and around the size where it
// starts, reusing one sorter as Save does.
func TestSorted(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	var ks keySorter
	for _, tc := range []struct {
		n    int
		draw func() key
	}{
		{100, func() key { return key(rnd.Uint64()) }},
		{1023, func() key { return key(rnd.Uint64()) }},
		{1024, func() key { return key(rnd.Uint64()) }},
		{50000, func() key { return key(rnd.Uint64()) }},
		{3000, func() key { return key(rnd.Uint64N(1 << 20)) }},                      // one bucket
		{5000, func() key { return key(rnd.Uint64()>>60<<60 | rnd.Uint64N(1<<20)) }}, // 16 buckets of 4,096
		{2000, func() key { return math.MaxUint64 - key(rnd.Uint64N(1<<30)) }},
	} {
		m := map[key]bool{}
		for len(m) < tc.n {
			m[tc.draw()] = true
		}
		got := sorted(&ks, m)
		want := slices.Sorted(maps.Keys(m))
		if !slices.Equal(got, want) {
			t.Errorf("%d keys: not sorted as slices.Sort sorts them", tc.n)
		}
	}
}
