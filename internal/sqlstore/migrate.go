package sqlstore

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one numbered schema change.
type Migration struct {
	Version int    // the number its file name starts with
	Name    string // its file name, NNNN_what.sql
	SQL     string
}

// LoadMigrations returns the migrations in dir of fsys, the .sql files,
// in version order. Each name must start with a positive number and _,
// and no two may share a number: a released migration is never edited or
// renumbered, so a mistake here would leave databases out of step.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and _", base)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: base, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share a version", out[i-1].Name, out[i].Name)
		}
	}
	return out, nil
}

// Pending returns those of all, in version order, that a schema at version
// current lacks. It refuses a schema newer than the last of all: a
// database migrated by a newer osemu may hold data this one would misread.
func Pending(all []Migration, current int) ([]Migration, error) {
	if n := len(all); n > 0 && current > all[n-1].Version {
		return nil, fmt.Errorf("schema version %d is newer than this osemu knows (%d)",
			current, all[n-1].Version)
	}
	var out []Migration
	for _, m := range all {
		if m.Version > current {
			out = append(out, m)
		}
	}
	return out, nil
}
