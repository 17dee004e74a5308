package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/storetest"
)

// openTest opens a new database in a temporary directory, closed when t
// ends.
func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "osemu.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) osemu.Store {
		s := openTest(t)

		// After each area, before the store closes, the grants are still
		// exactly what the packages call for.
		t.Cleanup(func() { checkGrants(t, s) })
		return s
	})
}
