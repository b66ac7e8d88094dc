package event_test

import (
	"slices"
	"strings"
	"testing"

	"exhaust/event"
)

var builtin = []event.IDKind{event.IMSI, event.IMEI, event.MSISDN, event.ADID, event.MAC, event.Wristband,
	event.Card, event.Pass, event.Ticket, event.Loyalty, event.Email}

func TestBuiltinVocabulary(t *testing.T) {
	event.ForgetDeclared(t) // whatever producers this test binary imports
	if got := event.Kinds(); !slices.Equal(got, builtin) {
		t.Fatalf("Kinds() = %v, want the built-in kinds %v", got, builtin)
	}
	for _, k := range builtin {
		info, ok := event.Describe(k)
		if !ok || info.Kind != k || !strings.HasSuffix(info.Summary, ".") || !k.Valid() || !event.Builtin(k) {
			t.Errorf("built-in kind %q: Describe = %+v, %v; Valid %v; Builtin %v", k, info, ok, k.Valid(), event.Builtin(k))
		}
	}
	// The linker's default exclusive kinds.
	want := []event.IDKind{event.IMSI, event.IMEI, event.MSISDN, event.Wristband, event.Card, event.Pass, event.Email}
	if got := event.ExclusiveKinds(); !slices.Equal(got, want) {
		t.Errorf("ExclusiveKinds() = %v, want %v", got, want)
	}
	if event.IDKind("plate").Valid() || event.Exclusive("plate") {
		t.Error("an undeclared kind is valid or exclusive")
	}
}

func TestDeclare(t *testing.T) {
	event.ForgetDeclared(t)
	plate := event.KindInfo{Kind: "plate", Summary: "Car number plate: parking cameras read it.", Exclusive: true}
	meter := event.KindInfo{Kind: "meter", Summary: "Smart meter number: the grid operator reads it."}
	event.Declare(plate)
	event.Declare(meter)
	event.Declare(plate) // the same declaration again, from a second producer: nothing changes

	want := append(slices.Clone(builtin), "meter", "plate") // declared kinds sorted by name
	if got := event.Kinds(); !slices.Equal(got, want) {
		t.Fatalf("Kinds() = %v, want %v", got, want)
	}
	if info, ok := event.Describe("plate"); !ok || info != plate {
		t.Errorf("Describe(plate) = %+v, %v", info, ok)
	}
	if !event.IDKind("plate").Valid() || !event.Exclusive("plate") || event.Exclusive("meter") || event.Builtin("plate") {
		t.Error("declared kinds: wrong Valid, Exclusive or Builtin")
	}
	if got := event.ExclusiveKinds(); got[len(got)-1] != "plate" || slices.Contains(got, "meter") {
		t.Errorf("ExclusiveKinds() = %v", got)
	}
	// A caller appending to the vocabulary does not change it.
	_ = append(event.Kinds(), "oops")
	if got := event.Kinds(); !slices.Equal(got, want) {
		t.Errorf("appending to Kinds() changed it: %v", got)
	}
}

func TestDeclarePanics(t *testing.T) {
	event.ForgetDeclared(t)
	event.Declare(event.KindInfo{Kind: "plate", Summary: "Car number plate."})
	tests := []struct {
		name string
		k    event.KindInfo
		want string
	}{
		{"upper case", event.KindInfo{Kind: "Plate", Summary: "A plate."}, "invalid"},
		{"two words", event.KindInfo{Kind: "number_plate", Summary: "A plate."}, "invalid"},
		{"empty", event.KindInfo{Summary: "Nothing."}, "invalid"},
		{"no summary", event.KindInfo{Kind: "meter"}, "without a summary"},
		{"built in", event.KindInfo{Kind: "card", Summary: "A card."}, "built in"},
		{"another summary", event.KindInfo{Kind: "plate", Summary: "A licence plate."}, "declared twice"},
		{"another exclusivity", event.KindInfo{Kind: "plate", Summary: "Car number plate.", Exclusive: true}, "declared twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, tt.want) {
					t.Errorf("Declare(%+v) panicked with %v, want a message containing %q", tt.k, r, tt.want)
				}
			}()
			event.Declare(tt.k)
		})
	}
}
