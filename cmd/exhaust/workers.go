package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"exhaust/natsbus"
	"exhaust/shard"
)

// workersReport is what exhaust workers prints with --json.
type workersReport struct {
	Bucket        string         `json:"bucket"`
	TTLSeconds    float64        `json:"ttl_seconds"`
	StreamLastSeq uint64         `json:"stream_last_seq"`
	Workers       []workerReport `json:"workers"`
}

// workerReport is one slot of the group.
type workerReport struct {
	Slot    int       `json:"slot"`
	Host    string    `json:"host,omitempty"`
	HTTP    string    `json:"http,omitempty"`
	Started time.Time `json:"started"`
	// Its durable consumer, as the server reports it: the stream sequence
	// acknowledged up to, the messages not yet delivered, and those
	// delivered and not yet acknowledged. Zero if the consumer does not
	// exist yet (the worker is starting).
	Consumer   string `json:"consumer"`
	AckFloor   uint64 `json:"ack_floor"`
	Pending    uint64 `json:"pending"`
	AckPending int    `json:"ack_pending"`
	// Its slot's snapshot and the stream sequence it covers (0: none).
	Snapshot    string `json:"snapshot"`
	SnapshotSeq uint64 `json:"snapshot_seq"`
	// The chores it does for the group (shard.SnapshotsKey,
	// shard.CityScoreKey).
	SnapshotDuty bool `json:"snapshot_duty"`
	CityScore    bool `json:"city_score"`
}

// runWorkers lists the aggregator workers of a group, as the server sees
// them: the operator's view of who is alive, how far each has got, and
// who does the group's chores.
func runWorkers(ctx context.Context, args []string, env *cliEnv) error {
	fs := newFlagSet("workers", "workers --nats URL [flags]",
		"Lists the aggregator workers sharing a city on a NATS server or cluster, from\nthe "+natsbus.WorkerBucket+" bucket and the server: each live slot's host, HTTP\naddress and start, its durable consumer's progress (acknowledged up to,\npending), the sequence its snapshot covers, and which worker takes the\ngroup's snapshots and which scores the city against the truth. It changes\nnothing. A worker that died is listed until the bucket's TTL forgets it.",
		env.stdout)
	natsURL := fs.String("nats", "nats://127.0.0.1:4222", natsFlagUsage)
	var auth natsAuth
	auth.register(fs)
	asJSON := fs.Bool("json", false, "print one JSON object (fields in docs/deploy.md)")
	if err := parseFlags(fs, args, env.getenv); err != nil {
		return err
	}
	nc, js, err := auth.connect(ctx, *natsURL, "exhaust-workers", env.log)
	if err != nil {
		return err
	}
	defer nc.Close()
	rep, err := workersOf(ctx, js)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(rep)
	}
	rep.print(env.stdout, nc.ConnectedUrlRedacted())
	return nil
}

// workersOf reads the group from the server.
func workersOf(ctx context.Context, js jetstream.JetStream) (workersReport, error) {
	infos, ttl, err := natsbus.ListWorkers(ctx, js)
	if err != nil {
		return workersReport{}, err
	}
	rep := workersReport{Bucket: natsbus.WorkerBucket, TTLSeconds: ttl.Seconds(), Workers: []workerReport{}}
	stream, err := js.Stream(ctx, natsbus.StreamName)
	if err != nil {
		return rep, fmt.Errorf("stream %s: %w", natsbus.StreamName, err)
	}
	rep.StreamLastSeq = stream.CachedInfo().State.LastSeq
	snaps, err := natsbus.SnapshotSeqs(ctx, js)
	if err != nil {
		return rep, err
	}
	live := make([]int, len(infos))
	for i, info := range infos {
		live[i] = info.Slot
	}
	for _, info := range infos {
		w := workerReport{Slot: info.Slot, Host: info.Host, HTTP: info.HTTP, Started: info.Started,
			Consumer: workerConsumer(info.Slot), Snapshot: workerSnapshot(info.Slot),
			SnapshotDuty: shard.Owner(shard.SnapshotsKey, live) == info.Slot,
			CityScore:    shard.Owner(shard.CityScoreKey, live) == info.Slot}
		w.SnapshotSeq = snaps[w.Snapshot]
		cons, err := js.Consumer(ctx, natsbus.StreamName, w.Consumer)
		switch {
		case errors.Is(err, jetstream.ErrConsumerNotFound):
		case err != nil:
			return rep, fmt.Errorf("consumer %s: %w", w.Consumer, err)
		default:
			ci := cons.CachedInfo()
			w.AckFloor, w.Pending, w.AckPending = ci.AckFloor.Stream, ci.NumPending, ci.NumAckPending
		}
		rep.Workers = append(rep.Workers, w)
	}
	return rep, nil
}

// print writes the report as a table.
func (r workersReport) print(w io.Writer, server string) {
	if len(r.Workers) == 0 {
		fmt.Fprintf(w, "no live worker in %s on %s (stream %s at sequence %d)\n", r.Bucket, server, natsbus.StreamName, r.StreamLastSeq)
		return
	}
	fmt.Fprintf(w, "%d worker(s) in %s on %s (a silent one is forgotten after %s); stream %s at sequence %d\n",
		len(r.Workers), r.Bucket, server, time.Duration(r.TTLSeconds*float64(time.Second)), natsbus.StreamName, r.StreamLastSeq)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SLOT\tHOST\tHTTP\tSTARTED\tCONSUMER\tACKED TO\tPENDING\tSNAPSHOT AT\tCHORES")
	for _, x := range r.Workers {
		chores := ""
		if x.SnapshotDuty {
			chores = "snapshots"
		}
		if x.CityScore {
			if chores != "" {
				chores += ", "
			}
			chores += "city score"
		}
		snap := "-"
		if x.SnapshotSeq > 0 {
			snap = strconv.FormatUint(x.SnapshotSeq, 10)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", x.Slot, orDash(x.Host), orDash(x.HTTP),
			x.Started.UTC().Format(time.RFC3339), x.Consumer, x.AckFloor, x.Pending, snap, orDash(chores))
	}
	tw.Flush()
}

// orDash is s, or "-" if it is empty, for a table cell.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
