package storetest

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/iotest"
	"time"

	"github.com/osemu/osemu"
)

// content returns n bytes that differ from chunk to chunk, so that a chunk
// written twice or out of order shows.
func content(n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(n), byte(n >> 8), byte(n >> 16)}).Read(b)
	return b
}

func readBlob(t *testing.T, s osemu.Store, id string) []byte {
	t.Helper()
	rc, err := s.OpenBlob(t.Context(), id)
	must(t, "OpenBlob", err)
	defer rc.Close()

	// A small buffer reads each chunk in many pieces.
	var got bytes.Buffer
	_, err = io.CopyBuffer(&got, struct{ io.Reader }{rc}, make([]byte, 100_000))
	must(t, "read blob", err)
	return got.Bytes()
}

func testBlobs(t *testing.T, s osemu.Store) {
	const mib = 1 << 20
	sizes := []int{0, 1, mib - 1, mib, mib + 1, 3*mib + mib/2}
	refs := map[int]osemu.BlobRef{}
	for _, n := range sizes {
		want := content(n)

		// A reader that returns half of what is asked exercises short
		// reads.
		ref, err := s.WriteBlob(t.Context(), iotest.HalfReader(bytes.NewReader(want)))
		must(t, "WriteBlob", err)
		sha, md := sha256.Sum256(want), md5.Sum(want)
		wantRef := osemu.BlobRef{ID: ref.ID, Size: int64(n),
			SHA256: hex.EncodeToString(sha[:]), MD5: hex.EncodeToString(md[:])}
		equal(t, "BlobRef", ref, wantRef)
		if ref.ID == "" {
			t.Fatal("WriteBlob: empty ID")
		}
		for _, other := range refs {
			if other.ID == ref.ID {
				t.Fatalf("WriteBlob: ID %s given twice", ref.ID)
			}
		}
		refs[n] = ref

		if got := readBlob(t, s, ref.ID); !bytes.Equal(got, want) {
			t.Errorf("blob of %d bytes: read back %d bytes that differ", n, len(got))
		}
	}

	_, err := s.OpenBlob(t.Context(), "no-such-blob")
	wantErr(t, "OpenBlob missing", err, osemu.ErrNotFound)

	// DeleteBlob removes one blob, and a missing one is no error.
	update(t, s, func(tx osemu.Tx) error {
		must(t, "DeleteBlob", tx.DeleteBlob(refs[mib+1].ID))
		return tx.DeleteBlob("no-such-blob")
	})
	_, err = s.OpenBlob(t.Context(), refs[mib+1].ID)
	wantErr(t, "OpenBlob deleted", err, osemu.ErrNotFound)
	if got := readBlob(t, s, refs[mib].ID); !bytes.Equal(got, content(mib)) {
		t.Error("another blob changed by DeleteBlob")
	}

	// A failing reader fails the write with its error.
	failure := errors.New("connection reset")
	r := io.MultiReader(bytes.NewReader(content(mib+10)), iotest.ErrReader(failure))
	if _, err := s.WriteBlob(t.Context(), r); !errors.Is(err, failure) {
		t.Errorf("WriteBlob of a failing reader: got %v, want %v", err, failure)
	}
}

func testBuckets(t *testing.T, s osemu.Store) {
	update(t, s, func(tx osemu.Tx) error {
		must(t, "InsertBucket", tx.InsertBucket(&osemu.Bucket{Name: "zeta", CreatedAt: at(time.Second)}))
		return tx.InsertBucket(&osemu.Bucket{Name: "alpha", CreatedAt: at(0)})
	})
	err := s.Update(t.Context(), func(tx osemu.Tx) error {
		return tx.InsertBucket(&osemu.Bucket{Name: "zeta"})
	})
	wantErr(t, "InsertBucket twice", err, osemu.ErrExists)

	view(t, s, func(tx osemu.Tx) error {
		b, err := tx.GetBucket("zeta")
		must(t, "GetBucket", err)
		equal(t, "GetBucket", b, &osemu.Bucket{Name: "zeta", CreatedAt: at(time.Second)})
		_, err = tx.GetBucket("nope")
		wantErr(t, "GetBucket missing", err, osemu.ErrNotFound)
		bs, err := tx.ListBuckets()
		must(t, "ListBuckets", err)
		equal(t, "ListBuckets", bs, []*osemu.Bucket{
			{Name: "alpha", CreatedAt: at(0)}, {Name: "zeta", CreatedAt: at(time.Second)},
		})
		return nil
	})

	update(t, s, func(tx osemu.Tx) error { return tx.DeleteBucket("alpha") })
	err = s.Update(t.Context(), func(tx osemu.Tx) error { return tx.DeleteBucket("alpha") })
	wantErr(t, "DeleteBucket missing", err, osemu.ErrNotFound)
	view(t, s, func(tx osemu.Tx) error {
		bs, err := tx.ListBuckets()
		must(t, "ListBuckets", err)
		if len(bs) != 1 || bs[0].Name != "zeta" {
			t.Errorf("ListBuckets after delete: got %s", show(bs))
		}
		return nil
	})
}

func object(bucket, key string) *osemu.Object {
	return &osemu.Object{
		Bucket:     bucket,
		Key:        key,
		Blob:       osemu.BlobRef{ID: "blob-" + key, Size: 3, SHA256: "s", MD5: "m"},
		ModifiedAt: at(0),
	}
}

func testObjects(t *testing.T, s osemu.Store) {
	o := object("b", "dir/file.txt")
	o.Metadata = map[string]string{"Content-Type": "text/plain", "x-amz-meta-a": "1"}
	update(t, s, func(tx osemu.Tx) error {
		must(t, "InsertBucket", tx.InsertBucket(&osemu.Bucket{Name: "b"}))
		replaced, err := tx.PutObject(o)
		must(t, "PutObject", err)
		if replaced != nil {
			t.Errorf("PutObject of a new key: replaced %s", show(replaced))
		}
		_, err = tx.PutObject(object("other", "dir/file.txt"))
		return err
	})

	view(t, s, func(tx osemu.Tx) error {
		got, err := tx.GetObject("b", "dir/file.txt")
		must(t, "GetObject", err)
		equal(t, "GetObject", got, o)
		_, err = tx.GetObject("b", "dir/other")
		wantErr(t, "GetObject missing", err, osemu.ErrNotFound)
		_, err = tx.GetObject("c", "dir/file.txt")
		wantErr(t, "GetObject in another bucket", err, osemu.ErrNotFound)
		return nil
	})

	// PutObject on the same key replaces it and returns the old one.
	o2 := object("b", "dir/file.txt")
	o2.Blob.ID = "blob-2"
	o2.ModifiedAt = at(time.Hour)
	update(t, s, func(tx osemu.Tx) error {
		replaced, err := tx.PutObject(o2)
		must(t, "PutObject", err)
		equal(t, "replaced object", replaced, o)
		got, err := tx.GetObject("b", "dir/file.txt")
		must(t, "GetObject", err)
		equal(t, "GetObject after replacing", got, o2)
		return nil
	})

	update(t, s, func(tx osemu.Tx) error {
		deleted, err := tx.DeleteObject("b", "dir/file.txt")
		must(t, "DeleteObject", err)
		equal(t, "deleted object", deleted, o2)
		_, err = tx.DeleteObject("b", "dir/file.txt")
		wantErr(t, "DeleteObject missing", err, osemu.ErrNotFound)
		_, err = tx.GetObject("other", "dir/file.txt")
		must(t, "GetObject in another bucket", err)
		return nil
	})
}

// testObjectOrder lists keys whose bytes sort differently from what a
// locale collation or a LIKE pattern would give: '%' and '_' are LIKE
// wildcards, and '-' < '/' < '0' < '_' < 'a' < 'é' bytewise. "a0" is the
// first key past the prefix "a/".
func testObjectOrder(t *testing.T, s osemu.Store) {
	keys := []string{
		"a_b", "ab", "a/b", "a%b", "b", "a", "a-b", "a/c/d", "a/é", "A", "a/b/", "aé", "a%", "a0",
	}
	update(t, s, func(tx osemu.Tx) error {
		for _, k := range keys {
			for _, b := range []string{"bucket", "bucket2"} {
				if _, err := tx.PutObject(object(b, k)); err != nil {
					return err
				}
			}
		}
		return nil
	})

	tests := []struct {
		prefix, after string
		limit         int
		want          []string
	}{
		{"", "", 0, []string{
			"A", "a", "a%", "a%b", "a-b", "a/b", "a/b/", "a/c/d", "a/é", "a0", "a_b", "ab", "aé", "b",
		}},
		{"", "", 3, []string{"A", "a", "a%"}},
		{"", "a/b", 2, []string{"a/b/", "a/c/d"}},
		{"a/", "", 0, []string{"a/b", "a/b/", "a/c/d", "a/é"}},
		{"a/", "a/b/", 1, []string{"a/c/d"}},
		{"a/", "a/é", 0, nil},
		{"a/", "a", 2, []string{"a/b", "a/b/"}},
		{"a/", "z", 0, nil},
		{"a%", "", 0, []string{"a%", "a%b"}},
		{"a_", "", 0, []string{"a_b"}},
		{"a_b", "", 0, []string{"a_b"}},
		{"a_b", "a_b", 0, nil},
		{"aé", "", 0, []string{"aé"}},
		{"A", "", 0, []string{"A"}},
		{"c", "", 0, nil},
	}
	view(t, s, func(tx osemu.Tx) error {
		for _, tc := range tests {
			objs, err := tx.ListObjects("bucket", tc.prefix, tc.after, tc.limit)
			must(t, "ListObjects", err)
			var got []string
			for _, o := range objs {
				if o.Bucket != "bucket" {
					t.Errorf("ListObjects: object of bucket %s", o.Bucket)
				}
				got = append(got, o.Key)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("ListObjects(prefix %q, after %q, limit %d): got %q, want %q",
					tc.prefix, tc.after, tc.limit, got, tc.want)
			}
		}
		objs, err := tx.ListObjects("none", "", "", 0)
		must(t, "ListObjects", err)
		if len(objs) != 0 {
			t.Errorf("ListObjects of an empty bucket: got %d", len(objs))
		}
		objs, err = tx.ListObjects("bucket", "a/c", "", 0)
		must(t, "ListObjects", err)
		equal(t, "listed object", objs, []*osemu.Object{object("bucket", "a/c/d")})
		return nil
	})
}

func testMeta(t *testing.T, s osemu.Store) {
	view(t, s, func(tx osemu.Tx) error {
		_, err := tx.GetMeta("secret")
		wantErr(t, "GetMeta missing", err, osemu.ErrNotFound)
		return nil
	})
	update(t, s, func(tx osemu.Tx) error {
		got, err := tx.PutMetaIfAbsent("secret", []byte{0, 1, 2, 0xff})
		must(t, "PutMetaIfAbsent", err)
		equal(t, "PutMetaIfAbsent of a new key", got, []byte{0, 1, 2, 0xff})
		return nil
	})
	update(t, s, func(tx osemu.Tx) error {
		got, err := tx.PutMetaIfAbsent("secret", []byte("other"))
		must(t, "PutMetaIfAbsent", err)
		equal(t, "PutMetaIfAbsent of a set key", got, []byte{0, 1, 2, 0xff})
		got, err = tx.PutMetaIfAbsent("empty", []byte{})
		must(t, "PutMetaIfAbsent", err)
		if len(got) != 0 {
			t.Errorf("PutMetaIfAbsent of an empty value: got %q", got)
		}
		return nil
	})
	view(t, s, func(tx osemu.Tx) error {
		got, err := tx.GetMeta("secret")
		must(t, "GetMeta", err)
		equal(t, "GetMeta", got, []byte{0, 1, 2, 0xff})
		return nil
	})
}
