// Package wristband simulates what a fitness wristband's vendor receives
// from its cloud: the wristband records steps, heart rate and sleep all day,
// and uploads them through the phone's companion app whenever it syncs.
//
// Every sync event carries the wristband's serial next to the phone's
// advertising id, linking the two for good. The records it uploads tell
// when the wearer went to bed and woke up, how well they slept, how much
// they walked, when they did sport, hour by hour. A wristband that is not
// worn records nothing.
package wristband
