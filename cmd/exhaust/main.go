// Command exhaust runs the data-exhaust demonstrator: a simulated city whose
// sensors publish what they see to NATS, and (soon) the aggregator that links
// it all into profiles.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, env *cliEnv) error
}

// cliEnv is what a command may touch of the outside world; tests supply
// their own.
type cliEnv struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	log    *slog.Logger
}

var commands = []command{
	{"demo", "start NATS and every producer, and show what is happening", runDemo},
	{"produce", "publish the simulated city's exhaust to a NATS server", runProduce},
	{"aggregate", "consume the exhaust and link it into profiles, with an HTTP API and metrics", runAggregate},
	{"setup", "create the NATS streams (the deploy stack runs it as its admin user)", runSetup},
	{"workers", "list the aggregator workers sharing a city: their progress, and who takes the snapshots", runWorkers},
	{"producers", "list the producers with their subjects, identifier kinds and schemas", runProducers},
	{"city", "simulate the city in process and report it: people, places, events per person, unicity against the papers", runCity},
	{"eval", "sweep the aggregator's accuracy over people, days and seeds, in process: linking, home, work, sleep, unicity", runEval},
	{"bench", "measure throughput: bench publish (--fast publishing vs a raw JetStream publisher), bench aggregate (the aggregator vs raw consumers), bench scale (produce and aggregate as processes: rates, peak RSS, latency)", runBench},
	{"version", "print the version and the commit it was built from", runVersion},
}

func usage(w io.Writer) {
	fmt.Fprint(w, `exhaust: a demonstrator of data exhaust, the traces an ordinary day leaves behind.

Usage: exhaust <command> [flags]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run "exhaust <command> --help" for a command's flags. Every flag can also be
set with an EXHAUST_* environment variable (--nats-listen: EXHAUST_NATS_LISTEN).
`)
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, env *cliEnv) int {
	if len(args) == 0 {
		usage(env.stderr)
		return 2
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" || name == "-help" {
		usage(env.stdout)
		return 0
	}
	for _, c := range commands {
		if c.name != name {
			continue
		}
		err := c.run(ctx, args[1:], env)
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, context.Canceled) && ctx.Err() != nil:
			return 0 // stopped with Ctrl-C: a clean stop
		case errors.As(err, new(usageError)):
			fmt.Fprintf(env.stderr, "exhaust %s: %v\n", name, err)
			return 2
		default:
			fmt.Fprintf(env.stderr, "exhaust %s: %v\n", name, err)
			return 1
		}
	}
	fmt.Fprintf(env.stderr, "exhaust: unknown command %q (run exhaust --help for the list)\n", name)
	return 2
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	os.Exit(run(ctx, os.Args[1:], &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: osGetenv, log: log}))
}
