package obs

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"exhaust/event"
	"exhaust/internal/jsonscan"
)

// The fast decoder.
//
// encoding/json decodes data by reflection, at about a fifth of the
// aggregator's time per event. decodeFast reads the data object by hand
// instead, in one pass over the bytes. Decode runs it first and falls back
// to the reference (decodeReference, encoding/json) whenever decodeFast
// gives up, which it does on anything it cannot be sure to decode exactly
// as the reference does: a key of ids' or where's objects that encoding/json
// would match to a field only by case folding, an escaped or non-ASCII key
// there, ids or where given twice, malformed input, nesting deeper than
// maxDepth. So Decode returns what the reference returns for every input,
// and the fast path only ever decides the well formed, common case; the
// differential tests and FuzzDecode hold it to that.
//
// The other members are plain JSON values, as encoding/json decodes them
// into an interface: numbers as float64, an object's members sorted by key
// with the last of a repeated key winning.

// maxDepth is the deepest nesting the fast decoder follows; deeper input
// is left to encoding/json, which knows its own limit.
const maxDepth = 64

// decoder is the state of one fast decode.
type decoder struct {
	b []byte
	i int
	// where is a Where allocated along with the Record, used by the
	// where object (see Decode).
	where *event.Where
	// ids is scratch for the identifiers, kept across decodes (see
	// decoders): decoded here and copied once into a slice of its exact
	// length, instead of growing a slice element by element.
	ids []event.ID
	// nodes, roots and kids are scratch for the other members (see
	// record).
	nodes []node
	roots []int32
	kids  []int32
}

// decoders recycles decoders and their scratch arrays; the service
// decodes on several goroutines at once.
var decoders = sync.Pool{New: func() any { return new(decoder) }}

// withWhere is a Record and its Where in one allocation: most events
// have a where.
type withWhere struct {
	r Record
	w event.Where
}

// decodeFast decodes the data object raw into a new Record, or returns
// nil when it leaves raw to the reference.
func decodeFast(raw []byte) *Record {
	rw := &withWhere{}
	d := decoders.Get().(*decoder)
	d.b, d.i, d.where = raw, 0, &rw.w
	ok := d.record(&rw.r) && d.end()
	d.b, d.where = nil, nil
	decoders.Put(d)
	if !ok {
		return nil
	}
	return &rw.r
}

// Field names, as encoding/json sees them, to recognise a key that
// matches one only by case folding.
var (
	whereKeys = jsonNames(reflect.TypeFor[event.Where]())
	idKeys    = jsonNames(reflect.TypeFor[event.ID]())
)

// jsonNames returns the JSON names of t's fields.
func jsonNames(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported():
		case name == "":
			names = append(names, f.Name)
		default:
			names = append(names, name)
		}
	}
	return names
}

func (d *decoder) ws() { d.i = jsonscan.Space(d.b, d.i) }

// peek skips whitespace and returns the next byte, 0 at the end.
func (d *decoder) peek() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

// end reports whether only whitespace is left.
func (d *decoder) end() bool {
	d.ws()
	return d.i == len(d.b)
}

// literal consumes word if it is next.
func (d *decoder) literal(word string) bool {
	if len(d.b)-d.i < len(word) || string(d.b[d.i:d.i+len(word)]) != word {
		return false
	}
	d.i += len(word)
	return true
}

// null consumes a null if one is next (after whitespace).
func (d *decoder) null() bool { return d.peek() == 'n' && d.literal("null") }

// member moves to the n-th member of an object whose '{' is consumed. It
// returns the member's key (the bytes between the quotes), with more false
// at the closing brace. Keys with escapes or non-ASCII bytes are left to
// encoding/json: it would unescape them and match them to fields by
// Unicode case folding.
func (d *decoder) member(n int) (key []byte, more, ok bool) {
	c := d.peek()
	switch {
	case c == '}':
		d.i++
		return nil, false, true
	case n > 0 && c != ',':
		return nil, false, false
	case n > 0:
		d.i++
		c = d.peek()
	}
	if c != '"' {
		return nil, false, false
	}
	start := d.i + 1
	if esc, high, ok := d.str(); !ok || esc || high {
		return nil, false, false
	}
	key = d.b[start : d.i-1]
	if d.peek() != ':' {
		return nil, false, false
	}
	d.i++
	return key, true, true
}

// element moves to the n-th element of an array whose '[' is consumed,
// with more false at the closing bracket.
func (d *decoder) element(n int) (more, ok bool) {
	switch d.peek() {
	case ']':
		d.i++
		return false, true
	case ',':
		if n > 0 {
			d.i++
			return true, true
		}
		return false, false
	}
	return n == 0, n == 0
}

// str scans a string starting at its opening quote, as encoding/json's
// grammar allows it. esc reports escapes, high bytes of 0x80 and above.
func (d *decoder) str() (esc, high, ok bool) {
	end, esc, high, ok := jsonscan.String(d.b, d.i)
	if ok {
		d.i = end
	}
	return esc, high, ok
}

// number scans a number as encoding/json's grammar allows it, reporting
// whether it has a fraction or an exponent.
func (d *decoder) number() (frac, exp, ok bool) {
	d.i, frac, exp, ok = jsonscan.Number(d.b, d.i)
	return frac, exp, ok
}

// skip scans over a value of a key no field takes.
func (d *decoder) skip(depth int) bool {
	if depth > maxDepth {
		return false
	}
	switch c := d.peek(); {
	case c == '{':
		d.i++
		for n := 0; ; n++ {
			_, more, ok := d.member(n)
			if !ok || !more {
				return ok
			}
			if !d.skip(depth + 1) {
				return false
			}
		}
	case c == '[':
		d.i++
		for n := 0; ; n++ {
			more, ok := d.element(n)
			if !ok || !more {
				return ok
			}
			if !d.skip(depth + 1) {
				return false
			}
		}
	case c == '"':
		_, _, ok := d.str()
		return ok
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		_, _, ok := d.number()
		return ok
	}
	return false
}

// unknown skips the value of a key that is none of names, unless
// encoding/json would match the key to one of them by case folding.
func (d *decoder) unknown(key []byte, names []string) bool {
	for _, name := range names {
		if strings.EqualFold(string(key), name) {
			return false
		}
	}
	return d.skip(0)
}

// text decodes a string into dst; shared interns it (see intern).
func (d *decoder) text(dst *string, shared bool) bool {
	switch d.peek() {
	case 'n':
		return d.null()
	case '"':
	default:
		return false
	}
	start := d.i
	esc, high, ok := d.str()
	if !ok {
		return false
	}
	body := d.b[start+1 : d.i-1]
	switch {
	case esc || high && !utf8.Valid(body):
		// Escapes, or invalid UTF-8 that encoding/json replaces: rare
		// enough to leave this one string to encoding/json itself.
		var s string
		if json.Unmarshal(d.b[start:d.i], &s) != nil {
			return false
		}
		*dst = s
	case shared:
		*dst = intern(body)
	default:
		*dst = string(body)
	}
	return true
}

// float decodes a number into dst.
func (d *decoder) float(dst *float64) bool {
	if d.peek() == 'n' {
		return d.null()
	}
	start := d.i
	if _, _, ok := d.number(); !ok {
		return false
	}
	f, err := strconv.ParseFloat(string(d.b[start:d.i]), 64)
	*dst = f
	return err == nil
}

// boolean decodes true or false into dst.
func (d *decoder) boolean(dst *bool) bool {
	switch d.peek() {
	case 't':
		*dst = true
		return d.literal("true")
	case 'f':
		*dst = false
		return d.literal("false")
	case 'n':
		return d.null()
	}
	return false
}

// object consumes the '{' of an object, or a null (more false): null
// leaves a struct as it is.
func (d *decoder) object() (more, ok bool) {
	switch d.peek() {
	case '{':
		d.i++
		return true, true
	case 'n':
		return false, d.null()
	}
	return false, false
}

// array decodes an array of T into *dst, each element with elem, through
// the scratch buffer *buf.
func array[T any](d *decoder, dst *[]T, buf *[]T, elem func(*decoder, *T) bool) bool {
	switch d.peek() {
	case 'n':
		*dst = nil
		return d.null()
	case '[':
	default:
		return false
	}
	if *dst != nil {
		return false // given twice: see the top of the file
	}
	d.i++
	s := (*buf)[:0]
	ok := true
	for n := 0; ok; n++ {
		var more bool
		if more, ok = d.element(n); !more || !ok {
			break
		}
		var zero T
		s = append(s, zero)
		ok = elem(d, &s[len(s)-1])
	}
	*buf = s
	if ok {
		// Never nil, even when empty, like encoding/json's.
		*dst = append(make([]T, 0, len(s)), s...)
	}
	return ok
}

func (d *decoder) id(id *event.ID) bool {
	more, ok := d.object()
	for n := 0; more && ok; n++ {
		var key []byte
		if key, more, ok = d.member(n); !more || !ok {
			break
		}
		switch string(key) {
		case "kind":
			ok = d.text((*string)(&id.Kind), true)
		case "value":
			ok = d.text(&id.Value, false)
		default:
			ok = d.unknown(key, idKeys)
		}
	}
	return ok
}

func (d *decoder) whereObject(dst **event.Where) bool {
	if d.peek() == 'n' {
		*dst = nil
		return d.null()
	}
	more, ok := d.object()
	if !ok {
		return false
	}
	if *dst == nil {
		if *dst = d.where; *dst == nil {
			*dst = new(event.Where)
		}
		d.where = nil
	}
	w := *dst
	for n := 0; more && ok; n++ {
		var key []byte
		if key, more, ok = d.member(n); !more || !ok {
			break
		}
		switch string(key) {
		case "place":
			ok = d.text(&w.Place, true)
		case "lat":
			ok = d.float(&w.Lat)
		case "lon":
			ok = d.float(&w.Lon)
		case "accuracy_m":
			ok = d.float(&w.AccuracyM)
		default:
			ok = d.unknown(key, whereKeys)
		}
	}
	return ok
}

// record decodes the data object into r: ids and where into their types,
// every other member as a plain value.
//
// Values are parsed first into d.nodes, in document order (see node), and
// then built into one slice of members for the whole event: an event's
// values cost one allocation, however many objects and arrays it nests.
func (d *decoder) record(r *Record) bool {
	r.Data.Kind = Object
	d.nodes, d.roots = d.nodes[:0], d.roots[:0]
	more, ok := d.object()
	var sawIDs, sawWhere bool
	for n := 0; more && ok; n++ {
		var key []byte
		if key, more, ok = d.member(n); !more || !ok {
			break
		}
		switch string(key) {
		case "ids":
			if sawIDs {
				return false // given twice: the reference keeps the last only
			}
			sawIDs = true
			ok = array(d, &r.IDs, &d.ids, (*decoder).id)
		case "where":
			if sawWhere {
				return false
			}
			sawWhere = true
			ok = d.whereObject(&r.Where)
		default:
			d.roots = append(d.roots, int32(len(d.nodes)))
			ok = d.value(key, 1)
		}
	}
	if !ok {
		return false
	}
	if len(d.roots) > 0 {
		all := make([]Member, len(d.nodes))
		b := builder{d: d, all: all}
		r.Data.Members = b.block(d.roots, true)
	}
	return true
}

// node is a value as parsed, before it is built: its members or elements
// follow it in d.nodes, each with its own descendants, Size nodes in all.
type node struct {
	Key   string
	Kind  Kind
	S     string
	N     float64
	Count int32 // members or elements
	Size  int32 // descendants
}

// value parses one value, with its key (nil for an array element), into
// d.nodes.
func (d *decoder) value(key []byte, depth int) bool {
	if depth > maxDepth {
		return false
	}
	at := len(d.nodes)
	d.nodes = append(d.nodes, node{})
	nd := &d.nodes[at]
	if key != nil {
		nd.Key = intern(key)
	}
	switch c := d.peek(); {
	case c == '"':
		nd.Kind = String
		return d.text(&nd.S, true)
	case c == 't' || c == 'f':
		nd.Kind = Bool
		var b bool
		ok := d.boolean(&b)
		if b {
			nd.N = 1
		}
		return ok
	case c == 'n':
		nd.Kind = Null
		return d.null()
	case c == '-' || c >= '0' && c <= '9':
		nd.Kind = Number
		return d.float(&nd.N)
	case c == '{':
		d.i++
		nd.Kind = Object
		var count int32
		for n := 0; ; n++ {
			key, more, ok := d.member(n)
			if !ok || !more {
				d.close(at, count)
				return ok
			}
			if !d.value(key, depth+1) {
				return false
			}
			count++
		}
	case c == '[':
		d.i++
		d.nodes[at].Kind = Array
		var count int32
		for n := 0; ; n++ {
			more, ok := d.element(n)
			if !ok || !more {
				d.close(at, count)
				return ok
			}
			if !d.value(nil, depth+1) {
				return false
			}
			count++
		}
	}
	return false
}

// close records the size of the container parsed at at.
func (d *decoder) close(at int, count int32) {
	d.nodes[at].Count = count
	d.nodes[at].Size = int32(len(d.nodes) - at - 1)
}

// builder builds the parsed nodes into members, every block of members
// (an object's, an array's) a piece of one slice, all.
type builder struct {
	d    *decoder
	all  []Member
	next int
}

// block builds the nodes at idx into the next block of all: an object's
// members sorted by key, each key once (the last given wins, as in
// encoding/json's maps), or an array's elements in order.
func (b *builder) block(idx []int32, object bool) []Member {
	if object {
		slices.SortStableFunc(idx, func(x, y int32) int { return strings.Compare(b.d.nodes[x].Key, b.d.nodes[y].Key) })
		kept := idx[:0]
		for k, i := range idx {
			if k+1 < len(idx) && b.d.nodes[idx[k+1]].Key == b.d.nodes[i].Key {
				continue // a later value of the same key wins
			}
			kept = append(kept, i)
		}
		idx = kept
	}
	out := b.all[b.next : b.next+len(idx) : b.next+len(idx)]
	b.next += len(idx)
	for k, i := range idx {
		out[k] = Member{Key: b.d.nodes[i].Key, Value: b.build(i)}
	}
	return out
}

// build builds node i.
func (b *builder) build(i int32) Value {
	nd := &b.d.nodes[i]
	v := Value{Kind: nd.Kind, S: nd.S, N: nd.N}
	if nd.Kind != Object && nd.Kind != Array {
		return v
	}
	// The children: the first follows the node, each next one after the
	// previous one's descendants. Their indices go on the shared stack d.kids.
	from := len(b.d.kids)
	for j, c := i+1, int32(0); c < nd.Count; c++ {
		b.d.kids = append(b.d.kids, j)
		j += 1 + b.d.nodes[j].Size
	}
	v.Members = b.block(b.d.kids[from:], nd.Kind == Object)
	b.d.kids = b.d.kids[:from]
	return v
}
