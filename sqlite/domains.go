package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/osemu/osemu"
)

const domainColumns = `account, region, name, engine_version, state, config, endpoint,
	change_id, created_at, updated_at`

func scanDomain(s scanner) (*osemu.Domain, error) {
	var (
		d                osemu.Domain
		state            string
		config           []byte
		created, updated sql.NullInt64
	)
	err := s.Scan(&d.Scope.Account, &d.Scope.Region, &d.Name, &d.EngineVersion, &state,
		&config, &d.Endpoint, &d.ChangeID, &created, &updated)
	if err != nil {
		return nil, dbErr(err)
	}
	d.State = osemu.DomainState(state)
	if len(config) > 0 {
		d.Config = json.RawMessage(config)
	}
	d.CreatedAt = fromMS(created)
	d.UpdatedAt = fromMS(updated)
	return &d, nil
}

// rawArg stores a JSON document as it came, and an empty one as NULL.
func rawArg(m json.RawMessage) any {
	if len(m) == 0 {
		return nil
	}
	return []byte(m)
}

// InsertDomain adds d.
func (x *tx) InsertDomain(d *osemu.Domain) error {
	const q = `INSERT INTO domains (` + domainColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	_, err := x.exec(q, d.Scope.Account, d.Scope.Region, d.Name, d.EngineVersion,
		string(d.State), rawArg(d.Config), d.Endpoint, d.ChangeID, ms(d.CreatedAt), ms(d.UpdatedAt))
	if err != nil {
		return fmt.Errorf("insert domain %s: %w", d.Name, err)
	}
	return nil
}

// GetDomain returns the scope's domain of that name.
func (x *tx) GetDomain(scope osemu.Scope, name string) (*osemu.Domain, error) {
	const q = `SELECT ` + domainColumns + ` FROM domains
		WHERE account = ? AND region = ? AND name = ?`
	d, err := scanDomain(x.queryRow(q, scope.Account, scope.Region, name))
	if err != nil {
		return nil, fmt.Errorf("get domain %s: %w", name, err)
	}
	return d, nil
}

// UpdateDomain replaces the domain's mutable fields.
func (x *tx) UpdateDomain(d *osemu.Domain) error {
	const q = `UPDATE domains SET engine_version = ?, state = ?, config = ?, endpoint = ?,
		change_id = ?, updated_at = ?
		WHERE account = ? AND region = ? AND name = ?`
	res, err := x.exec(q, d.EngineVersion, string(d.State), rawArg(d.Config), d.Endpoint,
		d.ChangeID, ms(d.UpdatedAt), d.Scope.Account, d.Scope.Region, d.Name)
	if err == nil {
		err = mustAffect(res)
	}
	if err != nil {
		return fmt.Errorf("update domain %s: %w", d.Name, err)
	}
	return nil
}

// DeleteDomain removes a domain; its associations and tags are the
// service's to remove.
func (x *tx) DeleteDomain(scope osemu.Scope, name string) error {
	const q = `DELETE FROM domains WHERE account = ? AND region = ? AND name = ?`
	res, err := x.exec(q, scope.Account, scope.Region, name)
	if err == nil {
		err = mustAffect(res)
	}
	if err != nil {
		return fmt.Errorf("delete domain %s: %w", name, err)
	}
	return nil
}

const listDomainsSQL = `SELECT ` + domainColumns + ` FROM domains
	WHERE account = ? AND region = ? ORDER BY name`

// ListDomains returns the scope's domains ordered by name.
func (x *tx) ListDomains(scope osemu.Scope) ([]*osemu.Domain, error) {
	rows, err := x.query(listDomainsSQL, scope.Account, scope.Region)
	if err != nil {
		return nil, fmt.Errorf("list domains: %w", err)
	}
	ds, err := collect(rows, scanDomain)
	if err != nil {
		return nil, fmt.Errorf("list domains: %w", err)
	}
	return ds, nil
}

const listTagsSQL = `SELECT key, value FROM tags WHERE arn = ? ORDER BY key`

// ListTags returns the tags of an ARN ordered by key; nil when it has none.
func (x *tx) ListTags(arn string) ([]osemu.Tag, error) {
	rows, err := x.query(listTagsSQL, arn)
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	tags, err := collect(rows, func(s scanner) (osemu.Tag, error) {
		var t osemu.Tag
		return t, s.Scan(&t.Key, &t.Value)
	})
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	return tags, nil
}

// PutTags adds tags to an ARN, replacing the values of existing keys.
func (x *tx) PutTags(arn string, tags []osemu.Tag) error {
	const q = `INSERT INTO tags (arn, key, value) VALUES (?, ?, ?)
		ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value`
	for _, t := range tags {
		if _, err := x.exec(q, arn, t.Key, t.Value); err != nil {
			return fmt.Errorf("put tag %s: %w", t.Key, err)
		}
	}
	return nil
}

// DeleteTags removes the keys from an ARN's tags, or every tag if keys is
// empty.
func (x *tx) DeleteTags(arn string, keys []string) error {
	q := `DELETE FROM tags WHERE arn = ?`
	args := []any{arn}
	if len(keys) > 0 {
		q += ` AND key IN ` + jsonList
		args = append(args, jsonArray(keys))
	}
	if _, err := x.exec(q, args...); err != nil {
		return fmt.Errorf("delete tags: %w", err)
	}
	return nil
}
