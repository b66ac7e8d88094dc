package main

import (
	"fmt"
	"strings"

	"exhaust/faults"
)

// faultsUsage is the --faults flag's usage: the grammar, in full.
const faultsUsage = "faults done to the events on their way, seeded like the events (same seed and settings, same faults): `spec` is\n" +
	"    \t" + faults.Syntax + "\n" +
	"    \tfaults: delay=R%/MAX (R% of events late by up to MAX, out of order), duplicate=R% (the same event again),\n" +
	"    \tdrop=R% (lost), corrupt=R% (malformed, as a broken sensor sends), skew=R%/MAX (R% of devices' clocks off by up to ±MAX);\n" +
	"    \tMAX is a duration such as 90s, 5m or 1h (at most 24h). A producer's own clause overrides all:\n" +
	"    \te.g. 'phone:delay=10%/5m,duplicate=5%;wifi:drop=2%' or 'all:duplicate=5%,delay=10%/2m'.\n" +
	"    \tThe ground-truth stream counts every fault (truth.exhaust.faults.>); see docs/faults.md"

// faultSummary says what faults did, in words: "12 delayed, 3 dropped";
// "" when nothing was done.
func faultSummary(c faults.Counts) string {
	var parts []string
	for _, k := range faults.Kinds {
		if n := c.Of(k); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, faultVerb[k]))
		}
	}
	return strings.Join(parts, ", ")
}

var faultVerb = map[faults.Kind]string{
	faults.Delay: "delayed", faults.Duplicate: "duplicated", faults.Drop: "dropped",
	faults.Corrupt: "corrupted", faults.Skew: "skewed",
}
