package facts

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// euros formats cents the French way: "54,70 €".
func euros(cents int) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%s,%02d €", sign, thousands(cents/100), cents%100)
}

// thousands groups digits by three with thin spaces: "12 345".
func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 || len(s) <= 3 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteRune(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// duration formats seconds as "8 h 14 min", "27 min" or "5 s".
func duration(s int) string {
	switch {
	case s < 60:
		return fmt.Sprintf("%d s", s)
	case s < 3600:
		return fmt.Sprintf("%d min", (s+30)/60)
	}
	m := (s + 30) / 60
	if m%60 == 0 {
		return fmt.Sprintf("%d h", m/60)
	}
	return fmt.Sprintf("%d h %02d min", m/60, m%60)
}

// clock formats a time as local "15:04".
func clock(t time.Time) string { return t.In(paris()).Format("15:04") }

// dayClock formats a time as local "Sun 11:01".
func dayClock(t time.Time) string { return t.In(paris()).Format("Mon 15:04") }

// minutesClock formats minutes after midnight as "15:04".
func minutesClock(m int) string {
	m = ((m % 1440) + 1440) % 1440
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}

// plural returns "1 night" or "3 nights".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(n) + " " + many
}

// round rounds x to d decimals.
func round(x float64, d int) float64 {
	p := math.Pow(10, float64(d))
	return math.Round(x*p) / p
}

// roundRadius rounds a radius to a readable 10 m.
func roundRadius(r float64) int { return int(math.Max(10, math.Round(r/10)*10)) }

// short abbreviates a long identifier for a sentence: "c0fdb571…".
func short(s string) string {
	if len(s) <= 12 {
		return s
	}
	return s[:8] + "…"
}

// list joins names: "a", "a and b", "a, b and c".
func list(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
