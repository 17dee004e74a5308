// Package osemutest runs a complete osemu in a test: the SQLite store in a
// temporary directory, the service, the API and embedded S3 endpoint served
// by httptest on 127.0.0.1, and a worker that the test drives with a fake
// clock, so lifecycle steps happen exactly when the test says.
package osemutest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/opensearch"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/api"
	"github.com/osemu/osemu/deploy"
	"github.com/osemu/osemu/postgres"
	"github.com/osemu/osemu/s3server"
	"github.com/osemu/osemu/service"
	"github.com/osemu/osemu/source"
	"github.com/osemu/osemu/sqlite"
	"github.com/osemu/osemu/worker"
)

// Delay is the length of each lifecycle step in an Env.
const Delay = time.Second

// DefaultAccount is the account of access keys that are not account IDs.
const DefaultAccount = "000000000000"

// Clock is a settable clock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Add moves the clock forward.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Env is a running osemu.
type Env struct {
	T      testing.TB
	Store  osemu.Store
	Clock  *Clock
	Worker *worker.Worker
	URL    string
}

// EngineEnv names the environment variable that selects the store engine
// of an Env: "postgres" for PostgreSQL (at OSEMU_TEST_POSTGRES, in a fresh
// schema per Env), anything else for SQLite in a temporary directory.
const EngineEnv = "OSEMU_TEST_ENGINE"

// PostgresDSN returns the DSN of the test PostgreSQL.
func PostgresDSN() string {
	if dsn := os.Getenv("OSEMU_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// openStore opens the store of the engine EngineEnv selects.
func openStore(t testing.TB) osemu.Store {
	t.Helper()
	ctx := context.Background()
	if os.Getenv(EngineEnv) != "postgres" {
		store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "osemu.db"))
		if err != nil {
			t.Fatalf("open store: %v", err)
		}
		return store
	}

	dsn := PostgresSchema(t, "osemu_api_")
	store, err := postgres.Open(ctx, dsn, postgres.WithMaxConns(4))
	if err != nil {
		t.Fatalf("open PostgreSQL store (is PostgreSQL up at %s?): %v", PostgresDSN(), err)
	}
	return store
}

// PostgresSchema returns the test PostgreSQL's DSN with its search_path set
// to a new schema named prefix and random hex, which the store creates when
// it first opens it and which is dropped when the test ends.
func PostgresSchema(t testing.TB, prefix string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := prefix + hex.EncodeToString(b)
	u, err := url.Parse(PostgresDSN())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()

	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, PostgresDSN())
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return u.String()
}

// Options changes how an Env runs.
type Options struct {
	// Quotas replaces AWS's quotas where set.
	Quotas service.Quotas

	// AWSPackages seeds the catalog of AWS-owned optional plugins.
	AWSPackages bool

	// DeployDir, if set, is where association steps write package files.
	DeployDir string
}

// New starts an osemu for the test and stops it when the test ends.
func New(t testing.TB) *Env { return NewWith(t, Options{}) }

// NewWith starts an osemu with options.
func NewWith(t testing.TB, opts Options) *Env {
	t.Helper()
	ctx := context.Background()

	store := openStore(t)
	t.Cleanup(func() { store.Close() })

	quiet := slog.New(slog.DiscardHandler)
	var deployer *deploy.Dir
	if opts.DeployDir != "" {
		d, err := deploy.New(opts.DeployDir)
		if err != nil {
			t.Fatalf("deploy dir: %v", err)
		}
		deployer = d
	}
	clock := &Clock{now: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)}
	w := worker.New(worker.Config{
		Store:   store,
		Fetcher: source.NewEmbedded(store),
		Clock:   clock,
		Delay:   Delay,
		Logger:  quiet,
		Deploy:  deployer,
		TempDir: t.TempDir(),
	})
	svc := service.New(service.Config{
		Store: store, Clock: clock, Delay: Delay, Logger: quiet, Quotas: opts.Quotas,
	})
	if opts.AWSPackages {
		if _, err := svc.SeedAWSPackages(ctx); err != nil {
			t.Fatalf("seed aws packages: %v", err)
		}
	}
	srv := httptest.NewServer(api.New(api.Config{
		Service:        svc,
		S3:             s3server.New(store, quiet),
		DefaultAccount: DefaultAccount,
		Logger:         quiet,
	}))
	t.Cleanup(srv.Close)

	return &Env{T: t, Store: store, Clock: clock, Worker: w, URL: srv.URL}
}

// Step moves the clock one delay forward and runs the steps that are due.
func (e *Env) Step() {
	e.T.Helper()
	e.Clock.Add(Delay)
	if _, err := e.Worker.RunDue(context.Background()); err != nil {
		e.T.Fatalf("run due steps: %v", err)
	}
}

// Settle runs steps until none is left.
func (e *Env) Settle() {
	e.T.Helper()
	for range 50 {
		var steps []*osemu.Step
		err := e.Store.View(context.Background(), func(tx osemu.Tx) error {
			var err error
			steps, err = tx.ListSteps()
			return err
		})
		if err != nil {
			e.T.Fatalf("list steps: %v", err)
		}
		if len(steps) == 0 {
			return
		}
		e.Step()
	}
	e.T.Fatalf("lifecycle steps did not settle")
}

// OpenSearch returns an OpenSearch Service client that signs as accessKey
// in region. A 12-digit access key acts as that account.
func (e *Env) OpenSearch(accessKey, region string) *opensearch.Client {
	return opensearch.New(opensearch.Options{
		Region:           region,
		BaseEndpoint:     aws.String(e.URL),
		Credentials:      credentials.NewStaticCredentialsProvider(accessKey, "secret", ""),
		RetryMaxAttempts: 1,
	})
}

// S3 returns an S3 client of the embedded endpoint.
func (e *Env) S3() *s3.Client {
	return s3.New(s3.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(e.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		UsePathStyle:     true,
		RetryMaxAttempts: 1,
	})
}

// PutObject stores content in the embedded S3, creating the bucket if
// needed.
func (e *Env) PutObject(bucket, key, content string) {
	e.T.Helper()
	ctx := context.Background()
	c := e.S3()
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &bucket}); err != nil {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
			e.T.Fatalf("create bucket %s: %v", bucket, err)
		}
	}
	_, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &bucket,
		Key:    &key,
		Body:   strings.NewReader(content),
	})
	if err != nil {
		e.T.Fatalf("put s3://%s/%s: %v", bucket, key, err)
	}
}
