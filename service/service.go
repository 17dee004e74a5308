// Package service implements the operations of the OpenSearch Service
// configuration API on top of an osemu.Store: it checks the business rules
// (who sees what, which transitions are allowed), changes state in one
// transaction per request, and schedules the asynchronous lifecycle steps
// that the worker package carries out.
package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	"github.com/osemu/osemu"
)

// DefaultMaxResults is the page size when a request names none.
const DefaultMaxResults = 100

// Config configures a Service.
type Config struct {
	// Store holds all state. Required.
	Store osemu.Store

	// Clock tells the time; the wall clock by default.
	Clock osemu.Clock

	// IDs makes identifiers; random ones by default.
	IDs IDGenerator

	// Delay is how long each asynchronous lifecycle step takes.
	Delay time.Duration

	// Notify, if set, is called after a request committed new lifecycle
	// steps, to wake the worker.
	Notify func()

	// Logger receives the service's logs; slog.Default() by default.
	Logger *slog.Logger

	// Quotas caps what an account may create; zero values mean AWS's
	// quotas (DefaultQuotas).
	Quotas Quotas
}

// Quotas are the limits AWS answers LimitExceededException past.
type Quotas struct {
	// Packages is how many packages other than plugins an account may own
	// in a region.
	Packages int

	// Plugins is how many ZIP-PLUGIN packages an account may own in a
	// region.
	Plugins int

	// DomainPackages is how many packages may be associated with one
	// domain.
	DomainPackages int
}

// DefaultQuotas are AWS's quotas.
var DefaultQuotas = Quotas{Packages: 25, Plugins: 25, DomainPackages: 20}

// Service implements the API's operations.
type Service struct {
	store  osemu.Store
	clock  osemu.Clock
	ids    IDGenerator
	delay  time.Duration
	notify func()
	log    *slog.Logger
	tokens *tokens
	quotas Quotas
}

// New returns a Service.
func New(cfg Config) *Service {
	s := &Service{
		store:  cfg.Store,
		clock:  cfg.Clock,
		ids:    cfg.IDs,
		delay:  cfg.Delay,
		notify: cfg.Notify,
		log:    cfg.Logger,
		tokens: &tokens{store: cfg.Store},
		quotas: cfg.Quotas,
	}
	if s.quotas.Packages <= 0 {
		s.quotas.Packages = DefaultQuotas.Packages
	}
	if s.quotas.Plugins <= 0 {
		s.quotas.Plugins = DefaultQuotas.Plugins
	}
	if s.quotas.DomainPackages <= 0 {
		s.quotas.DomainPackages = DefaultQuotas.DomainPackages
	}
	if s.clock == nil {
		s.clock = osemu.SystemClock{}
	}
	if s.ids == nil {
		s.ids = RandomIDs{}
	}
	if s.notify == nil {
		s.notify = func() {}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// now returns the current time at the millisecond precision that the store
// keeps, so that what a request returns equals what a later read returns.
func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Millisecond) }

// update runs fn in a write transaction and wakes the worker afterwards if
// fn scheduled steps.
func (s *Service) update(ctx context.Context, fn func(tx osemu.Tx, sched *scheduler) error) error {
	var sched *scheduler
	err := s.store.Update(ctx, func(tx osemu.Tx) error {
		// A fresh scheduler per attempt: an engine may run fn again.
		sched = &scheduler{tx: tx, due: s.now().Add(s.delay)}
		return fn(tx, sched)
	})
	if err != nil {
		return storeError(err)
	}
	if sched != nil && sched.added {
		s.notify()
	}
	return nil
}

// view runs fn in a read transaction.
func (s *Service) view(ctx context.Context, fn func(tx osemu.Tx) error) error {
	return storeError(s.store.View(ctx, fn))
}

// scheduler adds lifecycle steps inside a transaction.
type scheduler struct {
	tx    osemu.Tx
	due   time.Time
	added bool
}

// schedule replaces the pending steps of a resource with one new step, due
// one delay from now.
func (sc *scheduler) schedule(
	kind osemu.StepKind, scope osemu.Scope, packageID, domainName string,
) error {
	if err := sc.tx.DeleteSteps(scope, packageID, domainName); err != nil {
		return err
	}
	sc.added = true
	return sc.tx.InsertStep(&osemu.Step{
		Kind:       kind,
		Scope:      scope,
		PackageID:  packageID,
		DomainName: domainName,
		DueAt:      sc.due,
	})
}

// storeError passes *osemu.Error through and turns store failures into the
// AWS errors clients retry on.
func storeError(err error) error {
	if err == nil {
		return nil
	}
	var e *osemu.Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, osemu.ErrUnavailable) {
		return osemu.Errorf(osemu.CodeInternal,
			"The service is temporarily unable to reach its store. Retry the request.")
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("store: %w", err)
}

// Page asks for one page of a listing.
type Page struct {
	// MaxResults caps the number of items; 0 means DefaultMaxResults.
	MaxResults int

	// NextToken continues a listing where a previous page ended.
	NextToken string
}

// limit returns the page size.
func (p Page) limit() (int, error) {
	switch {
	case p.MaxResults == 0:
		return DefaultMaxResults, nil
	case p.MaxResults < 0:
		// AWS: the model sets no minimum for MaxResults; a negative value
		// is refused here rather than read as "no limit" (unverified).
		return 0, osemu.ValidationError(fmt.Sprintf("Value '%d' at 'maxResults' failed to "+
			"satisfy constraint: Member must have value greater than or equal to 0", p.MaxResults))
	case p.MaxResults > DefaultMaxResults:
		return 0, osemu.ValidationError(fmt.Sprintf("Value '%d' at 'maxResults' failed to "+
			"satisfy constraint: Member must have value less than or equal to 100", p.MaxResults))
	}
	return p.MaxResults, nil
}

// IDGenerator makes the identifiers the service hands out.
type IDGenerator interface {
	// PackageID returns a new package ID for a package of type typ.
	PackageID(typ osemu.PackageType) string

	// Hex returns n random lowercase hexadecimal digits.
	Hex(n int) string
}

// RandomIDs makes random identifiers from crypto/rand. IDs of different
// replicas never collide in practice, and the store's unique keys catch
// the case where they would.
type RandomIDs struct{}

// PackageID returns "F" and nine digits for a dictionary, and "pkg-" and 40
// hexadecimal digits for the other types, as AWS does.
func (r RandomIDs) PackageID(typ osemu.PackageType) string {
	if typ == osemu.PackageTypeTxtDictionary {
		n, err := rand.Int(rand.Reader, big.NewInt(900_000_000))
		if err != nil {
			panic(err)
		}
		return fmt.Sprintf("F%d", 100_000_000+n.Int64())
	}
	return "pkg-" + r.Hex(40)
}

// Hex returns n random hexadecimal digits.
func (RandomIDs) Hex(n int) string {
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)[:n]
}
