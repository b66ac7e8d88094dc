package aggregator

import (
	"strings"

	"exhaust/event"
)

// Find lists, in Profiles' order, the profiles whose name, or the value of
// one of whose identifiers, contains text, ignoring case: "dubois", a MAC
// address's "3c:22", a phone number's "+3367". An empty text matches every
// profile. It reads what the beast holds, never the ground truth.
func (e *Engine) Find(text string) []Summary {
	e.warm()
	e.mu.RLock()
	defer e.mu.RUnlock()
	all, roots := e.index()
	needle := strings.ToLower(text)
	out := make([]Summary, 0)
	for _, s := range all {
		if strings.Contains(strings.ToLower(s.Name), needle) || e.anyIdentifierContains(roots[s.ID], needle) {
			out = append(out, s)
		}
	}
	return out
}

// anyIdentifierContains reports whether the value of one of root's
// cluster's identifiers contains needle (lower case), ignoring case. Call
// with e.mu held.
func (e *Engine) anyIdentifierContains(root event.ID, needle string) bool {
	for _, id := range e.graph.Members(root) {
		if strings.Contains(strings.ToLower(id.Value), needle) {
			return true
		}
	}
	return false
}
