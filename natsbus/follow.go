package natsbus

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// FollowTruth reads the persons' ground truth (PersonSubjects; not the
// fault reports) from the stream's start and keeps following it, calling h
// with each message's subject and payload in stream order, until ctx ends
// (it then returns ctx's error). The stream holds one message per person,
// so a reader that starts late still sees everyone's latest truth.
//
// It uses an ordered consumer: ephemeral, unacknowledged, recreated by the
// client library after a reconnect or a missed message, so nothing needs
// cleaning up and a crash leaves nothing behind.
func FollowTruth(ctx context.Context, js jetstream.JetStream, h func(subject string, data []byte)) error {
	cons, err := js.OrderedConsumer(ctx, TruthStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{PersonSubjects},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return fmt.Errorf("follow truth: %w", err)
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("follow truth: %w", err)
	}
	defer StopIterator(it)
	for {
		m, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("follow truth: %w", err)
		}
		h(m.Subject(), m.Data())
	}
}
