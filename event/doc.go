// Package event defines the exhaust event contract: the CloudEvents-named
// envelope, the closed vocabulary of identifier kinds, subjects, and the JSON
// Schemas every event type is validated against. It knows nothing of NATS.
package event
