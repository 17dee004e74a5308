package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"io"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/internal/sqlstore"
)

// WriteBlob stores the content of r in chunks, each in a transaction of its
// own so that a long upload never holds the writer for long, and returns
// its reference. If it fails, it removes what it wrote. Like ClaimStep, it
// needs the writer connection, so it must not be called from inside an
// Update.
func (s *Store) WriteBlob(ctx context.Context, r io.Reader) (osemu.BlobRef, error) {
	put := func(id string, seq int, chunk []byte) error {
		const q = `INSERT INTO blobs (blob_id, seq, data) VALUES (?, ?, ?)`
		_, err := s.w.ExecContext(ctx, q, id, seq, chunk)
		return dbErr(err)
	}
	return sqlstore.WriteBlob(r, put, s.dropBlob)
}

// dropBlob removes the chunks of a failed write. It ignores the caller's
// context, which may be why the write failed; what it leaves behind is
// unreferenced garbage anyway.
func (s *Store) dropBlob(id string) {
	s.w.Exec(`DELETE FROM blobs WHERE blob_id = ?`, id)
}

// OpenBlob returns a reader of the blob's content that reads one chunk at a
// time. Reading a blob deleted meanwhile fails with io.ErrUnexpectedEOF.
func (s *Store) OpenBlob(ctx context.Context, id string) (io.ReadCloser, error) {
	var last sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT max(seq) FROM blobs WHERE blob_id = ?`, id).Scan(&last)
	if err != nil {
		return nil, fmt.Errorf("open blob %s: %w", id, dbErr(err))
	}
	if !last.Valid {
		return nil, fmt.Errorf("open blob %s: %w", id, osemu.ErrNotFound)
	}
	fetch := func(seq int64) ([]byte, error) {
		var data []byte
		err := s.r.QueryRowContext(ctx, blobChunkSQL, id, seq).Scan(&data)
		return data, dbErr(err)
	}
	return sqlstore.NewBlobReader(id, last.Int64, fetch), nil
}

const blobChunkSQL = `SELECT data FROM blobs WHERE blob_id = ? AND seq = ?`

// DeleteBlob removes a blob's content.
func (x *tx) DeleteBlob(id string) error {
	if _, err := x.exec(`DELETE FROM blobs WHERE blob_id = ?`, id); err != nil {
		return fmt.Errorf("delete blob %s: %w", id, err)
	}
	return nil
}
