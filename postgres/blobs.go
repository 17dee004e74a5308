package postgres

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/osemu/osemu"
)

// chunkSize is the size of a blob chunk: big enough that a write is mostly
// content, small enough to hold in memory per reader and writer.
const chunkSize = 1 << 20

// WriteBlob stores the content of r in chunks, each in a transaction of its
// own so that a long upload holds no transaction open, and returns its
// reference. If it fails, it removes what it wrote, if anything.
func (s *Store) WriteBlob(ctx context.Context, r io.Reader) (osemu.BlobRef, error) {
	ref := osemu.BlobRef{ID: rand.Text()}
	sha, md := sha256.New(), md5.New()
	buf := make([]byte, chunkSize)

	// Chunk 0 is written even for empty content, so that the blob exists.
	for seq := 0; ; seq++ {
		n, rerr := io.ReadFull(r, buf)
		last := errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF)
		if rerr != nil && !last {
			s.dropBlob(ctx, ref.ID, seq)
			return osemu.BlobRef{}, fmt.Errorf("write blob: %w", rerr)
		}
		if n == 0 && seq > 0 {
			break
		}

		chunk := buf[:n]
		sha.Write(chunk)
		md.Write(chunk)
		ref.Size += int64(n)
		err := s.withConn(ctx, func(c *pgxpool.Conn) error {
			const q = `INSERT INTO blobs (blob_id, seq, data) VALUES ($1, $2, $3)`
			_, err := c.Exec(ctx, q, ref.ID, seq, chunk)
			return err
		})
		if err != nil {
			s.dropBlob(ctx, ref.ID, seq)
			return osemu.BlobRef{}, fmt.Errorf("write blob: %w", err)
		}
		if last {
			break
		}
	}

	ref.SHA256 = hex.EncodeToString(sha.Sum(nil))
	ref.MD5 = hex.EncodeToString(md.Sum(nil))
	return ref, nil
}

// dropBlob removes the chunks of a failed write, if it wrote any. It
// ignores the caller's cancellation, which may be why the write failed;
// what it leaves behind (the database being down) is unreferenced garbage
// anyway.
func (s *Store) dropBlob(ctx context.Context, id string, written int) {
	if written == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	s.pool.Exec(ctx, `DELETE FROM blobs WHERE blob_id = $1`, id)
}

// OpenBlob returns a reader of the blob's content that reads one chunk at a
// time. Reading a blob deleted meanwhile fails with io.ErrUnexpectedEOF.
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
	return &blobReader{ctx: ctx, s: s, id: id, last: *last}, nil
}

// blobReader streams a blob chunk by chunk, each read by a query of its
// own: no connection stays busy while the reader's consumer is slow.
type blobReader struct {
	ctx  context.Context
	s    *Store
	id   string
	next int64 // the next chunk to fetch
	last int64 // the last chunk
	buf  []byte
	err  error
}

func (b *blobReader) Read(p []byte) (int, error) {
	for len(b.buf) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		if b.next > b.last {
			return 0, io.EOF
		}
		b.buf, b.err = b.fetch()
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

const blobChunkSQL = `SELECT data FROM blobs WHERE blob_id = $1 AND seq = $2`

func (b *blobReader) fetch() ([]byte, error) {
	var data []byte
	err := b.s.withConn(b.ctx, func(c *pgxpool.Conn) error {
		return c.QueryRow(b.ctx, blobChunkSQL, b.id, b.next).Scan(&data)
	})
	if errors.Is(err, osemu.ErrNotFound) {
		return nil, fmt.Errorf("read blob %s: chunk %d is gone: %w", b.id, b.next, io.ErrUnexpectedEOF)
	}
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", b.id, err)
	}
	b.next++
	return data, nil
}

// Close ends the reading.
func (b *blobReader) Close() error {
	b.buf, b.err = nil, errors.New("read blob: reader closed")
	return nil
}

// DeleteBlob removes a blob's content.
func (x *tx) DeleteBlob(id string) error {
	if _, err := x.exec(`DELETE FROM blobs WHERE blob_id = $1`, id); err != nil {
		return fmt.Errorf("delete blob %s: %w", id, err)
	}
	return nil
}
