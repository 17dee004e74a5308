package postgres

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/osemu/osemu"
)

// InsertBucket adds a bucket. A taken name is ErrExists, and leaves the
// transaction usable.
func (x *tx) InsertBucket(b *osemu.Bucket) error {
	const q = `INSERT INTO s3_buckets (name, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`
	tag, err := x.exec(q, b.Name, ts(b.CreatedAt))
	if err == nil && tag.RowsAffected() == 0 {
		err = osemu.ErrExists
	}
	if err != nil {
		return fmt.Errorf("insert bucket %s: %w", b.Name, err)
	}
	return nil
}

func scanBucket(s scanner) (*osemu.Bucket, error) {
	var (
		b       osemu.Bucket
		created pgtype.Timestamptz
	)
	if err := s.Scan(&b.Name, &created); err != nil {
		return nil, err
	}
	b.CreatedAt = fromTS(created)
	return &b, nil
}

// GetBucket returns a bucket.
func (x *tx) GetBucket(name string) (*osemu.Bucket, error) {
	const q = `SELECT name, created_at FROM s3_buckets WHERE name = $1`
	b, err := scanBucket(x.queryRow(q, name))
	if err != nil {
		return nil, fmt.Errorf("get bucket %s: %w", name, err)
	}
	return b, nil
}

// DeleteBucket removes a bucket, whether or not it is empty.
func (x *tx) DeleteBucket(name string) error {
	tag, err := x.exec(`DELETE FROM s3_buckets WHERE name = $1`, name)
	if err == nil {
		err = mustAffect(tag)
	}
	if err != nil {
		return fmt.Errorf("delete bucket %s: %w", name, err)
	}
	return nil
}

// ListBuckets returns every bucket ordered by name.
func (x *tx) ListBuckets() ([]*osemu.Bucket, error) {
	rows, err := x.query(`SELECT name, created_at FROM s3_buckets ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	bs, err := collect(x, rows, scanBucket)
	if err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	return bs, nil
}

const objectColumns = `bucket, key, blob_id, blob_size, blob_sha256, blob_md5, metadata,
	modified_at`

func scanObject(s scanner) (*osemu.Object, error) {
	var (
		o        osemu.Object
		meta     []byte
		modified pgtype.Timestamptz
	)
	err := s.Scan(&o.Bucket, &o.Key, &o.Blob.ID, &o.Blob.Size, &o.Blob.SHA256, &o.Blob.MD5,
		&meta, &modified)
	if err != nil {
		return nil, err
	}
	o.ModifiedAt = fromTS(modified)
	var d decoder
	d.JSON(meta, &o.Metadata)
	return &o, d.Err
}

// metadata encodes S3 metadata; an empty map is stored as none.
func metadata(e *encoder, m map[string]string) any {
	if len(m) == 0 {
		return nil
	}
	return e.JSON(m)
}

// PutObject stores o and returns the object it replaced, if any.
func (x *tx) PutObject(o *osemu.Object) (*osemu.Object, error) {
	old, err := x.GetObject(o.Bucket, o.Key)
	if errors.Is(err, osemu.ErrNotFound) {
		old, err = nil, nil
	}
	if err != nil {
		return nil, err
	}

	var e encoder
	meta := metadata(&e, o.Metadata)
	if e.Err != nil {
		return nil, fmt.Errorf("put object %s/%s: %w", o.Bucket, o.Key, e.Err)
	}
	const q = `INSERT INTO s3_objects (` + objectColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (bucket, key) DO UPDATE SET
			blob_id = excluded.blob_id, blob_size = excluded.blob_size,
			blob_sha256 = excluded.blob_sha256, blob_md5 = excluded.blob_md5,
			metadata = excluded.metadata, modified_at = excluded.modified_at`
	_, err = x.exec(q, o.Bucket, o.Key, o.Blob.ID, o.Blob.Size, o.Blob.SHA256, o.Blob.MD5,
		meta, ts(o.ModifiedAt))
	if err != nil {
		return nil, fmt.Errorf("put object %s/%s: %w", o.Bucket, o.Key, err)
	}
	return old, nil
}

// GetObject returns an object.
func (x *tx) GetObject(bucket, key string) (*osemu.Object, error) {
	const q = `SELECT ` + objectColumns + ` FROM s3_objects WHERE bucket = $1 AND key = $2`
	o, err := scanObject(x.queryRow(q, bucket, key))
	if err != nil {
		return nil, fmt.Errorf("get object %s/%s: %w", bucket, key, err)
	}
	return o, nil
}

// DeleteObject removes an object and returns it.
func (x *tx) DeleteObject(bucket, key string) (*osemu.Object, error) {
	const q = `DELETE FROM s3_objects WHERE bucket = $1 AND key = $2 RETURNING ` + objectColumns
	o, err := scanObject(x.queryRow(q, bucket, key))
	if err != nil {
		return nil, fmt.Errorf("delete object %s/%s: %w", bucket, key, err)
	}
	return o, nil
}

// ListObjects returns a page of the bucket's objects whose keys start with
// prefix, after the key after, in bytewise key order; limit 0 means no cap.
func (x *tx) ListObjects(bucket, prefix, after string, lim int) ([]*osemu.Object, error) {
	query, args, err := listObjectsSQL(bucket, prefix, after, lim)
	if errors.Is(err, errNoMatch) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list objects of %s: %w", bucket, err)
	}
	rows, err := x.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("list objects of %s: %w", bucket, err)
	}
	objs, err := collect(x, rows, scanObject)
	if err != nil {
		return nil, fmt.Errorf("list objects of %s: %w", bucket, err)
	}
	return objs, nil
}

// listObjectsSQL turns the prefix into a key range, [prefix, successor),
// which the primary key serves and which, unlike LIKE, has no wildcards to
// escape.
func listObjectsSQL(bucket, prefix, after string, lim int) (string, []any, error) {
	if err := checkKeys(prefix, after); err != nil {
		return "", nil, err
	}
	var p params
	q := `SELECT ` + objectColumns + ` FROM s3_objects WHERE bucket = ` + p.add(bucket)
	if after >= prefix {
		q += ` AND key > ` + p.add(after)
	} else {
		q += ` AND key >= ` + p.add(prefix)
	}
	q += upperBound(&p, prefix) + ` ORDER BY key LIMIT ` + p.add(limit(lim))
	return q, p, nil
}

// errNoMatch says that no key can match a listing.
var errNoMatch = errors.New("no key matches")

// checkKeys checks the prefix and the start of a listing. Keys are valid
// UTF-8, as PostgreSQL text must be, and compare bytewise (COLLATE "C"),
// which for UTF-8 is code point order. A prefix that is not valid UTF-8
// matches no key (errNoMatch); a start that is not cannot be compared.
func checkKeys(prefix string, after ...string) error {
	if !utf8.ValidString(prefix) {
		return errNoMatch
	}
	for _, a := range after {
		if !utf8.ValidString(a) {
			return fmt.Errorf("start after %q: not valid UTF-8", a)
		}
	}
	return nil
}

// upperBound returns the condition that ends the key range of prefix, if
// it has an end.
func upperBound(p *params, prefix string) string {
	if end, ok := successor(prefix); ok {
		return ` AND key < ` + p.add(end)
	}
	return ""
}

// successor returns the least valid UTF-8 string greater than every string
// that starts with prefix, a valid UTF-8 string: prefix with its last code
// point incremented, after dropping trailing U+10FFFF. ok is false when
// there is none (prefix is empty or all U+10FFFF).
func successor(prefix string) (string, bool) {
	rs := []rune(prefix)
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i] == unicode.MaxRune {
			continue
		}
		rs[i]++
		if rs[i] == 0xd800 { // surrogates are no code points of UTF-8
			rs[i] = 0xe000
		}
		return string(rs[:i+1]), true
	}
	return "", false
}

// GetMeta returns a value of the store's own settings.
func (x *tx) GetMeta(key string) ([]byte, error) {
	var v []byte
	if err := x.queryRow(`SELECT value FROM meta WHERE key = $1`, key).Scan(&v); err != nil {
		return nil, fmt.Errorf("get meta %s: %w", key, err)
	}
	return v, nil
}

// PutMetaIfAbsent stores value under key unless the key is set, and
// returns the value stored under key afterwards.
func (x *tx) PutMetaIfAbsent(key string, value []byte) ([]byte, error) {
	if value == nil {
		value = []byte{} // a nil []byte binds as NULL
	}
	const q = `INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`
	if _, err := x.exec(q, key, value); err != nil {
		return nil, fmt.Errorf("put meta %s: %w", key, err)
	}
	return x.GetMeta(key)
}
