package obs

// DecodeFast exposes the fast decoder alone: nil when it leaves raw to
// encoding/json.
func DecodeFast(raw []byte) *Record { return decodeFast(raw) }

// DecodeReference exposes the reference decoder alone.
func DecodeReference(raw []byte) (*Record, error) { return decodeReference(raw) }
