package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

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

// DefaultAddr is where osemu listens unless told otherwise: loopback only.
const DefaultAddr = "127.0.0.1:4580"

// Config is what "osemu serve" is told by its flags and environment.
type Config struct {
	Addr       string
	DataDir    string
	Delay      time.Duration
	S3Endpoint string
	AccountID  string
	Region     string
	LogFormat  string
	LogLevel   string

	AWSPackages bool
	DeployDir   string
	Quotas      service.Quotas

	// Store is "sqlite" (the embedded database in DataDir) or a
	// postgres:// URL.
	Store string
}

// Main is the running program: it opens the store, starts the worker and
// serves HTTP, and takes it all down again in Close.
type Main struct {
	Config Config

	stderr   io.Writer
	log      *slog.Logger
	store    osemu.Store
	listener net.Listener
	server   *http.Server
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// NewMain returns a Main with default settings that logs to stderr.
func NewMain(stderr io.Writer) *Main {
	return &Main{
		Config: Config{
			Addr:      DefaultAddr,
			DataDir:   defaultDataDir(),
			Delay:     time.Second,
			AccountID: osemu.DefaultAccountID,
			Region:    osemu.DefaultRegion,
			LogFormat: "text",
			LogLevel:  "info",
			Quotas:    service.DefaultQuotas,
			Store:     "sqlite",
		},
		stderr: stderr,
	}
}

// defaultDataDir is $XDG_DATA_HOME/osemu, or ~/.local/share/osemu.
func defaultDataDir() string {
	if dir := os.Getenv("XDG_DATA_HOME"); dir != "" {
		return filepath.Join(dir, "osemu")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "osemu")
	}
	return "osemu-data"
}

// ParseFlags reads the flags of "osemu serve". Each flag has an environment
// variable twin (OSEMU_ and the flag's name in capitals, dashes as
// underscores); a flag given on the command line wins over its variable.
func (m *Main) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("osemu serve", flag.ContinueOnError)
	fs.SetOutput(m.stderr)
	c := &m.Config
	fs.StringVar(&c.Addr, "addr", c.Addr, "`address` to listen on, for the API and the embedded S3 endpoint")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir,
		"`directory` for state: the embedded database, temporary files")
	fs.StringVar(&c.Store, "store", c.Store,
		"where state lives: sqlite (in -data-dir) or a postgres:// URL shared by replicas")
	fs.DurationVar(&c.Delay, "delay", c.Delay, "how long each asynchronous lifecycle step takes (0s allowed)")
	fs.StringVar(&c.S3Endpoint, "s3-endpoint", c.S3Endpoint,
		"`URL` of an external S3 to read package content from, instead of the embedded one")
	fs.StringVar(&c.AccountID, "account-id", c.AccountID,
		"default account, for access keys that are not 12-digit account IDs")
	fs.StringVar(&c.Region, "region", c.Region, "region of unsigned requests")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: text or json")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn or error")
	fs.BoolVar(&c.AWSPackages, "aws-packages", c.AWSPackages,
		"offer AWS's optional plugins (G packages) to every account")
	fs.StringVar(&c.DeployDir, "deploy-dir", c.DeployDir,
		"`directory` where the package versions domains run are written, for a local OpenSearch node")
	fs.IntVar(&c.Quotas.Packages, "max-packages", c.Quotas.Packages,
		"packages other than plugins an account may own per region")
	fs.IntVar(&c.Quotas.Plugins, "max-plugins", c.Quotas.Plugins,
		"ZIP-PLUGIN packages an account may own per region")
	fs.IntVar(&c.Quotas.DomainPackages, "max-domain-packages", c.Quotas.DomainPackages,
		"packages that may be associated with one domain")

	// Environment variables first, so that flags override them.
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "OSEMU_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok {
			if err := f.Value.Set(v); err != nil && envErr == nil {
				envErr = fmt.Errorf("%s=%q: %v", name, v, err)
			}
		}
	})
	if envErr != nil {
		return envErr
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return c.validate()
}

// validate checks settings that flag parsing cannot.
func (c *Config) validate() error {
	if c.Delay < 0 {
		return fmt.Errorf("-delay must not be negative, got %s", c.Delay)
	}
	if len(c.AccountID) != 12 || strings.Trim(c.AccountID, "0123456789") != "" {
		return fmt.Errorf("-account-id must be 12 digits, got %q", c.AccountID)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("-log-format must be text or json, got %q", c.LogFormat)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return fmt.Errorf("-log-level: %v", err)
	}
	if c.DataDir == "" {
		return errors.New("-data-dir must not be empty")
	}
	if c.Quotas.Packages < 1 || c.Quotas.Plugins < 1 || c.Quotas.DomainPackages < 1 {
		return fmt.Errorf("-max-packages, -max-plugins and -max-domain-packages must be at least 1")
	}
	if c.Store != "sqlite" && !isPostgres(c.Store) {
		return fmt.Errorf("-store must be sqlite or a postgres:// URL, got %q", c.Store)
	}
	if c.S3Endpoint != "" {
		u, err := url.Parse(c.S3Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("-s3-endpoint must be an http or https URL, got %q", c.S3Endpoint)
		}
	}
	return nil
}

// logger builds the root logger from the settings.
func (m *Main) logger() *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(m.Config.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if m.Config.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(m.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(m.stderr, opts))
}

// Run starts osemu and serves until ctx is done, then shuts down.
func (m *Main) Run(ctx context.Context) error {
	if err := m.Open(ctx); err != nil {
		m.Close()
		return err
	}
	err := m.Serve(ctx)
	m.Close()
	return err
}

// Open opens the store, wires the components, starts the worker and
// listens, without serving yet.
func (m *Main) Open(ctx context.Context) error {
	c := m.Config
	m.log = m.logger()

	if err := os.MkdirAll(c.DataDir, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	store, err := openStore(ctx, c)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	m.store = store

	var fetcher worker.Fetcher
	var s3 http.Handler
	if c.S3Endpoint != "" {
		fetcher = source.NewS3(c.S3Endpoint)
	} else {
		fetcher = source.NewEmbedded(store)
		s3 = s3server.New(store, m.log.With("component", "s3"))
	}

	var deployer *deploy.Dir
	if c.DeployDir != "" {
		d, err := deploy.New(c.DeployDir)
		if err != nil {
			return fmt.Errorf("deploy dir: %w", err)
		}
		deployer = d
	}
	// The temporary directory is this process's alone: what a previous
	// run left there (it was killed while validating a package) is
	// garbage.
	tempDir := filepath.Join(c.DataDir, "tmp")
	if err := os.RemoveAll(tempDir); err != nil {
		return fmt.Errorf("clean temp dir: %w", err)
	}
	if err := os.MkdirAll(tempDir, 0o755); err != nil {
		return fmt.Errorf("create temp dir: %w", err)
	}

	wctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	w := worker.New(worker.Config{
		Store:   store,
		Fetcher: fetcher,
		Delay:   c.Delay,
		Logger:  m.log.With("component", "worker"),
		Deploy:  deployer,
		TempDir: tempDir,
	})
	svc := service.New(service.Config{
		Store:  store,
		Delay:  c.Delay,
		Notify: w.Notify,
		Logger: m.log.With("component", "service"),
		Quotas: c.Quotas,
	})
	if c.AWSPackages {
		if _, err := svc.SeedAWSPackages(ctx); err != nil {
			return fmt.Errorf("seed aws packages: %w", err)
		}
	}
	m.server = &http.Server{
		Handler: api.New(api.Config{
			Service:        svc,
			S3:             s3,
			DefaultAccount: c.AccountID,
			DefaultRegion:  c.Region,
			Logger:         m.log.With("component", "api"),
		}),
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
	}

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	m.listener = ln

	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		w.Run(wctx)
	}()

	m.log.Info("osemu started", "version", osemu.Version, "addr", ln.Addr().String(),
		"data_dir", c.DataDir, "store", storeName(c.Store), "delay", c.Delay, "s3_endpoint", c.S3Endpoint,
		"account_id", c.AccountID, "deploy_dir", c.DeployDir, "aws_packages", c.AWSPackages)
	return nil
}

// openStore opens the store the settings name: PostgreSQL for a
// postgres:// URL, else the embedded SQLite database in the data dir.
func openStore(ctx context.Context, c Config) (osemu.Store, error) {
	if isPostgres(c.Store) {
		return postgres.Open(ctx, c.Store)
	}
	return sqlite.Open(ctx, filepath.Join(c.DataDir, "osemu.db"))
}

// storeName is the store setting without a password, for logs.
func storeName(store string) string {
	u, err := url.Parse(store)
	if err != nil || u.User == nil {
		return store
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// isPostgres reports whether a --store value names PostgreSQL.
func isPostgres(store string) bool {
	return strings.HasPrefix(store, "postgres://") || strings.HasPrefix(store, "postgresql://")
}

// Addr returns the address osemu listens on, once opened.
func (m *Main) Addr() string { return m.listener.Addr().String() }

// Serve serves HTTP until ctx is done, then stops accepting requests and
// waits for those under way.
func (m *Main) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- m.server.Serve(m.listener) }()

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	m.log.Info("osemu stopping")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.server.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// Close stops the worker and closes the store.
func (m *Main) Close() {
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
	if m.listener != nil {
		_ = m.listener.Close()
	}
	if m.store != nil {
		if err := m.store.Close(); err != nil {
			m.log.Error("close store", "error", err)
		}
	}
}
