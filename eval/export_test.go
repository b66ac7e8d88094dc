package eval

import "context"

// RunSkipping is Run with the events skip names left out before any fault
// is done, as if no producer had emitted them.
func RunSkipping(ctx context.Context, cfg Config, skip func(id string) bool) (Result, error) {
	cfg.skip = skip
	return Run(ctx, cfg)
}
