// Package worker carries out the asynchronous lifecycle steps that requests
// schedule: copying and validating package content, deleting packages,
// associating and dissociating packages, creating and deleting domains.
//
// Steps are rows in the store. A worker claims a due step under a lease,
// does its work, and finishes it in one transaction that also removes the
// step, so a restart resumes every pending step, and a step whose worker
// died is taken over when its lease expires, without its effect being
// applied twice.
package worker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/deploy"
)

// Fetcher reads package content from S3.
type Fetcher interface {
	Fetch(ctx context.Context, scope osemu.Scope, loc osemu.S3Location) (io.ReadCloser, int64, error)
}

// Config configures a Worker.
type Config struct {
	// Store holds the steps and everything they change. Required.
	Store osemu.Store

	// Fetcher reads package content. Required.
	Fetcher Fetcher

	// Clock tells the time; the wall clock by default.
	Clock osemu.Clock

	// Delay is how long each lifecycle step takes.
	Delay time.Duration

	// Owner names this worker in step leases; random by default.
	Owner string

	// Lease is how long a claimed step stays reserved to this worker, 30
	// seconds by default. A step whose worker dies is retried once its
	// lease expires.
	Lease time.Duration

	// Poll is the longest the worker sleeps before looking for due steps
	// again, which bounds how late it notices steps other replicas
	// scheduled; a second by default.
	Poll time.Duration

	// Logger receives the worker's logs; slog.Default() by default.
	Logger *slog.Logger

	// Deploy, if set, receives the package versions domains run, when
	// associations become ACTIVE and when they go.
	Deploy *deploy.Dir

	// TempDir is where content that needs random access (zip archives) is
	// spooled; the system's temporary directory by default.
	TempDir string
}

// Worker runs lifecycle steps.
type Worker struct {
	store osemu.Store
	fetch Fetcher
	clock osemu.Clock
	delay time.Duration
	owner string
	lease time.Duration
	poll  time.Duration
	log   *slog.Logger
	wake  chan struct{}

	tempDir string
	deploy  *deploy.Dir

	// errMu guards lastErrLog, which rate-limits error logs of the run
	// loop.
	errMu      sync.Mutex
	lastErrLog time.Time
}

// New returns a Worker. Call Run to start it, or RunDue to run the steps
// that are due once.
func New(cfg Config) *Worker {
	w := &Worker{
		store: cfg.Store,
		fetch: cfg.Fetcher,
		clock: cfg.Clock,
		delay: cfg.Delay,
		owner: cfg.Owner,
		lease: cfg.Lease,
		poll:  cfg.Poll,
		log:   cfg.Logger,
		wake:  make(chan struct{}, 1),

		tempDir: cfg.TempDir,
		deploy:  cfg.Deploy,
	}
	if w.clock == nil {
		w.clock = osemu.SystemClock{}
	}
	if w.owner == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		w.owner = "worker-" + hex.EncodeToString(b)
	}
	if w.lease <= 0 {
		w.lease = 30 * time.Second
	}
	if w.poll <= 0 {
		w.poll = time.Second
	}
	if w.log == nil {
		w.log = slog.Default()
	}
	return w
}

// Notify wakes the worker: a request scheduled a step.
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run runs due steps until ctx is done.
func (w *Worker) Run(ctx context.Context) {
	w.log.Info("worker started", "owner", w.owner, "delay", w.delay)
	backoff := time.Duration(0)
	for {
		if _, err := w.RunDue(ctx); err != nil && ctx.Err() == nil {
			w.logError("run steps", err)
			backoff = min(max(2*backoff, 100*time.Millisecond), 5*time.Second)
		} else {
			backoff = 0
		}

		wait := max(w.untilNextStep(ctx), backoff)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			w.log.Info("worker stopped", "owner", w.owner)
			return
		case <-w.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// untilNextStep returns how long to sleep before the next step is due,
// at most the poll interval.
func (w *Worker) untilNextStep(ctx context.Context) time.Duration {
	due, ok, err := w.store.NextStepDue(ctx)
	if err != nil || !ok {
		return w.poll
	}
	return min(max(due.Sub(w.clock.Now()), 0), w.poll)
}

// logError logs an internal failure of the run loop at most once every
// few seconds, so that a store outage does not flood the log.
func (w *Worker) logError(msg string, err error) {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	if now := time.Now(); now.Sub(w.lastErrLog) > 5*time.Second {
		w.lastErrLog = now
		w.log.Error(msg, "error", err)
	}
}

// RunDue claims and runs every step that is due now, and returns how many
// it ran. A step that fails stays leased and is retried once its lease
// expires; RunDue then carries on with the other steps and reports the
// first failure.
func (w *Worker) RunDue(ctx context.Context) (int, error) {
	var firstErr error
	n := 0
	for {
		step, err := w.store.ClaimStep(ctx, w.owner, w.clock.Now(), w.lease)
		if errors.Is(err, osemu.ErrNotFound) {
			return n, firstErr
		}
		if err != nil {
			return n, errors.Join(firstErr, fmt.Errorf("claim step: %w", err))
		}

		n++
		err = w.runLeased(ctx, step)
		if errors.Is(err, osemu.ErrLeaseLost) {
			// A newer request replaced the step, or another worker took
			// it over: nothing of this run was committed.
			w.log.Debug("step superseded", "step", step.ID, "kind", step.Kind)
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return n, ctx.Err()
			}
			w.log.Error("step failed", "step", step.ID, "kind", step.Kind,
				"package_id", step.PackageID, "domain", step.DomainName,
				"attempt", step.Attempts, "error", err)
			if firstErr == nil {
				firstErr = err
			}
		}
	}
}

// runLeased runs a claimed step while keeping its lease: a step may take
// longer than a lease (a large plugin, a slow S3), and another worker must
// not take over a step that is still running. If the worker is stopping,
// the lease is released so another replica can take the step at once.
func (w *Worker) runLeased(ctx context.Context, step *osemu.Step) error {
	stepCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	done := make(chan struct{})
	go func() {
		defer close(done)
		ticker := time.NewTicker(max(w.lease/3, time.Millisecond))
		defer ticker.Stop()
		for {
			select {
			case <-stepCtx.Done():
				return
			case <-ticker.C:
				err := w.store.Update(stepCtx, func(tx osemu.Tx) error {
					return tx.RenewLease(step.ID, w.owner, w.clock.Now().Add(w.lease))
				})
				if errors.Is(err, osemu.ErrLeaseLost) {
					// Superseded or taken over: whatever this run does
					// would not commit, so stop it.
					cancel()
					return
				}
			}
		}
	}()

	err := w.runStep(stepCtx, step)
	cancel()
	<-done

	if ctx.Err() != nil {
		releaseCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		_ = w.store.Update(releaseCtx, func(tx osemu.Tx) error {
			return tx.RenewLease(step.ID, w.owner, w.clock.Now())
		})
	}
	if err != nil && ctx.Err() == nil && stepCtx.Err() != nil {
		return fmt.Errorf("step %d: %w", step.ID, osemu.ErrLeaseLost)
	}
	return err
}

// runStep does one step.
func (w *Worker) runStep(ctx context.Context, step *osemu.Step) error {
	switch step.Kind {
	case osemu.StepPackageCopy:
		return w.copyPackage(ctx, step)
	case osemu.StepPackageValidate:
		return w.validatePackage(ctx, step)
	case osemu.StepPackageDelete:
		return w.deletePackage(ctx, step)
	case osemu.StepAssociate:
		return w.associate(ctx, step)
	case osemu.StepDissociate:
		return w.dissociate(ctx, step)
	case osemu.StepDomainCreate:
		return w.createDomain(ctx, step)
	case osemu.StepDomainDelete:
		return w.deleteDomain(ctx, step)
	}

	// A step of a kind this version does not know, written by a newer
	// one: leave it for a worker that knows it.
	return fmt.Errorf("unknown step kind %q", step.Kind)
}

// finish runs fn in a transaction that also completes the step, so the
// step's effect and its removal commit together or not at all. fn gets a
// scheduler for the next step.
func (w *Worker) finish(
	ctx context.Context, step *osemu.Step, fn func(tx osemu.Tx, next *next) error,
) error {
	return w.store.Update(ctx, func(tx osemu.Tx) error {
		if err := tx.CompleteStep(step.ID, w.owner); err != nil {
			return err
		}
		return fn(tx, &next{tx: tx, due: w.now().Add(w.delay)})
	})
}

// now returns the time at the precision the store keeps.
func (w *Worker) now() time.Time { return w.clock.Now().UTC().Truncate(time.Millisecond) }

// next schedules a follow-up step inside a finishing transaction.
type next struct {
	tx  osemu.Tx
	due time.Time
}

func (n *next) schedule(
	kind osemu.StepKind, scope osemu.Scope, packageID, domainName string,
) error {
	if err := n.tx.DeleteSteps(scope, packageID, domainName); err != nil {
		return err
	}
	return n.tx.InsertStep(&osemu.Step{
		Kind:       kind,
		Scope:      scope,
		PackageID:  packageID,
		DomainName: domainName,
		DueAt:      n.due,
	})
}
