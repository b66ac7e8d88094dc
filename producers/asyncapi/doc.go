// Package asyncapi generates an AsyncAPI 3.0 document (docs/asyncapi.yaml,
// and `exhaust producers --asyncapi`) from the producer registry: the NATS
// server `exhaust demo` embeds, one channel per event kind at its subject
// exhaust.<producer>.<kind>, one send operation per channel (the sensor
// publishes), and one message per kind whose payload is the CloudEvents
// envelope with data being the kind's own JSON Schema; the meanings a kind
// declares (package meaning) are in the message's specification extension
// x-exhaust-means. Output is deterministic (channels, operations and
// messages sorted by event type; schema keywords in their file's order), so
// producers/all's TestAsyncAPIDoc can fail when the committed document is
// stale.
//
// Why the payloads are declared draft-07: the schemas checked in next to
// each producer are JSON Schema draft 2020-12, but AsyncAPI 3.0 names only
// draft-07 among the JSON Schema formats every tool must support, and the
// AsyncAPI project's parser (@asyncapi/parser, which CI runs on the
// document) checks a payload only when it is draft-07 or the AsyncAPI
// schema format (a superset of draft-07); a payload declared 2020-12 would
// pass there unchecked, however wrong, and most AsyncAPI tools would not
// read it as JSON Schema at all. Our schemas use only keywords that mean the
// same in both drafts, so each payload is a multi-format schema object with
// schemaFormat application/schema+json;version=draft-07 and the schema as
// written, less its "$schema" (which names 2020-12). YAML refuses a schema
// using a keyword that draft-07 reads differently or does not know ($ref,
// $defs, prefixItems, unevaluatedProperties, …) rather than declare it
// wrongly.
package asyncapi
