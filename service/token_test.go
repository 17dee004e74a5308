package service

import (
	"context"
	"encoding/base64"
	"path/filepath"
	"testing"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/sqlite"
)

func openStore(t *testing.T) osemu.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "osemu.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	tok := &tokens{store: store}
	listing := cursor{Op: "ListDomainsForPackage", Scope: "111111111111/us-east-1", Parent: "F1"}

	issued := listing
	issued.Key = "domain-099"
	token, err := tok.encode(ctx, issued)
	if err != nil {
		t.Fatal(err)
	}

	got, err := tok.decode(ctx, token, listing)
	if err != nil || got.Key != "domain-099" {
		t.Fatalf("decode of an issued token: %+v %v", got, err)
	}

	// A second service on the same store, as another replica would be,
	// accepts the token; one on another store does not.
	if _, err := (&tokens{store: store}).decode(ctx, token, listing); err != nil {
		t.Errorf("same store, new service: %v", err)
	}
	if _, err := (&tokens{store: openStore(t)}).decode(ctx, token, listing); osemu.ErrorCode(err) != osemu.CodeValidation {
		t.Errorf("another store: got %v, want ValidationException", err)
	}

	raw, _ := base64.RawURLEncoding.DecodeString(token)
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	forged := map[string]struct {
		token string
		want  cursor
	}{
		"payload bit flipped": {flip(3), listing},
		"mac bit flipped":     {flip(len(raw) - 1), listing},
		"truncated":           {token[:len(token)-4], listing},
		"not base64":          {"!!!", listing},
		"empty payload":       {base64.RawURLEncoding.EncodeToString(raw[len(raw)-macSize:]), listing},
		"other operation":     {token, cursor{Op: "ListPackagesForDomain", Scope: listing.Scope, Parent: "F1"}},
		"other scope":         {token, cursor{Op: listing.Op, Scope: "222222222222/us-east-1", Parent: "F1"}},
		"other package":       {token, cursor{Op: listing.Op, Scope: listing.Scope, Parent: "F2"}},
		"other filters":       {token, cursor{Op: listing.Op, Scope: listing.Scope, Parent: "F1", Filter: "x"}},
	}
	for name, tt := range forged {
		t.Run(name, func(t *testing.T) {
			_, err := tok.decode(ctx, tt.token, tt.want)
			if osemu.ErrorCode(err) != osemu.CodeValidation {
				t.Errorf("got %v, want ValidationException", err)
			}
		})
	}
}

func TestPageLimit(t *testing.T) {
	tests := []struct {
		max     int
		want    int
		wantErr bool
	}{
		{0, 100, false}, {1, 1, false}, {100, 100, false}, {101, 0, true}, {-1, 0, true},
	}
	for _, tt := range tests {
		got, err := Page{MaxResults: tt.max}.limit()
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("limit of %d: got %d, %v; want %d, error %v", tt.max, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestPackageFiltersKey(t *testing.T) {
	a := PackageFilters{"PackageName": {"b", "a"}, "PackageStatus": {"AVAILABLE"}}
	b := PackageFilters{"PackageStatus": {"AVAILABLE"}, "PackageName": {"a", "b"}}
	if a.key() != b.key() {
		t.Errorf("same filters in another order: %q != %q", a.key(), b.key())
	}
	c := PackageFilters{"PackageName": {"a"}}
	if a.key() == c.key() || (PackageFilters{}).key() != "" {
		t.Errorf("different filters share a key: %q %q", a.key(), c.key())
	}
}
