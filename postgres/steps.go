package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/osemu/osemu"
)

const stepColumns = `id, kind, account, region, package_id, domain_name, due_at, attempts,
	lease_owner, lease_until`

func scanStep(s scanner) (*osemu.Step, error) {
	var (
		st    osemu.Step
		kind  string
		due   time.Time
		until pgtype.Timestamptz
	)
	err := s.Scan(&st.ID, &kind, &st.Scope.Account, &st.Scope.Region, &st.PackageID,
		&st.DomainName, &due, &st.Attempts, &st.LeaseOwner, &until)
	if err != nil {
		return nil, err
	}
	st.Kind = osemu.StepKind(kind)
	st.DueAt = msTime(due)
	st.LeaseUntil = fromTS(until)
	return &st, nil
}

// claimSQL leases the step that has been due longest, read through
// steps_due in claim order. FOR UPDATE SKIP LOCKED passes over a step that
// another claim, on any replica, is taking at the same moment, and, under
// READ COMMITTED, over one whose lease such a claim has just committed
// (PostgreSQL checks the WHERE clause again on the row it locks): two
// claims never take the same step while its lease runs. A lease ends at
// lease_until: at that instant the step is free again.
const claimSQL = `UPDATE steps SET lease_owner = $1, lease_until = $2, attempts = attempts + 1
	WHERE id = (
		SELECT id FROM steps
		WHERE due_at <= $3 AND (lease_until IS NULL OR lease_until <= $3)
		ORDER BY due_at, id LIMIT 1
		FOR UPDATE SKIP LOCKED
	)
	RETURNING ` + stepColumns

// ClaimStep leases the step that has been due longest to owner until
// now+lease, in a short READ COMMITTED transaction of its own. It returns
// ErrNotFound when no step is due, or when every due step is being claimed
// by others.
func (s *Store) ClaimStep(ctx context.Context, owner string, now time.Time, lease time.Duration,
) (*osemu.Step, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return nil, fmt.Errorf("claim step: begin: %w", s.lost(connectErr(err)))
	}
	defer rollback(ctx, t)

	st, err := scanStep(t.QueryRow(ctx, claimSQL, owner, msTime(now.Add(lease)), msTime(now)))
	if err != nil {
		return nil, fmt.Errorf("claim step: %w", s.lost(dbErr(err, false)))
	}
	if err := t.Commit(ctx); err != nil {
		return nil, fmt.Errorf("claim step: commit: %w", s.lost(dbErr(err, false)))
	}
	return st, nil
}

// nextDueSQL reads the first entry of steps_ready, which holds the time
// each step can next be claimed: its due time, or its lease's end if that
// is later. It is NULL when there are no steps.
const nextDueSQL = `SELECT min(greatest(due_at, lease_until)) FROM steps`

// NextStepDue returns the earliest time at which a step can be claimed:
// its DueAt if it is not leased, else when its lease expires. A worker that
// sleeps until then thus also picks up the steps of a worker that died
// holding their lease. ok is false when there are no steps.
func (s *Store) NextStepDue(ctx context.Context) (time.Time, bool, error) {
	var ready pgtype.Timestamptz
	err := s.withConn(ctx, func(c *pgxpool.Conn) error {
		return c.QueryRow(ctx, nextDueSQL).Scan(&ready)
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next step due: %w", err)
	}
	if !ready.Valid {
		return time.Time{}, false, nil
	}
	return msTime(ready.Time), true, nil
}

// InsertStep adds s and sets s.ID.
func (x *tx) InsertStep(s *osemu.Step) error {
	const q = `INSERT INTO steps (kind, account, region, package_id, domain_name, due_at,
		attempts, lease_owner, lease_until)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		RETURNING id`
	row := x.queryRow(q, string(s.Kind), s.Scope.Account, s.Scope.Region, s.PackageID,
		s.DomainName, msTime(s.DueAt), s.Attempts, s.LeaseOwner, ts(s.LeaseUntil))
	if err := row.Scan(&s.ID); err != nil {
		return fmt.Errorf("insert step: %w", err)
	}
	return nil
}

// CompleteStep removes a step that owner holds the lease of, or returns
// ErrLeaseLost. A step never leased is no one's to complete.
func (x *tx) CompleteStep(id int64, owner string) error {
	const q = `DELETE FROM steps WHERE id = $1 AND lease_owner = $2 AND lease_until IS NOT NULL`
	tag, err := x.exec(q, id, owner)
	if err == nil {
		err = mustAffect(tag)
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
	const q = `UPDATE steps SET lease_until = $3
		WHERE id = $1 AND lease_owner = $2 AND lease_until IS NOT NULL`
	tag, err := x.exec(q, id, owner, msTime(until))
	if err == nil {
		err = mustAffect(tag)
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
		WHERE account = $1 AND region = $2 AND package_id = $3 AND domain_name = $4`
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
	steps, err := collect(x, rows, scanStep)
	if err != nil {
		return nil, fmt.Errorf("list steps: %w", err)
	}
	return steps, nil
}
