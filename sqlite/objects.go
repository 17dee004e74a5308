package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/osemu/osemu"
)

// InsertBucket adds a bucket.
func (x *tx) InsertBucket(b *osemu.Bucket) error {
	const q = `INSERT INTO s3_buckets (name, created_at) VALUES (?, ?)`
	if _, err := x.exec(q, b.Name, ms(b.CreatedAt)); err != nil {
		return fmt.Errorf("insert bucket %s: %w", b.Name, err)
	}
	return nil
}

func scanBucket(s scanner) (*osemu.Bucket, error) {
	var (
		b       osemu.Bucket
		created sql.NullInt64
	)
	if err := s.Scan(&b.Name, &created); err != nil {
		return nil, dbErr(err)
	}
	b.CreatedAt = fromMS(created)
	return &b, nil
}

// GetBucket returns a bucket.
func (x *tx) GetBucket(name string) (*osemu.Bucket, error) {
	b, err := scanBucket(x.queryRow(`SELECT name, created_at FROM s3_buckets WHERE name = ?`, name))
	if err != nil {
		return nil, fmt.Errorf("get bucket %s: %w", name, err)
	}
	return b, nil
}

// DeleteBucket removes a bucket, whether or not it is empty.
func (x *tx) DeleteBucket(name string) error {
	res, err := x.exec(`DELETE FROM s3_buckets WHERE name = ?`, name)
	if err == nil {
		err = mustAffect(res)
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
	bs, err := collect(rows, scanBucket)
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
		modified sql.NullInt64
	)
	err := s.Scan(&o.Bucket, &o.Key, &o.Blob.ID, &o.Blob.Size, &o.Blob.SHA256, &o.Blob.MD5,
		&meta, &modified)
	if err != nil {
		return nil, dbErr(err)
	}
	o.ModifiedAt = fromMS(modified)
	var d decoder
	d.JSON(meta, &o.Metadata)
	return &o, d.Err
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

	// An empty metadata map is stored as none.
	var e encoder
	var meta any
	if len(o.Metadata) > 0 {
		meta = e.JSON(o.Metadata)
	}
	if e.Err != nil {
		return nil, fmt.Errorf("put object %s/%s: %w", o.Bucket, o.Key, e.Err)
	}
	const q = `INSERT INTO s3_objects (` + objectColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (bucket, key) DO UPDATE SET
			blob_id = excluded.blob_id, blob_size = excluded.blob_size,
			blob_sha256 = excluded.blob_sha256, blob_md5 = excluded.blob_md5,
			metadata = excluded.metadata, modified_at = excluded.modified_at`
	_, err = x.exec(q, o.Bucket, o.Key, o.Blob.ID, o.Blob.Size, o.Blob.SHA256, o.Blob.MD5,
		meta, ms(o.ModifiedAt))
	if err != nil {
		return nil, fmt.Errorf("put object %s/%s: %w", o.Bucket, o.Key, err)
	}
	return old, nil
}

// GetObject returns an object.
func (x *tx) GetObject(bucket, key string) (*osemu.Object, error) {
	const q = `SELECT ` + objectColumns + ` FROM s3_objects WHERE bucket = ? AND key = ?`
	o, err := scanObject(x.queryRow(q, bucket, key))
	if err != nil {
		return nil, fmt.Errorf("get object %s/%s: %w", bucket, key, err)
	}
	return o, nil
}

// DeleteObject removes an object and returns it.
func (x *tx) DeleteObject(bucket, key string) (*osemu.Object, error) {
	const q = `DELETE FROM s3_objects WHERE bucket = ? AND key = ? RETURNING ` + objectColumns
	o, err := scanObject(x.queryRow(q, bucket, key))
	if err != nil {
		return nil, fmt.Errorf("delete object %s/%s: %w", bucket, key, err)
	}
	return o, nil
}

// ListObjects returns a page of the bucket's objects whose keys start with
// prefix, after the key after, in bytewise key order; limit 0 means no cap.
func (x *tx) ListObjects(bucket, prefix, after string, lim int) ([]*osemu.Object, error) {
	query, args := listObjectsSQL(bucket, prefix, after, lim)
	rows, err := x.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("list objects of %s: %w", bucket, err)
	}
	objs, err := collect(rows, scanObject)
	if err != nil {
		return nil, fmt.Errorf("list objects of %s: %w", bucket, err)
	}
	return objs, nil
}

// listObjectsSQL turns the prefix into a key range, [prefix, successor),
// which the primary key serves and which, unlike LIKE, has no wildcards to
// escape.
func listObjectsSQL(bucket, prefix, after string, lim int) (string, []any) {
	q := `SELECT ` + objectColumns + ` FROM s3_objects WHERE bucket = ?`
	args := []any{bucket}
	if after >= prefix {
		q += ` AND key > ?`
		args = append(args, after)
	} else {
		q += ` AND key >= ?`
		args = append(args, prefix)
	}
	if end, ok := successor(prefix); ok {
		q += ` AND key < ?`
		args = append(args, end)
	}
	q += ` ORDER BY key LIMIT ?`
	return q, append(args, limit(lim))
}

// successor returns the least string greater than every string that starts
// with prefix; ok is false when there is none (prefix is empty or all
// 0xff bytes).
func successor(prefix string) (string, bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// GetMeta returns a value of the store's own settings.
func (x *tx) GetMeta(key string) ([]byte, error) {
	var v []byte
	if err := x.queryRow(`SELECT value FROM meta WHERE key = ?`, key).Scan(&v); err != nil {
		return nil, fmt.Errorf("get meta %s: %w", key, dbErr(err))
	}
	return v, nil
}

// PutMetaIfAbsent stores value under key unless the key is set, and
// returns the value stored under key afterwards.
func (x *tx) PutMetaIfAbsent(key string, value []byte) ([]byte, error) {
	if value == nil {
		value = []byte{} // a nil []byte binds as NULL
	}
	const q = `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`
	if _, err := x.exec(q, key, value); err != nil {
		return nil, fmt.Errorf("put meta %s: %w", key, err)
	}
	return x.GetMeta(key)
}
