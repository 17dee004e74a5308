package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/osemu/osemu"
)

func upload(id, bucket, key string) *osemu.Upload {
	return &osemu.Upload{ID: id, Bucket: bucket, Key: key, CreatedAt: at(0)}
}

func part(uploadID string, number int) *osemu.Part {
	return &osemu.Part{
		UploadID: uploadID,
		Number:   number,
		Blob: osemu.BlobRef{
			ID: fmt.Sprintf("blob-%s-%d", uploadID, number), Size: 5 << 20, SHA256: "s", MD5: "m",
		},
		ModifiedAt: at(time.Duration(number) * time.Second),
	}
}

// partNumbers returns the numbers of parts, in their order.
func partNumbers(ps []*osemu.Part) []int {
	var out []int
	for _, p := range ps {
		out = append(out, p.Number)
	}
	return out
}

// testUploads walks an upload and its parts through their lives.
func testUploads(t *testing.T, s osemu.Store) {
	u := upload("U1", "b", "dir/plugin.zip")
	u.Metadata = map[string]string{"Content-Type": "application/zip", "X-Amz-Meta-A": "1"}
	bare := upload("U2", "b", "dir/plugin.zip")
	update(t, s, func(tx osemu.Tx) error {
		must(t, "InsertUpload", tx.InsertUpload(u))
		return tx.InsertUpload(bare)
	})
	err := s.Update(t.Context(), func(tx osemu.Tx) error {
		return tx.InsertUpload(upload("U1", "other", "k"))
	})
	wantErr(t, "InsertUpload of a taken ID", err, osemu.ErrExists)

	view(t, s, func(tx osemu.Tx) error {
		got, err := tx.GetUpload("U1")
		must(t, "GetUpload", err)
		equal(t, "GetUpload", got, u)
		got, err = tx.GetUpload("U2")
		must(t, "GetUpload", err)
		equal(t, "GetUpload without metadata", got, bare)
		_, err = tx.GetUpload("U404")
		wantErr(t, "GetUpload missing", err, osemu.ErrNotFound)
		return nil
	})

	// PutPart adds parts, then replaces one and returns the old one.
	p1, p2 := part("U1", 1), part("U1", 2)
	newP1 := part("U1", 1)
	newP1.Blob = osemu.BlobRef{ID: "blob-again", Size: 7, SHA256: "s2", MD5: "m2"}
	newP1.ModifiedAt = at(time.Hour)
	update(t, s, func(tx osemu.Tx) error {
		for _, p := range []*osemu.Part{p1, p2, part("U2", 1)} {
			replaced, err := tx.PutPart(p)
			must(t, "PutPart", err)
			if replaced != nil {
				t.Errorf("PutPart of a new number: replaced %s", show(replaced))
			}
		}
		return nil
	})
	update(t, s, func(tx osemu.Tx) error {
		replaced, err := tx.PutPart(newP1)
		must(t, "PutPart", err)
		equal(t, "replaced part", replaced, p1)
		return nil
	})

	// A part of a missing upload is refused; the failed Update is left to
	// roll back, since an engine may not go on after a failed statement.
	err = s.Update(t.Context(), func(tx osemu.Tx) error {
		_, err := tx.PutPart(part("U404", 1))
		return err
	})
	wantErr(t, "PutPart of a missing upload", err, osemu.ErrNotFound)

	view(t, s, func(tx osemu.Tx) error {
		ps, err := tx.ListParts("U1", 0, 0)
		must(t, "ListParts", err)
		equal(t, "ListParts", ps, []*osemu.Part{newP1, p2})
		ps, err = tx.ListParts("U404", 0, 0)
		must(t, "ListParts of a missing upload", err)
		if len(ps) != 0 {
			t.Errorf("ListParts of a missing upload: got %s, want none", show(ps))
		}
		return nil
	})

	// DeleteUpload returns the parts it removed, only the upload's own.
	update(t, s, func(tx osemu.Tx) error {
		parts, err := tx.DeleteUpload("U1")
		must(t, "DeleteUpload", err)
		slices.SortFunc(parts, func(a, b *osemu.Part) int { return cmp.Compare(a.Number, b.Number) })
		equal(t, "deleted parts", parts, []*osemu.Part{newP1, p2})
		_, err = tx.GetUpload("U1")
		wantErr(t, "GetUpload after DeleteUpload", err, osemu.ErrNotFound)
		_, err = tx.DeleteUpload("U1")
		wantErr(t, "DeleteUpload missing", err, osemu.ErrNotFound)
		return nil
	})
	view(t, s, func(tx osemu.Tx) error {
		ps, err := tx.ListParts("U2", 0, 0)
		must(t, "ListParts", err)
		equal(t, "parts of another upload", ps, []*osemu.Part{part("U2", 1)})
		return nil
	})

	// The parts went with their upload: a new upload of the same ID has
	// none, and an upload without parts deletes as well.
	update(t, s, func(tx osemu.Tx) error {
		must(t, "InsertUpload", tx.InsertUpload(upload("U1", "b", "k")))
		ps, err := tx.ListParts("U1", 0, 0)
		must(t, "ListParts", err)
		if len(ps) != 0 {
			t.Errorf("parts of a new upload of a deleted ID: got %s, want none", show(ps))
		}
		parts, err := tx.DeleteUpload("U1")
		must(t, "DeleteUpload", err)
		if len(parts) != 0 {
			t.Errorf("DeleteUpload of an upload without parts: got %s, want none", show(parts))
		}
		return nil
	})
}

// testUploadOrder lists uploads of keys that sort bytewise (see
// testObjectOrder), several to a key, by prefix and by (key, ID) pages. IDs
// compare as strings too: "U10" comes before "U2".
func testUploadOrder(t *testing.T, s osemu.Store) {
	type kid struct{ key, id string }
	all := []kid{
		{"A", "U7"},
		{"a%b", "U8"},
		{"a/b", "U1"}, {"a/b", "U10"}, {"a/b", "U2"},
		{"a/b/", "U3"},
		{"a/é", "U4"},
		{"a0", "U5"},
		{"a_b", "U6"}, {"a_b", "U9"},
		{"b", "U11"},
	}
	update(t, s, func(tx osemu.Tx) error {
		// Inserted out of order, and the same keys in another bucket.
		for i := range all {
			k := all[(i*5)%len(all)]
			must(t, "InsertUpload", tx.InsertUpload(upload(k.id, "bucket", k.key)))
			must(t, "InsertUpload", tx.InsertUpload(upload(k.id+"-other", "bucket2", k.key)))
		}
		return nil
	})

	const top = "\U0010FFFF" // above every ID
	tests := []struct {
		prefix, afterKey, afterID string
		limit                     int
		want                      []kid
	}{
		{"", "", "", 0, all},
		{"", "", "", 4, all[:4]},
		{"", "a/b", "U1", 3, []kid{{"a/b", "U10"}, {"a/b", "U2"}, {"a/b/", "U3"}}},
		{"", "a/b", "", 2, []kid{{"a/b", "U1"}, {"a/b", "U10"}}},
		{"", "a/b", top, 1, []kid{{"a/b/", "U3"}}},
		{"", "a/b", "U2", 1, []kid{{"a/b/", "U3"}}},
		{"", "a/a", "U99", 1, []kid{{"a/b", "U1"}}},
		{"", "b", "U11", 0, nil},
		{"a/", "", "", 0, all[2:7]},
		{"a/", "a", "U1", 2, all[2:4]},
		{"a/", "a/b/", "U3", 0, []kid{{"a/é", "U4"}}},
		{"a/", "a/é", "U4", 0, nil},
		{"a/", "z", "", 0, nil},
		{"a%", "", "", 0, []kid{{"a%b", "U8"}}},
		{"a_", "", "", 0, []kid{{"a_b", "U6"}, {"a_b", "U9"}}},
		{"a_b", "a_b", "U6", 0, []kid{{"a_b", "U9"}}},
		{"A", "", "", 0, []kid{{"A", "U7"}}},
		{"c", "", "", 0, nil},
	}
	view(t, s, func(tx osemu.Tx) error {
		for _, tc := range tests {
			us, err := tx.ListUploads("bucket", tc.prefix, tc.afterKey, tc.afterID, tc.limit)
			must(t, "ListUploads", err)
			var got []kid
			for _, u := range us {
				if u.Bucket != "bucket" {
					t.Errorf("ListUploads: upload of bucket %s", u.Bucket)
				}
				got = append(got, kid{u.Key, u.ID})
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("ListUploads(prefix %q, after (%q, %q), limit %d):\n got %q\nwant %q",
					tc.prefix, tc.afterKey, tc.afterID, tc.limit, got, tc.want)
			}
		}

		// Pages of two, each after the last of the one before, give every
		// upload once.
		var got []kid
		afterKey, afterID := "", ""
		for range len(all) {
			us, err := tx.ListUploads("bucket", "", afterKey, afterID, 2)
			must(t, "ListUploads", err)
			if len(us) == 0 {
				break
			}
			for _, u := range us {
				got = append(got, kid{u.Key, u.ID})
			}
			afterKey, afterID = us[len(us)-1].Key, us[len(us)-1].ID
		}
		if !slices.Equal(got, all) {
			t.Errorf("ListUploads in pages of 2:\n got %q\nwant %q", got, all)
		}

		us, err := tx.ListUploads("none", "", "", "", 0)
		must(t, "ListUploads", err)
		if len(us) != 0 {
			t.Errorf("ListUploads of a bucket without uploads: got %d", len(us))
		}
		us, err = tx.ListUploads("bucket2", "a/é", "", "", 0)
		must(t, "ListUploads", err)
		equal(t, "listed upload", us, []*osemu.Upload{upload("U4-other", "bucket2", "a/é")})
		return nil
	})
}

// testPartOrder lists parts added out of order by number, numerically, in
// pages.
func testPartOrder(t *testing.T, s osemu.Store) {
	numbers := []int{3, 1, 10, 2, 10000, 9}
	update(t, s, func(tx osemu.Tx) error {
		must(t, "InsertUpload", tx.InsertUpload(upload("U1", "b", "k")))
		must(t, "InsertUpload", tx.InsertUpload(upload("U2", "b", "k")))
		for _, n := range numbers {
			if _, err := tx.PutPart(part("U1", n)); err != nil {
				return err
			}
			if _, err := tx.PutPart(part("U2", n+1)); err != nil {
				return err
			}
		}
		return nil
	})

	tests := []struct {
		after, limit int
		want         []int
	}{
		{0, 0, []int{1, 2, 3, 9, 10, 10000}},
		{0, 1, []int{1}},
		{2, 2, []int{3, 9}},
		{3, 0, []int{9, 10, 10000}},
		{10, 5, []int{10000}},
		{10000, 0, nil},
	}
	view(t, s, func(tx osemu.Tx) error {
		for _, tc := range tests {
			ps, err := tx.ListParts("U1", tc.after, tc.limit)
			must(t, "ListParts", err)
			for _, p := range ps {
				if p.UploadID != "U1" {
					t.Errorf("ListParts: part of upload %s", p.UploadID)
				}
			}
			if got := partNumbers(ps); !slices.Equal(got, tc.want) {
				t.Errorf("ListParts(after %d, limit %d): got %v, want %v",
					tc.after, tc.limit, got, tc.want)
			}
		}
		ps, err := tx.ListParts("U1", 9, 1)
		must(t, "ListParts", err)
		equal(t, "listed part", ps, []*osemu.Part{part("U1", 10)})
		return nil
	})
}
