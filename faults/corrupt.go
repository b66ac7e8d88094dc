package faults

import (
	"encoding/binary"
	"encoding/json"
	"strconv"
	"time"

	"exhaust/event"
)

// The corruptions, as Corrupted.As names them: the malformed events a
// broken sensor sends.
const (
	// Truncated is an event cut short, as by a write or a connection that
	// stopped halfway.
	Truncated = "truncated"
	// WrongType is an event whose time is a number of seconds instead of
	// an RFC 3339 string, as firmware that writes its epoch counter does.
	WrongType = "wrong_type"
	// MissingField is an event whose data lost its identifiers, as a
	// sensor that failed to read the tag, the card or the SIM sends.
	MissingField = "missing_field"
	// UnknownIDKind is an event whose first identifier is of a kind nobody
	// declared ("serial"), as a sensor on a newer firmware sends.
	UnknownIDKind = "unknown_id_kind"
	// Garbage is bytes that are not JSON at all, as line noise or a binary
	// frame on the wrong port.
	Garbage = "garbage"
)

// UnknownKind is the identifier kind UnknownIDKind writes: no producer
// declares it.
const UnknownKind event.IDKind = "serial"

// Corruptions returns the corruptions by name, each with the reason a
// validator (event.Validator) rejects it for.
func Corruptions() map[string]string {
	out := map[string]string{}
	for _, c := range corruptions {
		out[c.name] = c.reason
	}
	return out
}

type corruption struct {
	name, reason string
	apply        func(payload []byte, x uint64) []byte
}

// corruptions are drawn from uniformly; x is a number drawn for the event.
var corruptions = []corruption{
	{Truncated, event.ReasonMalformedJSON, func(p []byte, x uint64) []byte {
		if len(p) < 2 {
			return []byte("{")
		}
		return append([]byte(nil), p[:1+x%uint64(len(p)-1)]...)
	}},
	{WrongType, event.ReasonInvalidEnvelope, func(p []byte, _ uint64) []byte {
		return editEnvelope(p, func(env map[string]json.RawMessage) {
			var t time.Time
			_ = json.Unmarshal(env["time"], &t)
			env["time"] = json.RawMessage(strconv.FormatInt(t.Unix(), 10))
		})
	}},
	{MissingField, event.ReasonInvalidData, func(p []byte, _ uint64) []byte {
		return editData(p, func(data map[string]json.RawMessage) { delete(data, "ids") })
	}},
	{UnknownIDKind, event.ReasonInvalidData, func(p []byte, x uint64) []byte {
		return editData(p, func(data map[string]json.RawMessage) {
			var ids []event.ID
			_ = json.Unmarshal(data["ids"], &ids)
			if len(ids) == 0 {
				ids = []event.ID{{}}
			}
			ids[0] = event.ID{Kind: UnknownKind, Value: "SN" + strconv.FormatUint(x%1e10, 10)}
			data["ids"], _ = json.Marshal(ids)
		})
	}},
	{Garbage, event.ReasonMalformedJSON, func(_ []byte, x uint64) []byte {
		// 16 to 271 bytes; the first is not ASCII, so they never make a
		// JSON value by chance.
		n := 16 + int(x%256)
		b := make([]byte, 0, n+8)
		r := draws{x: x}
		for len(b) < n {
			b = binary.LittleEndian.AppendUint64(b, r.next())
		}
		b = b[:n]
		b[0] |= 0x80
		return b
	}},
}

// editEnvelope decodes an event's envelope, lets edit change it and
// encodes it again; an event that does not decode is returned truncated,
// so that it is malformed either way.
func editEnvelope(p []byte, edit func(map[string]json.RawMessage)) []byte {
	var env map[string]json.RawMessage
	if json.Unmarshal(p, &env) != nil || env == nil {
		return p[:len(p)/2]
	}
	edit(env)
	b, err := json.Marshal(env)
	if err != nil {
		return p[:len(p)/2]
	}
	return b
}

// editData is editEnvelope on the event's data.
func editData(p []byte, edit func(map[string]json.RawMessage)) []byte {
	return editEnvelope(p, func(env map[string]json.RawMessage) {
		var data map[string]json.RawMessage
		if json.Unmarshal(env["data"], &data) != nil || data == nil {
			data = map[string]json.RawMessage{}
		}
		edit(data)
		env["data"], _ = json.Marshal(data)
	})
}
