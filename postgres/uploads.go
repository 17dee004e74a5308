package postgres

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/osemu/osemu"
)

const uploadColumns = `id, bucket, key, metadata, created_at`

func scanUpload(s scanner) (*osemu.Upload, error) {
	var (
		u       osemu.Upload
		meta    []byte
		created pgtype.Timestamptz
	)
	if err := s.Scan(&u.ID, &u.Bucket, &u.Key, &meta, &created); err != nil {
		return nil, err
	}
	u.CreatedAt = fromTS(created)
	var d decoder
	d.JSON(meta, &u.Metadata)
	return &u, d.Err
}

// InsertUpload adds an upload. A taken ID is ErrExists, and leaves the
// transaction usable.
func (x *tx) InsertUpload(u *osemu.Upload) error {
	var e encoder
	meta := metadata(&e, u.Metadata)
	if e.Err != nil {
		return fmt.Errorf("insert upload %s: %w", u.ID, e.Err)
	}
	const q = `INSERT INTO s3_uploads (` + uploadColumns + `) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT DO NOTHING`
	tag, err := x.exec(q, u.ID, u.Bucket, u.Key, meta, ts(u.CreatedAt))
	if err == nil && tag.RowsAffected() == 0 {
		err = osemu.ErrExists
	}
	if err != nil {
		return fmt.Errorf("insert upload %s: %w", u.ID, err)
	}
	return nil
}

// GetUpload returns an upload.
func (x *tx) GetUpload(id string) (*osemu.Upload, error) {
	const q = `SELECT ` + uploadColumns + ` FROM s3_uploads WHERE id = $1`
	u, err := scanUpload(x.queryRow(q, id))
	if err != nil {
		return nil, fmt.Errorf("get upload %s: %w", id, err)
	}
	return u, nil
}

// DeleteUpload removes an upload and its parts, and returns the parts
// ordered by number.
func (x *tx) DeleteUpload(id string) ([]*osemu.Part, error) {
	// The parts go first, since the cascade would delete them unseen.
	// RETURNING gives rows in no set order.
	rows, err := x.query(`DELETE FROM s3_parts WHERE upload_id = $1 RETURNING `+partColumns, id)
	if err != nil {
		return nil, fmt.Errorf("delete upload %s: %w", id, err)
	}
	parts, err := collect(x, rows, scanPart)
	if err != nil {
		return nil, fmt.Errorf("delete upload %s: %w", id, err)
	}
	slices.SortFunc(parts, func(a, b *osemu.Part) int { return cmp.Compare(a.Number, b.Number) })

	tag, err := x.exec(`DELETE FROM s3_uploads WHERE id = $1`, id)
	if err == nil {
		err = mustAffect(tag)
	}
	if err != nil {
		return nil, fmt.Errorf("delete upload %s: %w", id, err)
	}
	return parts, nil
}

// ListUploads returns a page of a bucket's uploads whose keys start with
// prefix, ordered by key (bytewise) then ID, after the (afterKey, afterID)
// pair; limit 0 means no cap.
func (x *tx) ListUploads(bucket, prefix, afterKey, afterID string, lim int,
) ([]*osemu.Upload, error) {
	query, args, err := listUploadsSQL(bucket, prefix, afterKey, afterID, lim)
	if errors.Is(err, errNoMatch) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list uploads of %s: %w", bucket, err)
	}
	rows, err := x.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("list uploads of %s: %w", bucket, err)
	}
	us, err := collect(x, rows, scanUpload)
	if err != nil {
		return nil, fmt.Errorf("list uploads of %s: %w", bucket, err)
	}
	return us, nil
}

// listUploadsSQL reads a range of s3_uploads_key: the prefix as a key range,
// as listObjectsSQL does, starting after the (afterKey, afterID) row value
// when it lies within the prefix's range.
func listUploadsSQL(bucket, prefix, afterKey, afterID string, lim int) (string, []any, error) {
	if err := checkKeys(prefix, afterKey, afterID); err != nil {
		return "", nil, err
	}
	var p params
	q := `SELECT ` + uploadColumns + ` FROM s3_uploads WHERE bucket = ` + p.add(bucket)
	if (afterKey != "" || afterID != "") && afterKey >= prefix {
		q += ` AND (key, id) > (` + p.add(afterKey) + `, ` + p.add(afterID) + `)`
	} else {
		q += ` AND key >= ` + p.add(prefix)
	}
	q += upperBound(&p, prefix) + ` ORDER BY key, id LIMIT ` + p.add(limit(lim))
	return q, p, nil
}

const partColumns = `upload_id, number, blob_id, blob_size, blob_sha256, blob_md5,
	modified_at`

func scanPart(s scanner) (*osemu.Part, error) {
	var (
		p        osemu.Part
		modified pgtype.Timestamptz
	)
	err := s.Scan(&p.UploadID, &p.Number, &p.Blob.ID, &p.Blob.Size, &p.Blob.SHA256, &p.Blob.MD5,
		&modified)
	if err != nil {
		return nil, err
	}
	p.ModifiedAt = fromTS(modified)
	return &p, nil
}

// putPartSQL stores a part if its upload exists, so that a missing upload
// is ErrNotFound without a foreign key violation, which would abort the
// transaction.
const putPartSQL = `INSERT INTO s3_parts (` + partColumns + `)
	SELECT $1::text, $2::integer, $3::text, $4::bigint, $5::text, $6::text, $7::timestamptz
	WHERE EXISTS (SELECT 1 FROM s3_uploads WHERE id = $1)
	ON CONFLICT (upload_id, number) DO UPDATE SET
		blob_id = excluded.blob_id, blob_size = excluded.blob_size,
		blob_sha256 = excluded.blob_sha256, blob_md5 = excluded.blob_md5,
		modified_at = excluded.modified_at`

// PutPart stores p and returns the part it replaced, if any.
func (x *tx) PutPart(p *osemu.Part) (*osemu.Part, error) {
	const get = `SELECT ` + partColumns + ` FROM s3_parts WHERE upload_id = $1 AND number = $2`
	old, err := scanPart(x.queryRow(get, p.UploadID, p.Number))
	if errors.Is(err, osemu.ErrNotFound) {
		old, err = nil, nil
	}
	if err == nil {
		var tag pgconn.CommandTag
		tag, err = x.exec(putPartSQL, p.UploadID, p.Number, p.Blob.ID, p.Blob.Size,
			p.Blob.SHA256, p.Blob.MD5, ts(p.ModifiedAt))
		if err == nil {
			err = mustAffect(tag)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("put part %d of upload %s: %w", p.Number, p.UploadID, err)
	}
	return old, nil
}

const listPartsSQL = `SELECT ` + partColumns + ` FROM s3_parts
	WHERE upload_id = $1 AND number > $2 ORDER BY number LIMIT $3`

// ListParts returns a page of an upload's parts, ordered by number, with
// numbers above after.
func (x *tx) ListParts(uploadID string, after, lim int) ([]*osemu.Part, error) {
	rows, err := x.query(listPartsSQL, uploadID, after, limit(lim))
	if err != nil {
		return nil, fmt.Errorf("list parts of upload %s: %w", uploadID, err)
	}
	ps, err := collect(x, rows, scanPart)
	if err != nil {
		return nil, fmt.Errorf("list parts of upload %s: %w", uploadID, err)
	}
	return ps, nil
}
