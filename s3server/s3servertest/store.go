// Package s3servertest provides an in-memory osemu.Store that holds only what
// the embedded S3 endpoint uses: buckets, objects, multipart uploads and
// their parts, and blobs. It lets the
// s3server and source packages test their S3 code without a storage engine.
//
// Methods of the Store that the S3 endpoint does not use panic.
package s3servertest

import (
	"bytes"
	"cmp"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/osemu/osemu"
)

// Store is an in-memory osemu.Store of buckets, objects, uploads, parts and
// blobs. Update
// transactions run one at a time and apply their writes only if fn returns
// nil, like a real engine's.
type Store struct {
	mu      sync.RWMutex
	buckets map[string]osemu.Bucket
	objects map[string]osemu.Object // by bucket + "\x00" + key
	uploads map[string]osemu.Upload
	parts   map[partID]osemu.Part
	blobs   map[string][]byte
	nextID  int
}

// NewStore returns an empty Store.
func NewStore() *Store {
	return &Store{
		buckets: map[string]osemu.Bucket{},
		objects: map[string]osemu.Object{},
		uploads: map[string]osemu.Upload{},
		parts:   map[partID]osemu.Part{},
		blobs:   map[string][]byte{},
	}
}

// BlobCount returns how many blobs the store holds, so that tests can check
// that replaced and deleted objects leave no garbage.
func (s *Store) BlobCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.blobs)
}

// View runs fn on a snapshot of the store.
func (s *Store) View(ctx context.Context, fn func(osemu.Tx) error) error {
	s.mu.RLock()
	t := s.snapshot()
	s.mu.RUnlock()
	return fn(t)
}

// Update runs fn on a copy of the store and keeps the copy if fn succeeds.
func (s *Store) Update(ctx context.Context, fn func(osemu.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	t := s.snapshot()
	if err := fn(t); err != nil {
		return err
	}

	s.buckets, s.objects, s.uploads, s.parts = t.buckets, t.objects, t.uploads, t.parts
	for _, id := range t.deletedBlobs {
		delete(s.blobs, id)
	}
	return nil
}

func (s *Store) snapshot() *tx {
	return &tx{
		buckets: maps.Clone(s.buckets),
		objects: maps.Clone(s.objects),
		uploads: maps.Clone(s.uploads),
		parts:   maps.Clone(s.parts),
	}
}

// WriteBlob stores the content of r.
func (s *Store) WriteBlob(ctx context.Context, r io.Reader) (osemu.BlobRef, error) {
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		return osemu.BlobRef{}, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	id := "blob-" + strconv.Itoa(s.nextID)
	s.blobs[id] = buf.Bytes()

	sha := sha256.Sum256(buf.Bytes())
	sum := md5.Sum(buf.Bytes())
	return osemu.BlobRef{
		ID:     id,
		Size:   int64(buf.Len()),
		SHA256: hex.EncodeToString(sha[:]),
		MD5:    hex.EncodeToString(sum[:]),
	}, nil
}

// OpenBlob returns a reader of a blob's content.
func (s *Store) OpenBlob(ctx context.Context, id string) (io.ReadCloser, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.blobs[id]
	if !ok {
		return nil, osemu.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// Close does nothing.
func (s *Store) Close() error { return nil }

// ClaimStep panics: the S3 endpoint has no steps.
func (s *Store) ClaimStep(context.Context, string, time.Time, time.Duration) (*osemu.Step, error) {
	panic("s3servertest: ClaimStep not implemented")
}

// NextStepDue panics: the S3 endpoint has no steps.
func (s *Store) NextStepDue(context.Context) (time.Time, bool, error) {
	panic("s3servertest: NextStepDue not implemented")
}

// tx is a transaction on a copy of the store's rows. Embedding osemu.Tx
// (nil) makes every method this package does not implement panic.
type tx struct {
	osemu.Tx

	buckets      map[string]osemu.Bucket
	objects      map[string]osemu.Object
	uploads      map[string]osemu.Upload
	parts        map[partID]osemu.Part
	deletedBlobs []string
}

// partID names a part: its upload and number.
type partID struct {
	upload string
	number int
}

func objectID(bucket, key string) string { return bucket + "\x00" + key }

func (t *tx) InsertBucket(b *osemu.Bucket) error {
	if _, ok := t.buckets[b.Name]; ok {
		return osemu.ErrExists
	}
	t.buckets[b.Name] = *b
	return nil
}

func (t *tx) GetBucket(name string) (*osemu.Bucket, error) {
	b, ok := t.buckets[name]
	if !ok {
		return nil, osemu.ErrNotFound
	}
	return &b, nil
}

func (t *tx) DeleteBucket(name string) error {
	if _, ok := t.buckets[name]; !ok {
		return osemu.ErrNotFound
	}
	delete(t.buckets, name)
	return nil
}

func (t *tx) ListBuckets() ([]*osemu.Bucket, error) {
	var out []*osemu.Bucket
	for _, name := range slices.Sorted(maps.Keys(t.buckets)) {
		b := t.buckets[name]
		out = append(out, &b)
	}
	return out, nil
}

func (t *tx) PutObject(o *osemu.Object) (*osemu.Object, error) {
	if _, ok := t.buckets[o.Bucket]; !ok {
		return nil, osemu.ErrNotFound
	}
	id := objectID(o.Bucket, o.Key)
	old, replaced := t.objects[id]
	t.objects[id] = *o
	if !replaced {
		return nil, nil
	}
	return &old, nil
}

func (t *tx) GetObject(bucket, key string) (*osemu.Object, error) {
	o, ok := t.objects[objectID(bucket, key)]
	if !ok {
		return nil, osemu.ErrNotFound
	}
	return &o, nil
}

func (t *tx) DeleteObject(bucket, key string) (*osemu.Object, error) {
	id := objectID(bucket, key)
	o, ok := t.objects[id]
	if !ok {
		return nil, osemu.ErrNotFound
	}
	delete(t.objects, id)
	return &o, nil
}

func (t *tx) ListObjects(bucket, prefix, after string, limit int) ([]*osemu.Object, error) {
	var keys []string
	for _, o := range t.objects {
		if o.Bucket == bucket && strings.HasPrefix(o.Key, prefix) && o.Key > after {
			keys = append(keys, o.Key)
		}
	}
	slices.Sort(keys)
	if limit > 0 && len(keys) > limit {
		keys = keys[:limit]
	}

	out := make([]*osemu.Object, len(keys))
	for i, k := range keys {
		o := t.objects[objectID(bucket, k)]
		out[i] = &o
	}
	return out, nil
}

func (t *tx) DeleteBlob(id string) error {
	t.deletedBlobs = append(t.deletedBlobs, id)
	return nil
}

func (t *tx) InsertUpload(u *osemu.Upload) error {
	if _, ok := t.uploads[u.ID]; ok {
		return osemu.ErrExists
	}
	c := *u
	c.Metadata = maps.Clone(u.Metadata)
	t.uploads[u.ID] = c
	return nil
}

func (t *tx) GetUpload(id string) (*osemu.Upload, error) {
	u, ok := t.uploads[id]
	if !ok {
		return nil, osemu.ErrNotFound
	}
	u.Metadata = maps.Clone(u.Metadata)
	return &u, nil
}

func (t *tx) DeleteUpload(id string) ([]*osemu.Part, error) {
	if _, ok := t.uploads[id]; !ok {
		return nil, osemu.ErrNotFound
	}
	parts, _ := t.ListParts(id, 0, 0)
	for _, p := range parts {
		delete(t.parts, partID{id, p.Number})
	}
	delete(t.uploads, id)
	return parts, nil
}

func (t *tx) ListUploads(
	bucket, prefix, afterKey, afterID string, limit int,
) ([]*osemu.Upload, error) {
	var out []*osemu.Upload
	for _, u := range t.uploads {
		after := (afterKey == "" && afterID == "") ||
			u.Key > afterKey || (u.Key == afterKey && u.ID > afterID)
		if u.Bucket == bucket && strings.HasPrefix(u.Key, prefix) && after {
			out = append(out, &u)
		}
	}
	slices.SortFunc(out, func(a, b *osemu.Upload) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), strings.Compare(a.ID, b.ID))
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	for _, u := range out {
		u.Metadata = maps.Clone(u.Metadata)
	}
	return out, nil
}

func (t *tx) PutPart(p *osemu.Part) (*osemu.Part, error) {
	if _, ok := t.uploads[p.UploadID]; !ok {
		return nil, osemu.ErrNotFound
	}
	id := partID{p.UploadID, p.Number}
	old, replaced := t.parts[id]
	t.parts[id] = *p
	if !replaced {
		return nil, nil
	}
	return &old, nil
}

func (t *tx) ListParts(uploadID string, after, limit int) ([]*osemu.Part, error) {
	var out []*osemu.Part
	for id, p := range t.parts {
		if id.upload == uploadID && id.number > after {
			out = append(out, &p)
		}
	}
	slices.SortFunc(out, func(a, b *osemu.Part) int { return cmp.Compare(a.Number, b.Number) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
