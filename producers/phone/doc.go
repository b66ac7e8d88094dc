// Package phone simulates what a mobile operator and a smartphone's operating
// system and apps see of a person's day.
//
// The operator sees the phone's radio: which cell towers it hears and how
// strongly (phone.cell), whether it is switched on, and the metadata of calls
// and SMS (phone.call, phone.sms). The OS and its apps see app sessions
// (phone.app), web searches (phone.search) and, only with location services
// on, GPS fixes (phone.gps).
//
// The lesson of the seed scenario lives in phone.cell: location services off
// does not stop the network from placing a phone. Every cell event carries the
// signal strength of the towers the phone hears (one to eight), enough to
// place the phone to a few hundred metres, all night long.
package phone
