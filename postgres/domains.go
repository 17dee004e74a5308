package postgres

import (
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/osemu/osemu"
)

const domainColumns = `account, region, name, engine_version, state, config, endpoint,
	change_id, created_at, updated_at`

func scanDomain(s scanner) (*osemu.Domain, error) {
	var (
		d                osemu.Domain
		state            string
		config           []byte
		created, updated pgtype.Timestamptz
	)
	err := s.Scan(&d.Scope.Account, &d.Scope.Region, &d.Name, &d.EngineVersion, &state,
		&config, &d.Endpoint, &d.ChangeID, &created, &updated)
	if err != nil {
		return nil, err
	}
	d.State = osemu.DomainState(state)
	if len(config) > 0 {
		d.Config = json.RawMessage(config)
	}
	d.CreatedAt = fromTS(created)
	d.UpdatedAt = fromTS(updated)
	return &d, nil
}

// rawArg stores a JSON document as it came (a json column keeps its text),
// and an empty one as NULL.
func rawArg(m json.RawMessage) any {
	if len(m) == 0 {
		return nil
	}
	return []byte(m)
}

// InsertDomain adds d. A taken name is ErrExists, and leaves the
// transaction usable.
func (x *tx) InsertDomain(d *osemu.Domain) error {
	const q = `INSERT INTO domains (` + domainColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT DO NOTHING`
	tag, err := x.exec(q, d.Scope.Account, d.Scope.Region, d.Name, d.EngineVersion,
		string(d.State), rawArg(d.Config), d.Endpoint, d.ChangeID, ts(d.CreatedAt), ts(d.UpdatedAt))
	if err == nil && tag.RowsAffected() == 0 {
		err = osemu.ErrExists
	}
	if err != nil {
		return fmt.Errorf("insert domain %s: %w", d.Name, err)
	}
	return nil
}

// GetDomain returns the scope's domain of that name.
func (x *tx) GetDomain(scope osemu.Scope, name string) (*osemu.Domain, error) {
	const q = `SELECT ` + domainColumns + ` FROM domains
		WHERE account = $1 AND region = $2 AND name = $3`
	d, err := scanDomain(x.queryRow(q, scope.Account, scope.Region, name))
	if err != nil {
		return nil, fmt.Errorf("get domain %s: %w", name, err)
	}
	return d, nil
}

// UpdateDomain replaces the domain's mutable fields.
func (x *tx) UpdateDomain(d *osemu.Domain) error {
	const q = `UPDATE domains SET engine_version = $1, state = $2, config = $3, endpoint = $4,
		change_id = $5, updated_at = $6
		WHERE account = $7 AND region = $8 AND name = $9`
	tag, err := x.exec(q, d.EngineVersion, string(d.State), rawArg(d.Config), d.Endpoint,
		d.ChangeID, ts(d.UpdatedAt), d.Scope.Account, d.Scope.Region, d.Name)
	if err == nil {
		err = mustAffect(tag)
	}
	if err != nil {
		return fmt.Errorf("update domain %s: %w", d.Name, err)
	}
	return nil
}

// DeleteDomain removes a domain; its associations and tags are the
// service's to remove.
func (x *tx) DeleteDomain(scope osemu.Scope, name string) error {
	const q = `DELETE FROM domains WHERE account = $1 AND region = $2 AND name = $3`
	tag, err := x.exec(q, scope.Account, scope.Region, name)
	if err == nil {
		err = mustAffect(tag)
	}
	if err != nil {
		return fmt.Errorf("delete domain %s: %w", name, err)
	}
	return nil
}

const listDomainsSQL = `SELECT ` + domainColumns + ` FROM domains
	WHERE account = $1 AND region = $2 ORDER BY name`

// ListDomains returns the scope's domains ordered by name.
func (x *tx) ListDomains(scope osemu.Scope) ([]*osemu.Domain, error) {
	rows, err := x.query(listDomainsSQL, scope.Account, scope.Region)
	if err != nil {
		return nil, fmt.Errorf("list domains: %w", err)
	}
	ds, err := collect(x, rows, scanDomain)
	if err != nil {
		return nil, fmt.Errorf("list domains: %w", err)
	}
	return ds, nil
}

const listTagsSQL = `SELECT key, value FROM tags WHERE arn = $1 ORDER BY key`

// ListTags returns the tags of an ARN ordered by key; nil when it has none.
func (x *tx) ListTags(arn string) ([]osemu.Tag, error) {
	rows, err := x.query(listTagsSQL, arn)
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	tags, err := collect(x, rows, func(s scanner) (osemu.Tag, error) {
		var t osemu.Tag
		return t, s.Scan(&t.Key, &t.Value)
	})
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	return tags, nil
}

// PutTags adds tags to an ARN, replacing the values of existing keys, in
// one statement. A key given twice takes its last value, as if each tag
// were put in turn; an upsert may not touch a row twice.
func (x *tx) PutTags(arn string, tags []osemu.Tag) error {
	if len(tags) == 0 {
		return nil
	}
	last := map[string]int{}
	for i, t := range tags {
		last[t.Key] = i
	}
	var keys, values []string
	for i, t := range tags {
		if last[t.Key] == i {
			keys = append(keys, t.Key)
			values = append(values, t.Value)
		}
	}
	const q = `INSERT INTO tags (arn, key, value)
		SELECT $1::text, k, v FROM unnest($2::text[], $3::text[]) AS t (k, v)
		ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value`
	if _, err := x.exec(q, arn, keys, values); err != nil {
		return fmt.Errorf("put tags: %w", err)
	}
	return nil
}

// DeleteTags removes the keys from an ARN's tags, or every tag if keys is
// empty.
func (x *tx) DeleteTags(arn string, keys []string) error {
	q := `DELETE FROM tags WHERE arn = $1`
	args := []any{arn}
	if len(keys) > 0 {
		q += ` AND key = ANY($2)`
		args = append(args, keys)
	}
	if _, err := x.exec(q, args...); err != nil {
		return fmt.Errorf("delete tags: %w", err)
	}
	return nil
}
