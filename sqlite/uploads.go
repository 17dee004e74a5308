package sqlite

import (
	"cmp"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/osemu/osemu"
)

const uploadColumns = `id, bucket, key, metadata, created_at`

func scanUpload(s scanner) (*osemu.Upload, error) {
	var (
		u       osemu.Upload
		meta    []byte
		created sql.NullInt64
	)
	if err := s.Scan(&u.ID, &u.Bucket, &u.Key, &meta, &created); err != nil {
		return nil, dbErr(err)
	}
	u.CreatedAt = fromMS(created)
	var d decoder
	d.JSON(meta, &u.Metadata)
	return &u, d.Err
}

// InsertUpload adds an upload.
func (x *tx) InsertUpload(u *osemu.Upload) error {
	// An empty metadata map is stored as none.
	var e encoder
	var meta any
	if len(u.Metadata) > 0 {
		meta = e.JSON(u.Metadata)
	}
	if e.Err != nil {
		return fmt.Errorf("insert upload %s: %w", u.ID, e.Err)
	}
	const q = `INSERT INTO s3_uploads (` + uploadColumns + `) VALUES (?, ?, ?, ?, ?)`
	if _, err := x.exec(q, u.ID, u.Bucket, u.Key, meta, ms(u.CreatedAt)); err != nil {
		return fmt.Errorf("insert upload %s: %w", u.ID, err)
	}
	return nil
}

// GetUpload returns an upload.
func (x *tx) GetUpload(id string) (*osemu.Upload, error) {
	const q = `SELECT ` + uploadColumns + ` FROM s3_uploads WHERE id = ?`
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
	rows, err := x.query(`DELETE FROM s3_parts WHERE upload_id = ? RETURNING `+partColumns, id)
	if err != nil {
		return nil, fmt.Errorf("delete upload %s: %w", id, err)
	}
	parts, err := collect(rows, scanPart)
	if err != nil {
		return nil, fmt.Errorf("delete upload %s: %w", id, err)
	}
	slices.SortFunc(parts, func(a, b *osemu.Part) int { return cmp.Compare(a.Number, b.Number) })

	res, err := x.exec(`DELETE FROM s3_uploads WHERE id = ?`, id)
	if err == nil {
		err = mustAffect(res)
	}
	if err != nil {
		return nil, fmt.Errorf("delete upload %s: %w", id, err)
	}
	return parts, nil
}

// ListUploads returns a page of a bucket's uploads whose keys start with
// prefix, ordered by key (bytewise) then ID, after the (afterKey, afterID)
// pair; limit 0 means no cap.
func (x *tx) ListUploads(bucket, prefix, afterKey, afterID string, lim int) ([]*osemu.Upload, error) {
	query, args := listUploadsSQL(bucket, prefix, afterKey, afterID, lim)
	rows, err := x.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("list uploads of %s: %w", bucket, err)
	}
	us, err := collect(rows, scanUpload)
	if err != nil {
		return nil, fmt.Errorf("list uploads of %s: %w", bucket, err)
	}
	return us, nil
}

// listUploadsSQL reads a range of s3_uploads_key: the prefix as a key range,
// as listObjectsSQL does, starting after the (afterKey, afterID) row value
// when it lies within the prefix's range.
func listUploadsSQL(bucket, prefix, afterKey, afterID string, lim int) (string, []any) {
	q := `SELECT ` + uploadColumns + ` FROM s3_uploads WHERE bucket = ?`
	args := []any{bucket}
	if (afterKey != "" || afterID != "") && afterKey >= prefix {
		q += ` AND (key, id) > (?, ?)`
		args = append(args, afterKey, afterID)
	} else {
		q += ` AND key >= ?`
		args = append(args, prefix)
	}
	if end, ok := successor(prefix); ok {
		q += ` AND key < ?`
		args = append(args, end)
	}
	q += ` ORDER BY key, id LIMIT ?`
	return q, append(args, limit(lim))
}

const partColumns = `upload_id, number, blob_id, blob_size, blob_sha256, blob_md5,
	modified_at`

func scanPart(s scanner) (*osemu.Part, error) {
	var (
		p        osemu.Part
		modified sql.NullInt64
	)
	err := s.Scan(&p.UploadID, &p.Number, &p.Blob.ID, &p.Blob.Size, &p.Blob.SHA256, &p.Blob.MD5,
		&modified)
	if err != nil {
		return nil, dbErr(err)
	}
	p.ModifiedAt = fromMS(modified)
	return &p, nil
}

// PutPart stores p and returns the part it replaced, if any. The foreign
// key makes a part of a missing upload ErrNotFound.
func (x *tx) PutPart(p *osemu.Part) (*osemu.Part, error) {
	const get = `SELECT ` + partColumns + ` FROM s3_parts WHERE upload_id = ? AND number = ?`
	old, err := scanPart(x.queryRow(get, p.UploadID, p.Number))
	if errors.Is(err, osemu.ErrNotFound) {
		old, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("put part %d of upload %s: %w", p.Number, p.UploadID, err)
	}

	const q = `INSERT INTO s3_parts (` + partColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (upload_id, number) DO UPDATE SET
			blob_id = excluded.blob_id, blob_size = excluded.blob_size,
			blob_sha256 = excluded.blob_sha256, blob_md5 = excluded.blob_md5,
			modified_at = excluded.modified_at`
	_, err = x.exec(q, p.UploadID, p.Number, p.Blob.ID, p.Blob.Size, p.Blob.SHA256, p.Blob.MD5,
		ms(p.ModifiedAt))
	if err != nil {
		return nil, fmt.Errorf("put part %d of upload %s: %w", p.Number, p.UploadID, err)
	}
	return old, nil
}

const listPartsSQL = `SELECT ` + partColumns + ` FROM s3_parts
	WHERE upload_id = ? AND number > ? ORDER BY number LIMIT ?`

// ListParts returns a page of an upload's parts, ordered by number, with
// numbers above after.
func (x *tx) ListParts(uploadID string, after, lim int) ([]*osemu.Part, error) {
	rows, err := x.query(listPartsSQL, uploadID, after, limit(lim))
	if err != nil {
		return nil, fmt.Errorf("list parts of upload %s: %w", uploadID, err)
	}
	ps, err := collect(rows, scanPart)
	if err != nil {
		return nil, fmt.Errorf("list parts of upload %s: %w", uploadID, err)
	}
	return ps, nil
}
