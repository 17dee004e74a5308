package source

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// WithoutBackoff makes retries immediate, so that tests need not wait.
func WithoutBackoff() Option {
	return func(o *s3Options) {
		o.backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	}
}
