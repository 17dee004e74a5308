package s3server_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/s3server"
	"github.com/osemu/osemu/s3server/s3servertest"
	"github.com/osemu/osemu/sqlite"
)

const mib = 1 << 20

// MustCreateUpload begins a multipart upload through c and returns its ID.
func MustCreateUpload(tb testing.TB, c *s3.Client, bucket, key string) string {
	tb.Helper()
	out, err := c.CreateMultipartUpload(context.Background(), &s3.CreateMultipartUploadInput{
		Bucket: &bucket, Key: &key,
	})
	if err != nil {
		tb.Fatalf("CreateMultipartUpload %s/%s: %v", bucket, key, err)
	}
	return aws.ToString(out.UploadId)
}

// uploadPart uploads a part through c and returns its ETag.
func uploadPart(c *s3.Client, bucket, key, id string, n int32, body []byte) (string, error) {
	out, err := c.UploadPart(context.Background(), &s3.UploadPartInput{
		Bucket: &bucket, Key: &key, UploadId: &id, PartNumber: &n, Body: bytes.NewReader(body),
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ETag), nil
}

// MustUploadPart uploads a part through c, checks the ETag S3 gives (the
// MD5 of the part, quoted) and returns it.
func MustUploadPart(
	tb testing.TB, c *s3.Client, bucket, key, id string, n int32, body []byte,
) string {
	tb.Helper()
	etag, err := uploadPart(c, bucket, key, id, n, body)
	if err != nil {
		tb.Fatalf("UploadPart %d: %v", n, err)
	}
	if want := fmt.Sprintf(`"%x"`, md5.Sum(body)); etag != want {
		tb.Errorf("UploadPart %d: got ETag %s, want %s", n, etag, want)
	}
	return etag
}

// complete completes an upload through c with the parts, numbers and ETags
// in turn.
func complete(
	c *s3.Client, bucket, key, id string, parts ...any,
) (*s3.CompleteMultipartUploadOutput, error) {
	var cp []types.CompletedPart
	for i := 0; i+1 < len(parts); i += 2 {
		cp = append(cp, types.CompletedPart{
			PartNumber: aws.Int32(int32(parts[i].(int))), ETag: aws.String(parts[i+1].(string)),
		})
	}
	return c.CompleteMultipartUpload(context.Background(), &s3.CompleteMultipartUploadInput{
		Bucket: &bucket, Key: &key, UploadId: &id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: cp},
	})
}

// multipartETag returns S3's ETag of an object of the parts: the MD5 of
// their MD5s, a dash and their number, quoted.
func multipartETag(parts ...[]byte) string {
	var sums []byte
	for _, p := range parts {
		sum := md5.Sum(p)
		sums = append(sums, sum[:]...)
	}
	return fmt.Sprintf(`"%x-%d"`, md5.Sum(sums), len(parts))
}

// partBlobs returns the IDs of the blobs of an upload's parts.
func partBlobs(tb testing.TB, store osemu.Store, uploadID string) []string {
	tb.Helper()
	var ids []string
	err := store.View(context.Background(), func(tx osemu.Tx) error {
		parts, err := tx.ListParts(uploadID, 0, 0)
		ids = nil
		for _, p := range parts {
			ids = append(ids, p.Blob.ID)
		}
		return err
	})
	if err != nil {
		tb.Fatalf("list parts of %s: %v", uploadID, err)
	}
	return ids
}

// httpStatus returns the HTTP status of an SDK error, or 0.
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// listUploads returns the keys and IDs of a bucket's uploads, listed
// through c.
func listUploads(tb testing.TB, c *s3.Client, bucket string) []string {
	tb.Helper()
	in := &s3.ListMultipartUploadsInput{Bucket: &bucket}
	out, err := c.ListMultipartUploads(context.Background(), in)
	if err != nil {
		tb.Fatalf("ListMultipartUploads: %v", err)
	}
	var got []string
	for _, u := range out.Uploads {
		got = append(got, aws.ToString(u.Key)+" "+aws.ToString(u.UploadId))
	}
	return got
}

// TestMultipartReplicas sends the requests of one upload to two replicas,
// handlers over stores opened apart on one database: the upload begins on
// A, its parts alternate between A and B, concurrently, and it completes on
// B.
func TestMultipartReplicas(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "osemu.db")
	storeA, storeB := MustOpen(t, path), MustOpen(t, path)
	a, b := MustClient(t, MustServe(t, storeA)), MustClient(t, MustServe(t, storeB))
	MustCreateBucket(t, a, "plugins")

	parts := [][]byte{
		randomBytes(5*mib, 10), randomBytes(5*mib+1, 11), randomBytes(5*mib, 12), randomBytes(12345, 13),
	}
	content := bytes.Join(parts, nil)
	out, err := a.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: aws.String("plugins"), Key: aws.String("analysis/plugin.zip"),
		ContentType: aws.String("application/zip"), Metadata: map[string]string{"origin": "replicas"},
	})
	if err != nil {
		t.Fatalf("CreateMultipartUpload on A: %v", err)
	}
	id := aws.ToString(out.UploadId)

	// Each part from a goroutine of its own, odd parts to A, even to B.
	etags := make([]string, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, body := range parts {
		c := a
		if i%2 == 1 {
			c = b
		}
		wg.Go(func() {
			etags[i], errs[i] = uploadPart(c, "plugins", "analysis/plugin.zip", id, int32(i+1), body)
		})
	}
	wg.Wait()
	for i, body := range parts {
		if errs[i] != nil {
			t.Fatalf("UploadPart %d: %v", i+1, errs[i])
		}
		if want := fmt.Sprintf(`"%x"`, md5.Sum(body)); etags[i] != want {
			t.Errorf("UploadPart %d: got ETag %s, want %s", i+1, etags[i], want)
		}
	}

	// Each replica sees the upload and every part.
	got, want := listUploads(t, b, "plugins"), []string{"analysis/plugin.zip " + id}
	if !slices.Equal(got, want) {
		t.Errorf("ListMultipartUploads on B: got %q, want %q", got, want)
	}
	for name, c := range map[string]*s3.Client{"A": a, "B": b} {
		lp, err := c.ListParts(ctx, &s3.ListPartsInput{
			Bucket: aws.String("plugins"), Key: aws.String("analysis/plugin.zip"), UploadId: &id,
		})
		if err != nil {
			t.Fatalf("ListParts on %s: %v", name, err)
		}
		var got []string
		for _, p := range lp.Parts {
			got = append(got, fmt.Sprintf("%d %d %s", aws.ToInt32(p.PartNumber), aws.ToInt64(p.Size),
				aws.ToString(p.ETag)))
		}
		var want []string
		for i, body := range parts {
			want = append(want, fmt.Sprintf("%d %d %s", i+1, len(body), etags[i]))
		}
		if !slices.Equal(got, want) {
			t.Errorf("ListParts on %s: got %q, want %q", name, got, want)
		}
	}
	blobs := partBlobs(t, storeA, id)

	done, err := complete(b, "plugins", "analysis/plugin.zip", id,
		1, etags[0], 2, etags[1], 3, etags[2], 4, etags[3])
	if err != nil {
		t.Fatalf("CompleteMultipartUpload on B: %v", err)
	}
	if want := multipartETag(parts...); aws.ToString(done.ETag) != want {
		t.Errorf("CompleteMultipartUpload ETag: got %s, want %s", aws.ToString(done.ETag), want)
	}

	if got := MustGet(t, a, "plugins", "analysis/plugin.zip"); !bytes.Equal(got, content) {
		t.Errorf("object read on A: got %d bytes that differ from the %d uploaded",
			len(got), len(content))
	}
	head, err := a.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: aws.String("plugins"), Key: aws.String("analysis/plugin.zip"),
	})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if aws.ToString(head.ContentType) != "application/zip" || head.Metadata["origin"] != "replicas" {
		t.Errorf("object metadata: got type %q and %v, want the upload's: "+
			"application/zip and origin=replicas",
			aws.ToString(head.ContentType), head.Metadata)
	}

	// The upload is gone, on both, with its parts' blobs.
	if got := listUploads(t, a, "plugins"); len(got) != 0 {
		t.Errorf("ListMultipartUploads after completing: got %q, want none", got)
	}
	for _, blob := range blobs {
		if blobExists(t, storeB, blob) {
			t.Errorf("blob %s of a part of a completed upload is still there", blob)
		}
	}
}

// TestMultipartRestart begins an upload, stops the server and its store,
// and finishes the upload on a new one over the same database.
func TestMultipartRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "osemu.db")
	parts := [][]byte{randomBytes(5*mib, 20), randomBytes(5*mib+3, 21), randomBytes(777, 22)}

	// The first life: a bucket, an upload and two of its parts.
	store, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s3server.New(store, slog.New(slog.DiscardHandler)))
	c := MustClient(t, srv)
	MustCreateBucket(t, c, "plugins")
	id := MustCreateUpload(t, c, "plugins", "restart.zip")
	etag1 := MustUploadPart(t, c, "plugins", "restart.zip", id, 1, parts[0])
	etag2 := MustUploadPart(t, c, "plugins", "restart.zip", id, 2, parts[1])
	srv.Close()
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	// The second life knows the upload and its parts.
	c = MustClient(t, MustServe(t, MustOpen(t, path)))
	lp, err := c.ListParts(context.Background(), &s3.ListPartsInput{
		Bucket: aws.String("plugins"), Key: aws.String("restart.zip"), UploadId: &id,
	})
	if err != nil {
		t.Fatalf("ListParts after the restart: %v", err)
	}
	if len(lp.Parts) != 2 || aws.ToString(lp.Parts[1].ETag) != etag2 {
		t.Errorf("ListParts after the restart: got %d parts, want 2, the second with ETag %s",
			len(lp.Parts), etag2)
	}
	etag3 := MustUploadPart(t, c, "plugins", "restart.zip", id, 3, parts[2])
	done, err := complete(c, "plugins", "restart.zip", id, 1, etag1, 2, etag2, 3, etag3)
	if err != nil {
		t.Fatalf("CompleteMultipartUpload after the restart: %v", err)
	}
	if want := multipartETag(parts...); aws.ToString(done.ETag) != want {
		t.Errorf("CompleteMultipartUpload ETag: got %s, want %s", aws.ToString(done.ETag), want)
	}
	got, want := MustGet(t, c, "plugins", "restart.zip"), bytes.Join(parts, nil)
	if !bytes.Equal(got, want) {
		t.Errorf("got %d bytes that differ from the %d uploaded", len(got), len(want))
	}
}

// TestMultipartAbort checks that a part uploaded again and an aborted
// upload leave no blob behind, and that an aborted upload is gone for every
// operation.
func TestMultipartAbort(t *testing.T) {
	stores := map[string]func(testing.TB) osemu.Store{
		"memory": func(testing.TB) osemu.Store { return s3servertest.NewStore() },
		"sqlite": func(tb testing.TB) osemu.Store { return MustStore(tb) },
	}
	for name, newStore := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			store := newStore(t)
			c := MustClient(t, MustServe(t, store))
			MustCreateBucket(t, c, "bkt")
			id := MustCreateUpload(t, c, "bkt", "k")

			MustUploadPart(t, c, "bkt", "k", id, 1, []byte("first try"))
			first := partBlobs(t, store, id)
			MustUploadPart(t, c, "bkt", "k", id, 2, []byte("two"))
			etag := MustUploadPart(t, c, "bkt", "k", id, 1, []byte("second try"))
			if blobExists(t, store, first[0]) {
				t.Errorf("blob %s of a part uploaded again is still there", first[0])
			}
			listParts := &s3.ListPartsInput{Bucket: aws.String("bkt"), Key: aws.String("k"), UploadId: &id}
			lp, err := c.ListParts(ctx, listParts)
			if err != nil {
				t.Fatalf("ListParts: %v", err)
			}
			if len(lp.Parts) != 2 || aws.ToString(lp.Parts[0].ETag) != etag ||
				aws.ToInt64(lp.Parts[0].Size) != 10 {
				t.Errorf("ListParts after uploading part 1 again: got %d parts, "+
					"want 2, the first of 10 bytes with ETag %s", len(lp.Parts), etag)
			}
			blobs := partBlobs(t, store, id)

			// An upload is named by bucket, key and ID.
			_, err = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
				Bucket: aws.String("bkt"), Key: aws.String("other"), UploadId: &id,
			})
			if code := errorCode(err); code != "NoSuchUpload" {
				t.Errorf("AbortMultipartUpload under another key: got %v, want NoSuchUpload", err)
			}

			_, err = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
				Bucket: aws.String("bkt"), Key: aws.String("k"), UploadId: &id,
			})
			if err != nil {
				t.Fatalf("AbortMultipartUpload: %v", err)
			}
			for _, blob := range blobs {
				if blobExists(t, store, blob) {
					t.Errorf("blob %s of a part of an aborted upload is still there", blob)
				}
			}
			if m, ok := store.(*s3servertest.Store); ok && m.BlobCount() != 0 {
				t.Errorf("blobs after the abort: got %d, want 0", m.BlobCount())
			}

			// The upload is gone for every operation.
			_, err = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
				Bucket: aws.String("bkt"), Key: aws.String("k"), UploadId: &id,
			})
			_, partErr := uploadPart(c, "bkt", "k", id, 3, []byte("late"))
			_, listErr := c.ListParts(ctx, listParts)
			_, completeErr := complete(c, "bkt", "k", id, 1, etag)
			for op, err := range map[string]error{
				"AbortMultipartUpload": err, "UploadPart": partErr, "ListParts": listErr,
				"CompleteMultipartUpload": completeErr,
			} {
				if code := errorCode(err); code != "NoSuchUpload" || httpStatus(err) != 404 {
					t.Errorf("%s of an aborted upload: got %v, want 404 NoSuchUpload", op, err)
				}
			}
			if m, ok := store.(*s3servertest.Store); ok && m.BlobCount() != 0 {
				t.Errorf("blobs after a part of an aborted upload: got %d, want 0", m.BlobCount())
			}
			if got := listUploads(t, c, "bkt"); len(got) != 0 {
				t.Errorf("ListMultipartUploads after the abort: got %q, want none", got)
			}
		})
	}
}

// TestCompleteMultipartErrors checks what CompleteMultipartUpload refuses,
// as S3 does, and that a refused completion leaves the upload to complete.
func TestCompleteMultipartErrors(t *testing.T) {
	store := s3servertest.NewStore()
	c := MustClient(t, MustServe(t, store))
	MustCreateBucket(t, c, "bkt")
	id := MustCreateUpload(t, c, "bkt", "k")

	parts := [][]byte{
		randomBytes(mib, 30), randomBytes(5*mib, 31), []byte("middle"), randomBytes(5*mib, 32), []byte("end"),
	}
	var etags []string
	for i, body := range parts {
		etags = append(etags, MustUploadPart(t, c, "bkt", "k", id, int32(i+1), body))
	}
	blobs := partBlobs(t, store, id)

	tests := []struct {
		name  string
		parts []any
		code  string
	}{
		{"a small first part", []any{1, etags[0], 2, etags[1]}, "EntityTooSmall"},
		{"a small part in the middle", []any{2, etags[1], 3, etags[2], 5, etags[4]}, "EntityTooSmall"},
		{"a wrong ETag", []any{2, etags[1], 4, etags[1]}, "InvalidPart"},
		{"a part of the ETag", []any{2, etags[1][1:5]}, "InvalidPart"},
		{"a part not uploaded", []any{2, etags[1], 6, etags[4]}, "InvalidPart"},
		{"parts out of order", []any{4, etags[3], 2, etags[1]}, "InvalidPartOrder"},
		{"a part twice", []any{2, etags[1], 2, etags[1], 5, etags[4]}, "InvalidPartOrder"},
		{"no parts", nil, "MalformedXML"},
	}
	for _, tt := range tests {
		_, err := complete(c, "bkt", "k", id, tt.parts...)
		if code := errorCode(err); code != tt.code || httpStatus(err) != 400 {
			t.Errorf("%s: got %v (status %d), want 400 %s", tt.name, err, httpStatus(err), tt.code)
		}
	}
	if store.BlobCount() != len(parts) {
		t.Errorf("blobs after refused completions: got %d, want the %d parts'",
			store.BlobCount(), len(parts))
	}

	// Parts may be left out, and the ETags may come without quotes; the
	// parts left out are deleted with the upload.
	done, err := complete(c, "bkt", "k", id, 2, etags[1], 4, etags[3][1:33], 5, etags[4])
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	used := [][]byte{parts[1], parts[3], parts[4]}
	if want := multipartETag(used...); aws.ToString(done.ETag) != want {
		t.Errorf("CompleteMultipartUpload ETag: got %s, want %s", aws.ToString(done.ETag), want)
	}
	if got, want := MustGet(t, c, "bkt", "k"), bytes.Join(used, nil); !bytes.Equal(got, want) {
		t.Errorf("got %d bytes that differ from the %d of parts 2, 4 and 5", len(got), len(want))
	}
	for _, blob := range blobs {
		if blobExists(t, store, blob) {
			t.Errorf("blob %s of a part is still there", blob)
		}
	}
	if store.BlobCount() != 1 {
		t.Errorf("blobs after completing: got %d, want the object's only", store.BlobCount())
	}
}

// stepClock is a clock that moves a millisecond on at every reading.
type stepClock struct {
	t0 time.Time
	n  atomic.Int64
}

func (c *stepClock) Now() time.Time {
	return c.t0.Add(time.Duration(c.n.Add(1)) * time.Millisecond)
}

// TestListMultipart pages through uploads and parts one entry at a time and
// expects S3's order: uploads by key, then by when they began; parts by
// number.
func TestListMultipart(t *testing.T) {
	ctx := context.Background()
	clock := &stepClock{t0: time.Now().UTC().Truncate(time.Second)}
	c := MustClient(t, MustServe(t, MustStore(t), s3server.WithClock(clock)))
	MustCreateBucket(t, c, "bkt")
	MustCreateBucket(t, c, "empty")

	// Keys created out of order; a/1 gets two uploads.
	ids := map[string]string{}
	for _, key := range []string{"b", "a/1", "c/d/e", "a/2", "a/1 again"} {
		k := key
		if key == "a/1 again" {
			k = "a/1"
		}
		ids[key] = MustCreateUpload(t, c, "bkt", k)
	}
	tests := []struct {
		prefix, delimiter string
		want              []string // keys and IDs, or common prefixes
	}{
		{"", "", []string{
			"a/1 " + ids["a/1"], "a/1 " + ids["a/1 again"], "a/2 " + ids["a/2"], "b " + ids["b"],
			"c/d/e " + ids["c/d/e"],
		}},
		{"", "/", []string{"a/", "b " + ids["b"], "c/"}},
		{"a/", "/", []string{"a/1 " + ids["a/1"], "a/1 " + ids["a/1 again"], "a/2 " + ids["a/2"]}},
		{"c/", "/", []string{"c/d/"}},
		{"z", "", nil},
	}
	for _, tt := range tests {
		for _, maxUploads := range []int32{1, 2, 1000} {
			var got []string
			in := &s3.ListMultipartUploadsInput{
				Bucket: aws.String("bkt"), Prefix: aws.String(tt.prefix), Delimiter: aws.String(tt.delimiter),
				MaxUploads: aws.Int32(maxUploads),
			}
			pages := 1
			for ; ; pages++ {
				if pages > 10 {
					t.Fatal("more than 10 pages")
				}
				out, err := c.ListMultipartUploads(ctx, in)
				if err != nil {
					t.Fatalf("ListMultipartUploads: %v", err)
				}
				// A page's uploads and common prefixes come apart; in
				// order, they interleave.
				var page []string
				for _, u := range out.Uploads {
					page = append(page, aws.ToString(u.Key)+" "+aws.ToString(u.UploadId))
				}
				for _, cp := range out.CommonPrefixes {
					page = append(page, aws.ToString(cp.Prefix))
				}
				slices.Sort(page)
				got = append(got, page...)
				if !aws.ToBool(out.IsTruncated) {
					break
				}
				in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
			}
			want := max(1, (len(tt.want)+int(maxUploads)-1)/int(maxUploads))
			if !slices.Equal(got, tt.want) || pages != want {
				t.Errorf("prefix %q, delimiter %q, max %d: got %q in %d pages, want %q in %d",
					tt.prefix, tt.delimiter, maxUploads, got, pages, tt.want, want)
			}
		}
	}

	// A key marker alone starts after the key's uploads.
	out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{
		Bucket: aws.String("bkt"), KeyMarker: aws.String("a/1"), MaxUploads: aws.Int32(1),
	})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	var keys []string
	for _, u := range out.Uploads {
		keys = append(keys, aws.ToString(u.Key))
	}
	if !slices.Equal(keys, []string{"a/2"}) || !aws.ToBool(out.IsTruncated) {
		t.Errorf("ListMultipartUploads after key a/1: got %q, truncated %v; want a/2 of more",
			keys, aws.ToBool(out.IsTruncated))
	}
	if got := listUploads(t, c, "empty"); len(got) != 0 {
		t.Errorf("ListMultipartUploads of a bucket without uploads: got %q", got)
	}
	_, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("missing")})
	if code := errorCode(err); code != "NoSuchBucket" {
		t.Errorf("ListMultipartUploads of a missing bucket: got %v, want NoSuchBucket", err)
	}

	// Parts, uploaded out of order, list by number, in pages.
	id := ids["b"]
	etags := map[int32]string{}
	for _, n := range []int32{3, 1, 5, 2, 4} {
		etags[n] = MustUploadPart(t, c, "bkt", "b", id, n, bytes.Repeat([]byte{byte(n)}, int(n)))
	}
	var got []string
	p := s3.NewListPartsPaginator(c, &s3.ListPartsInput{
		Bucket: aws.String("bkt"), Key: aws.String("b"), UploadId: &id, MaxParts: aws.Int32(2),
	})
	pages := 0
	for ; p.HasMorePages(); pages++ {
		if pages > 10 {
			t.Fatal("more than 10 pages")
		}
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListParts: %v", err)
		}
		for _, part := range page.Parts {
			n := aws.ToInt32(part.PartNumber)
			if aws.ToInt64(part.Size) != int64(n) || aws.ToString(part.ETag) != etags[n] {
				t.Errorf("part %d: got %d bytes and ETag %s, want %d and %s",
					n, aws.ToInt64(part.Size), aws.ToString(part.ETag), n, etags[n])
			}
			if !aws.ToTime(part.LastModified).After(clock.t0) {
				t.Errorf("part %d: LastModified %v, want after %v",
					n, aws.ToTime(part.LastModified), clock.t0)
			}
			got = append(got, fmt.Sprint(n))
		}
	}
	if want := []string{"1", "2", "3", "4", "5"}; !slices.Equal(got, want) || pages != 3 {
		t.Errorf("ListParts in pages of 2: got %q in %d pages, want %q in 3", got, pages, want)
	}
	lp, err := c.ListParts(ctx, &s3.ListPartsInput{
		Bucket: aws.String("bkt"), Key: aws.String("b"), UploadId: &id, PartNumberMarker: aws.String("3"),
	})
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	if len(lp.Parts) != 2 || aws.ToInt32(lp.Parts[0].PartNumber) != 4 || aws.ToBool(lp.IsTruncated) {
		t.Errorf("ListParts after part 3: got %d parts, want 4 and 5", len(lp.Parts))
	}
}

// TestDeleteBucketWithUploads checks that deleting a bucket deletes the
// uploads in progress into it, as S3 does, with their parts' blobs.
func TestDeleteBucketWithUploads(t *testing.T) {
	ctx := context.Background()
	store := s3servertest.NewStore()
	c := MustClient(t, MustServe(t, store))
	MustCreateBucket(t, c, "bkt")
	id := MustCreateUpload(t, c, "bkt", "k")
	MustUploadPart(t, c, "bkt", "k", id, 1, []byte("part"))
	MustCreateUpload(t, c, "bkt", "other")

	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatalf("DeleteBucket with uploads in progress: %v", err)
	}
	if store.BlobCount() != 0 {
		t.Errorf("blobs after DeleteBucket: got %d, want 0", store.BlobCount())
	}
	MustCreateBucket(t, c, "bkt")
	if got := listUploads(t, c, "bkt"); len(got) != 0 {
		t.Errorf("uploads of a bucket made again: got %q, want none", got)
	}
	_, err := uploadPart(c, "bkt", "k", id, 2, []byte("late"))
	if code := errorCode(err); code != "NoSuchUpload" {
		t.Errorf("UploadPart of an upload of a deleted bucket: got %v, want NoSuchUpload", err)
	}
}

// racingStore runs race after the first OpenBlob, once it is set: another
// replica acting while CompleteMultipartUpload reads the parts.
type racingStore struct {
	osemu.Store
	once sync.Once
	race func()
}

func (s *racingStore) OpenBlob(ctx context.Context, id string) (io.ReadCloser, error) {
	rc, err := s.Store.OpenBlob(ctx, id)
	if s.race != nil {
		s.once.Do(s.race)
	}
	return rc, err
}

// TestCompleteWhilePartReplaced uploads part 1 again on replica B while
// replica A joins the parts. A finds that the part changed, over memory
// when it stores the object, over SQLite when it reads the old blob, and
// starts over: with the same content again it completes, with new content
// the ETag it was given no longer matches. No blob is left behind.
func TestCompleteWhilePartReplaced(t *testing.T) {
	stores := map[string]func(testing.TB) osemu.Store{
		"memory": func(testing.TB) osemu.Store { return s3servertest.NewStore() },
		"sqlite": func(tb testing.TB) osemu.Store { return MustStore(tb) },
	}
	first, end := randomBytes(5*mib, 40), []byte("end")
	tests := []struct {
		name  string
		again []byte
		code  string
	}{
		{"same content", first, ""},
		{"new content", randomBytes(5*mib, 41), "InvalidPart"},
	}
	for storeName, newStore := range stores {
		for _, tt := range tests {
			t.Run(storeName+","+tt.name, func(t *testing.T) {
				store := newStore(t)
				racing := &racingStore{Store: store}
				a, b := MustClient(t, MustServe(t, racing)), MustClient(t, MustServe(t, store))
				MustCreateBucket(t, a, "bkt")
				id := MustCreateUpload(t, a, "bkt", "k")
				etag1 := MustUploadPart(t, a, "bkt", "k", id, 1, first)
				etag2 := MustUploadPart(t, a, "bkt", "k", id, 2, end)
				blobs := partBlobs(t, store, id)

				raced := make(chan error, 1)
				racing.race = func() {
					_, err := uploadPart(b, "bkt", "k", id, 1, tt.again)
					raced <- err
				}
				done, err := complete(a, "bkt", "k", id, 1, etag1, 2, etag2)
				select {
				case err := <-raced:
					if err != nil {
						t.Fatalf("UploadPart on B during the completion: %v", err)
					}
				default:
					t.Fatal("no part was uploaded during the completion")
				}
				if code := errorCode(err); code != tt.code || (tt.code == "" && err != nil) {
					t.Fatalf("CompleteMultipartUpload: got %v, want %q", err, tt.code)
				}

				// A completion refused leaves the upload to complete.
				if err != nil {
					etag1 = MustUploadPart(t, a, "bkt", "k", id, 1, tt.again)
					done, err = complete(a, "bkt", "k", id, 1, etag1, 2, etag2)
					if err != nil {
						t.Fatalf("CompleteMultipartUpload with the new ETag: %v", err)
					}
				}
				if want := multipartETag(tt.again, end); aws.ToString(done.ETag) != want {
					t.Errorf("CompleteMultipartUpload ETag: got %s, want %s",
						aws.ToString(done.ETag), want)
				}
				want := bytes.Join([][]byte{tt.again, end}, nil)
				if got := MustGet(t, b, "bkt", "k"); !bytes.Equal(got, want) {
					t.Errorf("got %d bytes that differ from the %d uploaded", len(got), len(want))
				}
				for _, blob := range blobs {
					if blobExists(t, store, blob) {
						t.Errorf("blob %s of a part is still there", blob)
					}
				}
				if m, ok := store.(*s3servertest.Store); ok && m.BlobCount() != 1 {
					t.Errorf("blobs after completing: got %d, want the object's only", m.BlobCount())
				}
			})
		}
	}
}
