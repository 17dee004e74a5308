package sqlstore

import (
	"fmt"
	"testing"
	"testing/fstest"
)

func TestLoadMigrations(t *testing.T) {
	file := func(sql string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(sql)} }
	tests := []struct {
		name  string
		files fstest.MapFS
		want  string // the versions and names, or the error
	}{
		{"ordered by number, not by name", fstest.MapFS{
			"m/0010_ten.sql": file("10"),
			"m/0002_two.sql": file("2"),
			"m/1_one.sql":    file("1"),
			"m/notes.txt":    file("not a migration"),
		}, "[{1 1_one.sql 1} {2 0002_two.sql 2} {10 0010_ten.sql 10}]"},
		{"none", fstest.MapFS{}, "[]"},
		{"no number", fstest.MapFS{"m/init.sql": file("")},
			"migration init.sql: name must start with a positive number and _"},
		{"no underscore", fstest.MapFS{"m/0001.sql": file("")},
			"migration 0001.sql: name must start with a positive number and _"},
		{"zero", fstest.MapFS{"m/0000_zero.sql": file("")},
			"migration 0000_zero.sql: name must start with a positive number and _"},
		{"shared number", fstest.MapFS{"m/0001_a.sql": file(""), "m/01_b.sql": file("")},
			"migrations 0001_a.sql and 01_b.sql share a version"},
	}
	for _, tc := range tests {
		all, err := LoadMigrations(tc.files, "m")
		got := fmt.Sprint(all)
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestPending(t *testing.T) {
	all := []Migration{{Version: 1}, {Version: 2}, {Version: 5}}
	tests := []struct {
		current int
		want    string
	}{
		{0, "[1 2 5]"},
		{2, "[5]"},
		{3, "[5]"},
		{5, "[]"},
		{6, "schema version 6 is newer than this osemu knows (5)"},
	}
	for _, tc := range tests {
		pending, err := Pending(all, tc.current)
		var versions []int
		for _, m := range pending {
			versions = append(versions, m.Version)
		}
		got := fmt.Sprint(versions)
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("Pending at version %d: got %s, want %s", tc.current, got, tc.want)
		}
	}
}
