package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"exhaust/aggregator"
	"exhaust/api"
)

func TestProfilesByTruth(t *testing.T) {
	e, _ := fed(t)
	base := serve(t, api.Config{Engine: e})
	want := map[string][]string{} // persona -> profile ids, in the listing's order
	for _, p := range e.Profiles() {
		if p.Truth != "" {
			want[p.Truth] = append(want[p.Truth], p.ID)
		}
	}
	if len(want["hero"]) == 0 {
		t.Fatal("fixture: no profile matches the hero")
	}
	for _, truth := range []string{"hero", "p002", "nobody"} {
		t.Run(truth, func(t *testing.T) {
			var list api.ProfileList
			get(t, base+"/api/profiles?truth="+truth, http.StatusOK, &list)
			var got []string
			for _, p := range list.Profiles {
				got = append(got, p.ID)
				if p.Truth == nil || *p.Truth != truth {
					t.Errorf("profile %s has truth %v, want %q", p.ID, p.Truth, truth)
				}
			}
			if strings.Join(got, ",") != strings.Join(want[truth], ",") || list.Total != len(want[truth]) {
				t.Errorf("profiles %v (total %d), want %v", got, list.Total, want[truth])
			}
		})
	}
	// The filter applies before pagination: the total is the filtered count.
	var page api.ProfileList
	get(t, base+"/api/profiles?truth=hero&per_page=1&page=2", http.StatusOK, &page)
	if page.Total != len(want["hero"]) || page.Page != 2 || page.PerPage != 1 {
		t.Errorf("total %d, page %d, per_page %d; want %d, 2, 1", page.Total, page.Page, page.PerPage, len(want["hero"]))
	}
}

func TestProfilesByText(t *testing.T) {
	e, _ := fed(t)
	base := serve(t, api.Config{Engine: e})
	var named aggregator.Summary
	for _, p := range e.Profiles() {
		if !strings.HasPrefix(p.Name, "Profile ") {
			named = p
			break
		}
	}
	if named.ID == "" {
		t.Fatal("fixture: no profile has a name")
	}
	full, _ := e.Profile(named.ID)
	id := full.Identifiers[len(full.Identifiers)-1]
	tests := []struct {
		name string
		q    string
	}{
		{"part of the name, any case", strings.ToUpper(strings.Fields(named.Name)[len(strings.Fields(named.Name))-1])},
		{"part of an identifier's value", id.Value[1 : len(id.Value)-1]},
		{"spaces around", "  " + id.Value + " "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var list api.ProfileList
			get(t, base+"/api/profiles?per_page=500&q="+url.QueryEscape(tc.q), http.StatusOK, &list)
			found := false
			needle := strings.ToLower(strings.TrimSpace(tc.q))
			for _, s := range list.Profiles {
				found = found || s.ID == named.ID
				// Every profile listed matches, by name or identifier.
				var p api.Profile
				get(t, base+"/api/profiles/"+s.ID, http.StatusOK, &p)
				ok := strings.Contains(strings.ToLower(p.Name), needle)
				for _, i := range p.Identifiers {
					ok = ok || strings.Contains(strings.ToLower(i.Value), needle)
				}
				if !ok {
					t.Errorf("profile %s (%s) listed for q=%q but neither its name nor an identifier contains it", s.ID, s.Name, tc.q)
				}
			}
			if !found || list.Total != len(list.Profiles) {
				t.Errorf("q=%q: %d profiles (total %d), %s not among them", tc.q, len(list.Profiles), list.Total, named.ID)
			}
		})
	}
	var none api.ProfileList
	get(t, base+"/api/profiles?q=no-such-thing-anywhere", http.StatusOK, &none)
	if none.Total != 0 || len(none.Profiles) != 0 {
		t.Errorf("q matching nothing: total %d, %d profiles", none.Total, len(none.Profiles))
	}
	// Both filters together: the hero's profiles that match the text.
	var both api.ProfileList
	get(t, base+"/api/profiles?truth=nobody&q="+url.QueryEscape(id.Value), http.StatusOK, &both)
	if both.Total != 0 {
		t.Errorf("truth=nobody&q=…: total %d, want 0", both.Total)
	}
	var bad api.Error
	get(t, base+"/api/profiles?q="+strings.Repeat("x", api.MaxQuery+1), http.StatusBadRequest, &bad)
	if !strings.Contains(bad.Error, "q must be at most") {
		t.Errorf("long q: error %q", bad.Error)
	}
}

// TestTimesInTheCityZone: every time in every body is RFC 3339 with the
// offset of Europe/Paris at that instant, the fact values' times included,
// so they read like the times of day the facts give.
func TestTimesInTheCityZone(t *testing.T) {
	e, _ := fed(t)
	base := serve(t, api.Config{Engine: e})
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	isTime := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d`)
	var check func(where string, v any) int
	check = func(where string, v any) int {
		n := 0
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				n += check(where+"."+k, x)
			}
		case []any:
			for _, x := range v {
				n += check(where+"[]", x)
			}
		case string:
			if !isTime.MatchString(v) {
				return 0
			}
			tm, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				t.Errorf("%s = %q: not RFC 3339: %v", where, v, err)
				return 1
			}
			if want := tm.In(paris).Format(time.RFC3339Nano); v != want {
				t.Errorf("%s = %q, want %q (the city's offset)", where, v, want)
			}
			return 1
		}
		return n
	}
	var list any
	_, _, body := call(t, http.MethodGet, base+"/api/profiles?per_page=500")
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	seen := check("profiles", list)
	for _, p := range e.Profiles() {
		var v any
		_, _, body := call(t, http.MethodGet, base+"/api/profiles/"+p.ID)
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatal(err)
		}
		seen += check(p.ID, v)
	}
	if seen < 100 {
		t.Errorf("only %d times checked: the fixture is too thin", seen)
	}
	// The sleep fact, which mixed UTC instants with Paris times of day.
	hero, _ := e.Profile(e.Profiles()[0].ID)
	for _, f := range hero.Facts {
		if f.Name != "sleep" {
			continue
		}
		var p api.Profile
		get(t, base+"/api/profiles/"+hero.ID, http.StatusOK, &p)
		for _, af := range p.Facts {
			if af.Name == "sleep" {
				b, _ := json.Marshal(af.Value)
				if strings.Contains(string(b), `Z"`) {
					t.Errorf("sleep fact still has UTC times: %s", b)
				}
			}
		}
	}
}
