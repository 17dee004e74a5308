package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/storetest"
)

// BenchmarkStore runs the engine-independent listing benchmarks.
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B, fill func(osemu.Tx) error) osemu.Store {
		s, err := Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		mustUpdate(b, s, fill)
		return s
	})
}
