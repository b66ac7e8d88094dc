package event

// FastVerdict exposes the fast path's own decision on raw, without the
// reference's confirmation of rejects, so the differential tests can hold
// it to the reference. decided is false when the fast path leaves the event
// to the reference (or is disabled).
func FastVerdict(v *Validator, raw []byte) (ev *Event, reason, typ string, decided bool) {
	if v.fast == nil {
		return nil, "", "", false
	}
	if len(raw) > v.maxSize {
		return nil, ReasonOversized, "", true
	}
	vd := v.fast.validate(raw, v.data)
	if vd.undecided {
		return nil, "", "", false
	}
	return vd.ev, vd.reason, vd.typ, true
}

// ForgetDeclared sets the vocabulary to the built-in kinds alone for the
// test (the producers a test binary imports may have declared kinds), and
// restores it, forgetting what the test declared, when t ends.
func ForgetDeclared(t interface{ Cleanup(func()) }) {
	declareMu.Lock()
	saved := declared
	declared = nil
	vocab.Store(build(nil))
	declareMu.Unlock()
	t.Cleanup(func() {
		declareMu.Lock()
		defer declareMu.Unlock()
		declared = saved
		vocab.Store(build(saved))
	})
}
