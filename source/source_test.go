package source_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/s3server"
	"github.com/osemu/osemu/source"
	"github.com/osemu/osemu/sqlite"
)

func TestMain(m *testing.M) {
	// No AWS client of these tests may look for instance credentials.
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Exit(m.Run())
}

var scope = osemu.Scope{Account: "123456789012", Region: "eu-west-1"}

// MustObject stores an object in store as the embedded S3 endpoint does.
func MustObject(tb testing.TB, store osemu.Store, bucket, key, content string) {
	tb.Helper()
	ctx := context.Background()
	ref, err := store.WriteBlob(ctx, strings.NewReader(content))
	if err != nil {
		tb.Fatalf("WriteBlob: %v", err)
	}
	err = store.Update(ctx, func(tx osemu.Tx) error {
		if _, err := tx.GetBucket(bucket); errors.Is(err, osemu.ErrNotFound) {
			if err := tx.InsertBucket(&osemu.Bucket{Name: bucket}); err != nil {
				return err
			}
		}
		_, err := tx.PutObject(&osemu.Object{Bucket: bucket, Key: key, Blob: ref})
		return err
	})
	if err != nil {
		tb.Fatalf("put %s/%s: %v", bucket, key, err)
	}
}

// TestFetch reads an object, a missing key and a missing bucket with both
// Fetchers: straight from the store, and over HTTP from the embedded S3
// endpoint serving that store.
func TestFetch(t *testing.T) {
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "osemu.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	MustObject(t, store, "dicts", "synonyms/en.txt", "big, large\n")
	MustObject(t, store, "empty", "placeholder", "")
	if err := store.Update(context.Background(), func(tx osemu.Tx) error {
		_, err := tx.DeleteObject("empty", "placeholder")
		return err
	}); err != nil {
		t.Fatal(err)
	}

	srv := httptest.NewServer(s3server.New(store, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	fetchers := map[string]source.Fetcher{
		"embedded": source.NewEmbedded(store),
		"s3":       source.NewS3(srv.URL, source.WithMaxAttempts(1)),
	}

	tests := []struct {
		bucket, key string
		content     string
		err         error
	}{
		{"dicts", "synonyms/en.txt", "big, large\n", nil},
		{"dicts", "synonyms/fr.txt", "", source.ErrNoSuchKey},
		{"empty", "placeholder", "", source.ErrNoSuchKey},
		{"nothing", "synonyms/en.txt", "", source.ErrNoSuchBucket},
	}
	for name, f := range fetchers {
		for _, tt := range tests {
			loc := osemu.S3Location{Bucket: tt.bucket, Key: tt.key}
			rc, size, err := f.Fetch(context.Background(), scope, loc)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Errorf("%s: Fetch %s/%s: got error %v, want %v", name, tt.bucket, tt.key, err, tt.err)
				}
				if want := "s3://" + tt.bucket + "/" + tt.key; err != nil && !strings.Contains(err.Error(), want) {
					t.Errorf("%s: Fetch error %q does not name %s", name, err, want)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: Fetch %s/%s: %v", name, tt.bucket, tt.key, err)
				continue
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || string(got) != tt.content || size != int64(len(tt.content)) {
				t.Errorf("%s: Fetch %s/%s: got %q (size %d, error %v), want %q (size %d)",
					name, tt.bucket, tt.key, got, size, err, tt.content, len(tt.content))
			}
		}
	}
}

// TestFetchS3Errors classifies the errors of other S3 endpoints, and checks
// that retries are bounded.
func TestFetchS3Errors(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		attempts int // the Fetcher's
		requests int32
		err      error // nil: none of the sentinels
	}{
		{"access denied", 403, s3Error("AccessDenied"), 3, 1, source.ErrAccessDenied},
		{"bad key", 403, s3Error("InvalidAccessKeyId"), 3, 1, source.ErrAccessDenied},
		{"bare 403", 403, "", 3, 1, source.ErrAccessDenied},
		{"no such key", 404, s3Error("NoSuchKey"), 3, 1, source.ErrNoSuchKey},
		{"internal error", 500, s3Error("InternalError"), 2, 2, nil},
		{"unavailable", 503, s3Error("SlowDown"), 3, 3, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			t.Cleanup(srv.Close)

			f := source.NewS3(srv.URL, source.WithMaxAttempts(tt.attempts), source.WithoutBackoff())
			_, _, err := f.Fetch(context.Background(), scope, osemu.S3Location{Bucket: "b", Key: "k"})
			if err == nil {
				t.Fatal("Fetch: got no error")
			}
			for _, sentinel := range []error{source.ErrAccessDenied, source.ErrNoSuchBucket, source.ErrNoSuchKey} {
				if errors.Is(err, sentinel) != (sentinel == tt.err) {
					t.Errorf("Fetch: got %v, want errors.Is %v to be %v", err, sentinel, sentinel == tt.err)
				}
			}
			if n := requests.Load(); n != tt.requests {
				t.Errorf("requests: got %d, want %d", n, tt.requests)
			}
		})
	}
}

func s3Error(code string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + code +
		`</Code><Message>test</Message><RequestId>1</RequestId></Error>`
}

// TestFetchS3Signing checks the region, credentials and addressing of the
// requests that NewS3's Fetcher sends.
func TestFetchS3Signing(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		region     string
		credential string
	}{
		{
			"environment", map[string]string{"AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "s"},
			"eu-west-1", "Credential=AKIAENV/",
		},
		{
			"dummy", map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""},
			"ap-south-2", "Credential=test/",
		},
		{"default region", nil, "", "/us-east-1/s3/aws4_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var auth, path string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				auth, path = r.Header.Get("Authorization"), r.URL.Path
				io.WriteString(w, "content")
			}))
			t.Cleanup(srv.Close)

			f := source.NewS3(srv.URL)
			rc, size, err := f.Fetch(context.Background(), osemu.Scope{Account: "123456789012", Region: tt.region},
				osemu.S3Location{Bucket: "my.bucket", Key: "dir/file.txt"})
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			rc.Close()

			if size != int64(len("content")) {
				t.Errorf("size: got %d, want %d", size, len("content"))
			}
			if path != "/my.bucket/dir/file.txt" {
				t.Errorf("path: got %q, want a path-style /my.bucket/dir/file.txt", path)
			}
			if tt.region != "" && !strings.Contains(auth, "/"+tt.region+"/s3/aws4_request") {
				t.Errorf("Authorization %q: want the region %s", auth, tt.region)
			}
			if !strings.Contains(auth, tt.credential) {
				t.Errorf("Authorization %q: want %s", auth, tt.credential)
			}
		})
	}
}
