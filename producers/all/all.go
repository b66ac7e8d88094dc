// Package all imports every producer package, and importing this package
// registers every producer. Adding a producer = one line here.
//
// The contract suite (producertest) and the event reference (docs/events.md)
// are run and generated from the registry this package fills, so a producer
// listed here is checked and documented with no other change.
package all

import (
	_ "exhaust/producers/card"
	_ "exhaust/producers/loyalty"
	_ "exhaust/producers/phone"
	_ "exhaust/producers/transit"
	_ "exhaust/producers/wifi"
	_ "exhaust/producers/wristband"
)
