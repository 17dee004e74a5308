package s3server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/s3server"
	"github.com/osemu/osemu/sqlite"
)

func TestMain(m *testing.M) {
	// No AWS client of these tests may look for instance credentials.
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Exit(m.Run())
}

// fixedClock is a clock that tells the time it holds.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// testClock returns a clock fixed at the present second, close enough to
// the real time for gofakes3's check of the request time.
func testClock() fixedClock { return fixedClock{time.Now().UTC().Truncate(time.Second)} }

// MustStore opens a SQLite store in a temporary directory.
func MustStore(tb testing.TB) *sqlite.Store {
	tb.Helper()
	return MustOpen(tb, filepath.Join(tb.TempDir(), "osemu.db"))
}

// MustOpen opens the SQLite store at path, closed when tb ends. Stores
// opened on one path share their content as replicas on one database do.
func MustOpen(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	store, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { store.Close() })
	return store
}

// MustServe serves an s3server.Handler on store on 127.0.0.1, closed when
// tb ends.
func MustServe(tb testing.TB, store osemu.Store, opts ...s3server.Option) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(s3server.New(store, slog.New(slog.DiscardHandler), opts...))
	tb.Cleanup(srv.Close)
	return srv
}

// MustServer serves an s3server.Handler on a SQLite store on 127.0.0.1,
// over TLS if tls is set, and returns the server and the store.
func MustServer(tb testing.TB, tls bool, opts ...s3server.Option) (*httptest.Server, osemu.Store) {
	tb.Helper()
	store := MustStore(tb)
	h := s3server.New(store, slog.New(slog.DiscardHandler), opts...)

	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	tb.Cleanup(srv.Close)
	return srv, store
}

// MustClient returns an AWS SDK S3 client of srv: path-style, static
// credentials, us-east-1, no retries.
func MustClient(tb testing.TB, srv *httptest.Server) *s3.Client {
	tb.Helper()
	return s3.New(s3.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		UsePathStyle:     true,
		Credentials:      credentials.NewStaticCredentialsProvider("AKIAOSEMUTEST", "secret", ""),
		HTTPClient:       srv.Client(),
		RetryMaxAttempts: 1,
	})
}

// MustCreateBucket creates a bucket through c.
func MustCreateBucket(tb testing.TB, c *s3.Client, name string) {
	tb.Helper()
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &name}); err != nil {
		tb.Fatalf("CreateBucket %s: %v", name, err)
	}
}

// MustPut puts an object through c.
func MustPut(tb testing.TB, c *s3.Client, bucket, key string, body []byte) {
	tb.Helper()
	_, err := c.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: &bucket, Key: &key, Body: bytes.NewReader(body),
	})
	if err != nil {
		tb.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
}

// MustGet returns an object's content, read through c.
func MustGet(tb testing.TB, c *s3.Client, bucket, key string) []byte {
	tb.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		tb.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		tb.Fatalf("read %s/%s: %v", bucket, key, err)
	}
	return b
}

// MustBlobID returns the ID of the blob that holds an object's content.
func MustBlobID(tb testing.TB, store osemu.Store, bucket, key string) string {
	tb.Helper()
	var id string
	err := store.View(context.Background(), func(tx osemu.Tx) error {
		o, err := tx.GetObject(bucket, key)
		if err == nil {
			id = o.Blob.ID
		}
		return err
	})
	if err != nil {
		tb.Fatalf("get object %s/%s: %v", bucket, key, err)
	}
	return id
}

// blobExists reports whether the store holds the blob.
func blobExists(tb testing.TB, store osemu.Store, id string) bool {
	tb.Helper()
	rc, err := store.OpenBlob(context.Background(), id)
	if errors.Is(err, osemu.ErrNotFound) {
		return false
	}
	if err != nil {
		tb.Fatalf("open blob %s: %v", id, err)
	}
	rc.Close()
	return true
}

// errorCode returns the AWS error code of err, or "" if it has none.
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// randomBytes returns n pseudo-random bytes, the same for the same seed.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}
