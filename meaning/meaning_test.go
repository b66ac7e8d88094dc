package meaning_test

import (
	"slices"
	"strings"
	"testing"

	"exhaust/event"
	"exhaust/meaning"
)

func TestCheck(t *testing.T) {
	carried := []event.IDKind{event.Card, event.Loyalty}
	tests := []struct {
		name string
		ms   []meaning.Meaning
		want string // part of the error; "" for none
	}{
		{"none", nil, ""},
		{"good", []meaning.Meaning{meaning.Payment{Of: event.Card, Amount: "amount_cents"}}, ""},
		{"about a kind not carried", []meaning.Meaning{meaning.Payment{Of: event.MAC, Amount: "amount_cents"}}, `about "mac"`},
		{"role missing", []meaning.Meaning{meaning.Payment{Of: event.Card}}, "Amount names no field"},
		{"attribute without its sentence", []meaning.Meaning{meaning.Attribute{Of: event.Card, Fact: "vehicle", Fields: []string{"make"}}}, "Say"},
		{"radio without its list", []meaning.Meaning{meaning.Radio{Of: event.Card}}, "List"},
		{"served without its prefix", []meaning.Meaning{meaning.Served{Of: event.Card}}, "Prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := meaning.Check(tt.ms, carried)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("error %v, want none", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestUsesAndDescribe(t *testing.T) {
	r := meaning.Radio{Of: event.IMSI, Emitter: "tower", List: "measurements", EmitterKey: "tower", StrengthKey: "rssi_dbm",
		Moving: meaning.Match{Field: "event", Value: "handover"}, Leaving: meaning.Match{Field: "event", Value: "detach"}}
	want := []string{"tower", "measurements", "event", "measurements[].tower", "measurements[].rssi_dbm"}
	if got := r.Uses(); !slices.Equal(got, want) {
		t.Errorf("Uses = %q, want %q (each field once)", got, want)
	}
	p := meaning.Payment{Of: event.Card, Amount: "amount_cents", Merchant: "merchant"}
	if got := meaning.Describe(p); got != "payment of card (amount_cents, merchant)" {
		t.Errorf("Describe = %q", got)
	}
}

func TestDeclareAndFind(t *testing.T) {
	ms := []meaning.Meaning{meaning.Sync{Of: event.Wristband}, meaning.Interest{Of: event.ADID, Topic: "topic"}}
	meaning.Declare("meaningtest.kind", ms)
	got := meaning.For("meaningtest.kind")
	if len(got) != 2 {
		t.Fatalf("For = %v", got)
	}
	if i, ok := meaning.Find[meaning.Interest](got); !ok || i.Topic != "topic" {
		t.Errorf("Find[Interest] = %v, %v", i, ok)
	}
	if _, ok := meaning.Find[meaning.Payment](got); ok {
		t.Error("Find[Payment] found one")
	}
	if meaning.For("meaningtest.other") != nil {
		t.Error("For of an undeclared type is not nil")
	}
	defer func() {
		if recover() == nil {
			t.Error("declaring a type twice did not panic")
		}
	}()
	meaning.Declare("meaningtest.kind", ms)
}
