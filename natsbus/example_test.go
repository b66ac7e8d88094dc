package natsbus_test

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"

	"exhaust/natsbus"
)

// Start an embedded server, make sure the EXHAUST stream exists and publish
// events with a Publisher. Publishing the same message id twice stores it
// once.
func ExamplePublisher() {
	log := slog.New(slog.DiscardHandler)
	srv, err := natsbus.StartServer(natsbus.ServerConfig{Listen: "127.0.0.1:0", Logger: log})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Shutdown()

	ctx := context.Background()
	nc, err := natsbus.Connect(ctx, srv.URL(), "example", log)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if _, err := natsbus.EnsureStream(ctx, js, natsbus.DefaultStreamConfig()); err != nil {
		fmt.Println(err)
		return
	}

	p, _ := natsbus.NewPublisher(js, natsbus.PublisherOptions{})
	defer p.Close()
	for _, id := range []string{"evt-1", "evt-2", "evt-1"} {
		if err := p.Publish(ctx, "exhaust.transit.tap", id, []byte(`{"line":"4"}`)); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := p.Flush(ctx); err != nil {
		fmt.Println(err)
		return
	}
	s := p.Stats()
	fmt.Printf("published %d, duplicates %d\n", s.Published, s.Duplicates)
	// Output: published 2, duplicates 1
}
