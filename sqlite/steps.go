package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/osemu/osemu"
)

const stepColumns = `id, kind, account, region, package_id, domain_name, due_at, attempts,
	lease_owner, lease_until`

func scanStep(s scanner) (*osemu.Step, error) {
	var (
		st         osemu.Step
		kind       string
		due, until int64
	)
	err := s.Scan(&st.ID, &kind, &st.Scope.Account, &st.Scope.Region, &st.PackageID,
		&st.DomainName, &due, &st.Attempts, &st.LeaseOwner, &until)
	if err != nil {
		return nil, dbErr(err)
	}
	st.Kind = osemu.StepKind(kind)
	st.DueAt = time.UnixMilli(due).UTC()
	st.LeaseUntil = leaseFromMS(until)
	return &st, nil
}

// leaseMS stores a lease expiry; no lease is 0, so that "free or expired"
// is lease_until <= now.
func leaseMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func leaseFromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// claimSQL leases the step that has been due longest. One statement on the
// single writer connection, so two claims never pick the same step.
const claimSQL = `UPDATE steps SET lease_owner = ?, lease_until = ?, attempts = attempts + 1
	WHERE id = (
		SELECT id FROM steps WHERE due_at <= ? AND lease_until <= ?
		ORDER BY due_at, id LIMIT 1
	)
	RETURNING ` + stepColumns

// ClaimStep leases the step that has been due longest to owner until
// now+lease. It returns ErrNotFound when no step is due.
func (s *Store) ClaimStep(ctx context.Context, owner string, now time.Time, lease time.Duration,
) (*osemu.Step, error) {
	n := now.UnixMilli()
	st, err := scanStep(s.w.QueryRowContext(ctx, claimSQL, owner, now.Add(lease).UnixMilli(), n, n))
	if err != nil {
		return nil, fmt.Errorf("claim step: %w", err)
	}
	return st, nil
}

// nextDueSQL reads the first entry of the steps_ready index, which holds
// the time each step can next be claimed. It is NULL when there are no
// steps.
const nextDueSQL = `SELECT min(max(due_at, lease_until)) FROM steps`

// NextStepDue returns the earliest time at which a step can be claimed:
// its DueAt if it is not leased, else when its lease expires. A worker that
// sleeps until then thus also picks up the steps of a worker that died
// holding their lease. ok is false when there are no steps.
func (s *Store) NextStepDue(ctx context.Context) (time.Time, bool, error) {
	var ready sql.NullInt64
	if err := s.r.QueryRowContext(ctx, nextDueSQL).Scan(&ready); err != nil {
		return time.Time{}, false, fmt.Errorf("next step due: %w", dbErr(err))
	}
	if !ready.Valid {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(ready.Int64).UTC(), true, nil
}

// InsertStep adds s and sets s.ID.
func (x *tx) InsertStep(s *osemu.Step) error {
	const q = `INSERT INTO steps (kind, account, region, package_id, domain_name, due_at,
		attempts, lease_owner, lease_until)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`
	row := x.queryRow(q, string(s.Kind), s.Scope.Account, s.Scope.Region, s.PackageID,
		s.DomainName, s.DueAt.UnixMilli(), s.Attempts, s.LeaseOwner, leaseMS(s.LeaseUntil))
	if err := row.Scan(&s.ID); err != nil {
		return fmt.Errorf("insert step: %w", dbErr(err))
	}
	return nil
}

// CompleteStep removes a step that owner holds the lease of, or returns
// ErrLeaseLost.
func (x *tx) CompleteStep(id int64, owner string) error {
	res, err := x.exec(`DELETE FROM steps WHERE id = ? AND lease_owner = ?`, id, owner)
	if err == nil {
		err = mustAffect(res)
	}
	if errors.Is(err, osemu.ErrNotFound) {
		err = osemu.ErrLeaseLost
	}
	if err != nil {
		return fmt.Errorf("complete step %d: %w", id, err)
	}
	return nil
}

// RenewLease moves the end of the lease owner holds on a step.
func (x *tx) RenewLease(id int64, owner string, until time.Time) error {
	res, err := x.exec(`UPDATE steps SET lease_until = ? WHERE id = ? AND lease_owner = ?`,
		until.UnixMilli(), id, owner)
	if err == nil {
		err = mustAffect(res)
	}
	if errors.Is(err, osemu.ErrNotFound) {
		err = osemu.ErrLeaseLost
	}
	if err != nil {
		return fmt.Errorf("renew lease of step %d: %w", id, err)
	}
	return nil
}

// DeleteSteps removes every step of exactly this resource.
func (x *tx) DeleteSteps(scope osemu.Scope, packageID, domainName string) error {
	const q = `DELETE FROM steps
		WHERE account = ? AND region = ? AND package_id = ? AND domain_name = ?`
	if _, err := x.exec(q, scope.Account, scope.Region, packageID, domainName); err != nil {
		return fmt.Errorf("delete steps: %w", err)
	}
	return nil
}

// ListSteps returns every step, ordered by ID.
func (x *tx) ListSteps() ([]*osemu.Step, error) {
	rows, err := x.query(`SELECT ` + stepColumns + ` FROM steps ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list steps: %w", err)
	}
	steps, err := collect(rows, scanStep)
	if err != nil {
		return nil, fmt.Errorf("list steps: %w", err)
	}
	return steps, nil
}
