// Package event defines the exhaust event contract: the CloudEvents-named
// envelope, the vocabulary of identifier kinds (built in, plus those
// producers declare), subjects, and the JSON Schemas every event type is
// validated against. It knows nothing of NATS.
package event
