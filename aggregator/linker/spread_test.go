package linker_test

import (
	"testing"

	"exhaust/aggregator/graph"
	"exhaust/aggregator/linker"
)

// TestClosedBinReadOverHalfTheBinBefore follows a day of 1,000 people
// record by record: while a bin is read, no record reads more of its
// anchors than its share over half the records the bin before had (the
// bound of spreadOver), so that a busy bin's reading is not dealt to a
// few records in a row, each many times slower than usual, which holds
// a fast stream up (docs/performance.md, "A closed bin read over half a
// bin's records"). And the reading is done on schedule, before the next
// bin closes, for most bins.
func TestClosedBinReadOverHalfTheBinBefore(t *testing.T) {
	if testing.Short() {
		t.Skip("a day of 1,000 people")
	}
	records := sharedDay(t, 1000)
	g := graph.New()
	l := linker.New(linker.DefaultConfig(), g)
	var (
		since              int   // records since the bin being read closed
		before             int   // records the bin before it had
		bound              int   // the most anchors a record may read of it
		reading            int64 // the bin being read
		busy, late, closed int
	)
	for i := range records {
		bin0, _, read0, ok0 := l.Closing()
		apply(g, l, records[i:i+1])
		if len(records[i].IDs) == 0 {
			continue // the linker counts only records with identifiers
		}
		since++
		bin, n, read, ok := l.Closing()
		if ok && (!ok0 || bin != bin0) {
			// A bin closed with this record, which is its first.
			if reading != 0 && ok0 && bin0 == reading {
				late++ // the bin before was finished at once
			}
			closed++
			before, since, reading = since-1, 1, bin
			bound = (n + max(1, before/2) - 1) / max(1, before/2)
			if n/4 > bound {
				busy++ // four anchors a record would be more than its share
			}
			if read > bound {
				t.Fatalf("record %d: bin %d (%d anchors, %d records in the bin before) read %d anchors on its first record, want at most %d", i, bin, n, before, read, bound)
			}
			continue
		}
		if ok && bin == bin0 && read-read0 > bound {
			t.Fatalf("record %d: bin %d (%d anchors, %d records in the bin before) read %d anchors in one record, want at most %d", i, bin, n, before, read-read0, bound)
		}
	}
	t.Logf("%d bins closed; %d of them with more than 4 anchors per record's share; %d finished at once when the next closed", closed, busy, late)
	if busy == 0 {
		t.Fatal("no bin busy enough to tell a spread reading from four anchors a record")
	}
	if late*10 > closed {
		t.Errorf("%d of %d bins were still being read when the next closed: the spread is too wide", late, closed)
	}
}
