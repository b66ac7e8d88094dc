package census

import (
	"testing"
	"time"

	"exhaust/event"
	"exhaust/producers/card"
	"exhaust/producers/phone"
)

// TestLensesReadUnknownTypesThroughJSON: data of a type the lenses do not
// know (here a map, as a producer that changed its types would send) gives
// the same point as the producers' own types.
func TestLensesReadUnknownTypesThroughJSON(t *testing.T) {
	at := time.Date(2026, 11, 29, 9, 41, 0, 0, time.UTC)
	ids := []event.ID{{Kind: event.IMSI, Value: "208011"}, {Kind: event.IMEI, Value: "35"}}
	cell := phone.Cell{Common: event.Common{IDs: ids}, Tower: "T042"}
	pay := card.Payment{Common: event.Common{IDs: []event.ID{{Kind: event.Card, Value: "tok_1"}}, Where: &event.Where{Place: "shop:fnac-forum"}}}
	tests := []struct {
		name string
		lens Lens
		data []any
		key  string
		at   string
	}{
		{"cell", AntennaHour, []any{cell, &cell, map[string]any{"ids": ids, "tower": "T042"}}, "208011", "T042"},
		{"payment", ShopDay, []any{pay, &pay, map[string]any{"ids": pay.IDs, "where": map[string]any{"place": "shop:fnac-forum", "lat": 48.86}}}, "tok_1", "shop:fnac-forum"},
	}
	for _, tc := range tests {
		for _, d := range tc.data {
			key, place, bin, ok := tc.lens.point(at, d)
			if !ok || key != tc.key || place != tc.at || bin != tc.lens.Bin(at) {
				t.Errorf("%s from %T: (%q, %q, %d, %v), want (%q, %q, %d, true)", tc.name, d, key, place, bin, ok, tc.key, tc.at, tc.lens.Bin(at))
			}
		}
	}
	if _, _, _, ok := AntennaHour.point(at, phone.Cell{Tower: "T1"}); ok {
		t.Error("a cell event without an IMSI made a point")
	}
	if _, _, _, ok := ShopDay.point(at, card.Payment{Common: pay.Common, Merchant: "x"}); !ok {
		t.Error("a payment with a place made no point")
	}
}
