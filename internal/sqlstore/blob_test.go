package sqlstore

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"

	"github.com/osemu/osemu"
)

// chunks is a blob table in memory.
type chunks map[int][]byte

func (c chunks) put(id string, seq int, chunk []byte) error {
	c[seq] = bytes.Clone(chunk) // the writer reuses its buffer
	return nil
}

func (c chunks) fetch(seq int64) ([]byte, error) {
	data, ok := c[int(seq)]
	if !ok {
		return nil, osemu.ErrNotFound
	}
	return data, nil
}

func TestWriteBlob(t *testing.T) {
	tests := []struct {
		size  int
		sizes []int // of the chunks
	}{
		{0, []int{0}}, // chunk 0 even for empty content
		{1, []int{1}},
		{ChunkSize, []int{ChunkSize}},
		{2*ChunkSize + 1, []int{ChunkSize, ChunkSize, 1}},
	}
	for _, tc := range tests {
		content := bytes.Repeat([]byte("osemu"), tc.size/5+1)[:tc.size]
		c := chunks{}
		drop := func(string) { t.Errorf("size %d: drop called", tc.size) }
		ref, err := WriteBlob(iotest.HalfReader(bytes.NewReader(content)), c.put, drop)
		if err != nil {
			t.Fatalf("size %d: %v", tc.size, err)
		}

		var sizes []int
		for seq := range len(c) {
			sizes = append(sizes, len(c[seq]))
		}
		if fmt.Sprint(sizes) != fmt.Sprint(tc.sizes) {
			t.Errorf("size %d: chunks of %v, want %v", tc.size, sizes, tc.sizes)
		}
		sha, md := sha256.Sum256(content), md5.Sum(content)
		want := osemu.BlobRef{ID: ref.ID, Size: int64(tc.size),
			SHA256: hex.EncodeToString(sha[:]), MD5: hex.EncodeToString(md[:])}
		if ref != want || ref.ID == "" {
			t.Errorf("size %d: got %+v, want %+v", tc.size, ref, want)
		}

		got, err := io.ReadAll(NewBlobReader(ref.ID, int64(len(c)-1), c.fetch))
		if err != nil || !bytes.Equal(got, content) {
			t.Errorf("size %d: read back %d bytes, error %v", tc.size, len(got), err)
		}
	}
}

// TestWriteBlobFails checks that a failed write drops what it stored, and
// only then.
func TestWriteBlobFails(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name     string
		r        io.Reader
		failPut  int // the chunk whose put fails, or -1
		wantDrop bool
	}{
		{"read fails at once", iotest.ErrReader(boom), -1, false},
		{"first put fails", bytes.NewReader(nil), 0, false},
		{"read fails later", io.MultiReader(
			bytes.NewReader(make([]byte, ChunkSize)), iotest.ErrReader(boom)), -1, true},
		{"later put fails", bytes.NewReader(make([]byte, ChunkSize+1)), 1, true},
	}
	// A stream cut short (an HTTP body, a blob deleted while read) is an
	// error, not the end of the content.
	cut := io.MultiReader(bytes.NewReader(make([]byte, 100)), iotest.ErrReader(io.ErrUnexpectedEOF))
	if _, err := WriteBlob(cut, func(string, int, []byte) error { return nil }, func(string) {}); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a stream cut short: got %v, want io.ErrUnexpectedEOF", err)
	}
	for _, tc := range tests {
		var dropped []string
		put := func(id string, seq int, chunk []byte) error {
			if seq == tc.failPut {
				return boom
			}
			return nil
		}
		drop := func(id string) { dropped = append(dropped, id) }
		ref, err := WriteBlob(tc.r, put, drop)
		if !errors.Is(err, boom) || ref != (osemu.BlobRef{}) {
			t.Errorf("%s: got %+v, %v; want no ref and %v", tc.name, ref, err, boom)
		}
		if got := len(dropped) == 1 && dropped[0] != ""; got != tc.wantDrop {
			t.Errorf("%s: dropped %q, want a drop: %v", tc.name, dropped, tc.wantDrop)
		}
	}
}

// TestBlobReaderGone checks that a chunk deleted under a reader fails the
// read rather than truncating the content silently.
func TestBlobReaderGone(t *testing.T) {
	c := chunks{0: []byte("abc"), 1: []byte("def")}
	r := NewBlobReader("B", 1, c.fetch)
	if _, err := io.ReadFull(r, make([]byte, 2)); err != nil {
		t.Fatal(err)
	}
	delete(c, 1)
	if got, err := io.ReadAll(r); !errors.Is(err, io.ErrUnexpectedEOF) || string(got) != "c" {
		t.Errorf("read of a deleted blob: got %q, %v; want \"c\", io.ErrUnexpectedEOF", got, err)
	}

	r.Close()
	if _, err := r.Read(make([]byte, 1)); err == nil {
		t.Error("read after Close: got no error")
	}
}
