// Package docgen generates the event reference (docs/events.md) from the
// producer registry: the envelope, the identifier vocabulary, and for every
// producer and kind its subject, identifiers, what it reveals, a field table
// read from its JSON Schema and a real example event. The docs cannot drift
// from the code: producers/all's TestEventsDoc fails when the committed page
// differs from what Markdown generates.
package docgen
