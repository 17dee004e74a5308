package postgres

import (
	"testing"
	"time"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/storetest"
)

// BenchmarkStore runs the engine-independent listing benchmarks on a new
// schema each, vacuumed after it is filled, as autovacuum would a live
// database. Filling 100k rows in one transaction takes longer than the
// default operation timeout.
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B, fill func(osemu.Tx) error) osemu.Store {
		s := openTest(b, WithOpTimeout(10*time.Minute))
		mustUpdate(b, s, fill)
		vacuum(b, s)
		return s
	})
}
