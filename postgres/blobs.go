package postgres

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/internal/sqlstore"
)

// WriteBlob stores the content of r in chunks, each in a transaction of its
// own so that a long upload holds no transaction open, and returns its
// reference. If it fails, it removes what it wrote, if anything.
func (s *Store) WriteBlob(ctx context.Context, r io.Reader) (osemu.BlobRef, error) {
	put := func(id string, seq int, chunk []byte) error {
		return s.withConn(ctx, func(c *pgxpool.Conn) error {
			const q = `INSERT INTO blobs (blob_id, seq, data) VALUES ($1, $2, $3)`
			_, err := c.Exec(ctx, q, id, seq, chunk)
			return err
		})
	}
	drop := func(id string) { s.dropBlob(ctx, id) }
	return sqlstore.WriteBlob(r, put, drop)
}

// dropBlob removes the chunks of a failed write. It ignores the caller's
// cancellation, which may be why the write failed; what it leaves behind
// (the database being down) is unreferenced garbage anyway.
func (s *Store) dropBlob(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	s.pool.Exec(ctx, `DELETE FROM blobs WHERE blob_id = $1`, id)
}

// OpenBlob returns a reader of the blob's content that reads one chunk at a
// time, each by a query of its own: no connection stays busy while the
// reader's consumer is slow. Reading a blob deleted meanwhile fails with
// io.ErrUnexpectedEOF.
func (s *Store) OpenBlob(ctx context.Context, id string) (io.ReadCloser, error) {
	var last *int64
	err := s.withConn(ctx, func(c *pgxpool.Conn) error {
		return c.QueryRow(ctx, `SELECT max(seq) FROM blobs WHERE blob_id = $1`, id).Scan(&last)
	})
	if err != nil {
		return nil, fmt.Errorf("open blob %s: %w", id, err)
	}
	if last == nil {
		return nil, fmt.Errorf("open blob %s: %w", id, osemu.ErrNotFound)
	}

	// withConn makes a chunk that is gone ErrNotFound.
	fetch := func(seq int64) ([]byte, error) {
		var data []byte
		err := s.withConn(ctx, func(c *pgxpool.Conn) error {
			return c.QueryRow(ctx, blobChunkSQL, id, seq).Scan(&data)
		})
		return data, err
	}
	return sqlstore.NewBlobReader(id, *last, fetch), nil
}

const blobChunkSQL = `SELECT data FROM blobs WHERE blob_id = $1 AND seq = $2`

// DeleteBlob removes a blob's content.
func (x *tx) DeleteBlob(id string) error {
	if _, err := x.exec(`DELETE FROM blobs WHERE blob_id = $1`, id); err != nil {
		return fmt.Errorf("delete blob %s: %w", id, err)
	}
	return nil
}
