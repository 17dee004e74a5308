// Package sqlstore holds what osemu's SQL store engines, sqlite and
// postgres, do alike whatever the database: blobs cut into numbered chunks,
// numbered schema migrations read from embedded files, and JSON columns
// for optional values. The engines keep their SQL, their transactions and
// their drivers' error mapping; the callbacks here are where those go.
package sqlstore

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/osemu/osemu"
)

// ChunkSize is the size of a blob chunk: big enough that a write is mostly
// content, small enough to hold in memory per reader and writer.
const ChunkSize = 1 << 20

// WriteBlob reads r in chunks of ChunkSize, stores each with put, numbered
// from 0, and returns the blob's reference: a new random ID, the size and
// the digests. Each put stands alone, so that a long upload holds no
// transaction open. If reading or a put fails, WriteBlob calls drop to
// remove the chunks already stored, if there are any.
func WriteBlob(r io.Reader, put func(id string, seq int, chunk []byte) error,
	drop func(id string),
) (osemu.BlobRef, error) {
	ref := osemu.BlobRef{ID: rand.Text()}
	sha, md := sha256.New(), md5.New()
	buf := make([]byte, ChunkSize)
	fail := func(written int, err error) (osemu.BlobRef, error) {
		if written > 0 {
			drop(ref.ID)
		}
		return osemu.BlobRef{}, fmt.Errorf("write blob: %w", err)
	}

	// Chunk 0 is written even for empty content, so that the blob exists.
	for seq := 0; ; seq++ {
		n, rerr := fill(r, buf)
		last := rerr == io.EOF
		if rerr != nil && !last {
			return fail(seq, rerr)
		}
		if n == 0 && seq > 0 {
			break
		}

		chunk := buf[:n]
		sha.Write(chunk)
		md.Write(chunk)
		ref.Size += int64(n)
		if err := put(ref.ID, seq, chunk); err != nil {
			return fail(seq, err)
		}
		if last {
			break
		}
	}

	ref.SHA256 = hex.EncodeToString(sha.Sum(nil))
	ref.MD5 = hex.EncodeToString(md.Sum(nil))
	return ref, nil
}

// fill reads into buf until it is full or r ends. It returns io.EOF, and
// only io.EOF, when r ended; any other error is r's own. (io.ReadFull
// would turn a short read into io.ErrUnexpectedEOF, which a reader cut
// short returns too, and so take a broken stream for its end.)
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			return n, io.EOF
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// NewBlobReader returns a reader of the chunks 0 to last of blob id, which
// fetches one chunk at a time, when the previous one is read: it holds a
// single chunk in memory, and nothing of the database while its consumer
// is slow. fetch returns an error wrapping osemu.ErrNotFound for a chunk
// that is gone, the blob having been deleted meanwhile; the read then fails
// with io.ErrUnexpectedEOF rather than end early with content cut short.
func NewBlobReader(id string, last int64, fetch func(seq int64) ([]byte, error)) io.ReadCloser {
	return &blobReader{id: id, last: last, fetch: fetch}
}

// blobReader streams a blob chunk by chunk.
type blobReader struct {
	id    string
	fetch func(seq int64) ([]byte, error)
	next  int64 // the next chunk to fetch
	last  int64 // the last chunk
	buf   []byte
	err   error
}

func (b *blobReader) Read(p []byte) (int, error) {
	for len(b.buf) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		if b.next > b.last {
			return 0, io.EOF
		}
		b.buf, b.err = b.chunk()
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

// chunk fetches the next chunk.
func (b *blobReader) chunk() ([]byte, error) {
	data, err := b.fetch(b.next)
	if errors.Is(err, osemu.ErrNotFound) {
		return nil, fmt.Errorf("read blob %s: chunk %d is gone: %w",
			b.id, b.next, io.ErrUnexpectedEOF)
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
