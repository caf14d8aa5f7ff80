package notify

import (
	"context"
	"errors"

	"github.com/igtoken/igtoken"
)

// Multi tells every Notifier in it about each event, in order. Nil entries
// are skipped.
type Multi []igtoken.Notifier

var _ igtoken.Notifier = Multi(nil)

// Notify calls every notifier, even after one fails, and returns the
// failures joined with errors.Join (nil if there were none). The notifiers
// run one after another: wrap slow ones in [NewAsync].
func (m Multi) Notify(ctx context.Context, e igtoken.Event) error {
	var errs []error
	for _, n := range m {
		if n == nil {
			continue
		}
		if err := n.Notify(ctx, e); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
