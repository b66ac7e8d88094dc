package linker

// Reading a closed bin as a partitioned scorer would (docs/scaling.md,
// "Step 3: partition by anchor").
//
// The linker reads a closed bin a few anchors a record, and decides each
// anchor as soon as it is scored: a link made for one anchor changes the
// clusters the next is scored against, and the records in between change
// the graph too. A scorer split over several workers cannot do that: each
// would score its share of the bin against the graph as of one point of
// the stream, the barrier, and the decisions would be taken afterwards, in
// one order that every worker follows. atClose reads a bin that way, in
// one process: every anchor of the bin is scored when the bin closes,
// before any of them is decided, then each is decided in identifier order
// (the order they were read in). Tests use it to measure what the
// barrier costs in accuracy before anything is built on it.

// decideRead decides, in the order they were read, the anchors of the bin
// just read (atClose): each as it stands after the whole bin was scored,
// against the graph as the decisions before it left it.
func (l *Linker) decideRead() {
	ids := l.undecided
	l.undecided = l.undecided[:0]
	for i, id := range ids {
		if i > 0 && ids[i-1] == id {
			continue // an anchor seen at two spots of the bin: decided once
		}
		if a := l.co.Anchors[id]; a != nil {
			l.settle(id, a)
		}
	}
}
