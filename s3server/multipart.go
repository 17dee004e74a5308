package s3server

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"

	"github.com/osemu/osemu"
)

// minPartSize is the least size of every part of a completed upload but the
// last, as S3 requires.
const minPartSize = 5 << 20

// errEntityTooSmall is S3's code for a part under minPartSize, which gofakes3
// does not know; the Handler gives it its status.
const errEntityTooSmall gofakes3.ErrorCode = "EntityTooSmall"

// afterEveryID sorts after every upload ID, which are ASCII: a page of
// uploads that starts after (key, afterEveryID) starts after the key.
const afterEveryID = "\U0010FFFF"

// completeAttempts bounds how often CompleteMultipartUpload starts over when
// the parts change under it.
const completeAttempts = 3

// errPartsChanged reports that an upload's parts changed, or their blobs went
// away, while CompleteMultipartUpload read them, so it reads them again.
var errPartsChanged = errors.New("parts changed while completing the upload")

var _ gofakes3.MultipartBackend = (*backend)(nil)

// The errors of multipart uploads, with S3's messages. Each call makes a new
// value, since gofakes3 writes the request ID into the one it renders.
func noSuchUpload() error {
	return gofakes3.ErrorMessage(gofakes3.ErrNoSuchUpload,
		"The specified upload does not exist. The upload ID may be invalid, "+
			"or the upload may have been aborted or completed.")
}

func invalidPart() error {
	return gofakes3.ErrorMessage(gofakes3.ErrInvalidPart,
		"One or more of the specified parts could not be found. The part may not have been "+
			"uploaded, or the specified entity tag may not match the part's entity tag.")
}

func invalidPartOrder() error {
	return gofakes3.ErrorMessage(gofakes3.ErrInvalidPartOrder,
		"The list of parts was not in ascending order. "+
			"The parts list must be specified in order by part number.")
}

func entityTooSmall() error {
	return gofakes3.ErrorMessage(errEntityTooSmall,
		"Your proposed upload is smaller than the minimum allowed object size.")
}

// newUploadID returns a random upload ID that starts with the time in
// milliseconds, in fixed-width hex, so that the uploads of a key list in the
// order they began, as in S3.
//
// AWS: uploads begun in the same millisecond, or on replicas whose clocks
// disagree, list in no set order.
func newUploadID(now time.Time) string {
	return fmt.Sprintf("%012x", uint64(now.UnixMilli())) + rand.Text()
}

// CreateMultipartUpload begins an upload, kept in the store so that its
// parts may reach any replica and outlive a restart.
func (b *backend) CreateMultipartUpload(
	bucket, key string, meta map[string]string,
) (gofakes3.UploadID, error) {
	now := b.clock.Now()
	u := &osemu.Upload{
		ID:        newUploadID(now),
		Bucket:    bucket,
		Key:       key,
		Metadata:  storedMetadata(meta),
		CreatedAt: now,
	}
	err := b.store.Update(context.Background(), func(tx osemu.Tx) error {
		if _, err := tx.GetBucket(bucket); err != nil {
			return notFound(err, gofakes3.BucketNotFound(bucket))
		}
		return tx.InsertUpload(u)
	})
	if err != nil {
		return "", b.s3Error(err)
	}
	return gofakes3.UploadID(u.ID), nil
}

// getUpload returns the upload with the ID, which must be one of the key:
// S3 names an upload by bucket, key and ID.
func getUpload(tx osemu.Tx, bucket, key string, id gofakes3.UploadID) (*osemu.Upload, error) {
	if _, err := tx.GetBucket(bucket); err != nil {
		return nil, notFound(err, gofakes3.BucketNotFound(bucket))
	}
	u, err := tx.GetUpload(string(id))
	if err != nil {
		return nil, notFound(err, noSuchUpload())
	}
	if u.Bucket != bucket || u.Key != key {
		return nil, noSuchUpload()
	}
	return u, nil
}

// UploadPart streams a part into a blob and stores it, replacing the part
// of the same number, whose blob it deletes. The ETag is the MD5 of the
// part's content, as in S3.
func (b *backend) UploadPart(
	bucket, key string, id gofakes3.UploadID, number int, size int64, input io.Reader,
) (string, error) {
	ctx := context.Background()
	if number < 1 || number > gofakes3.MaxUploadPartNumber {
		return "", gofakes3.ErrInvalidPart
	}

	// Check the upload first, so that a part of a missing one is not
	// stored in vain.
	err := b.store.View(ctx, func(tx osemu.Tx) error {
		_, err := getUpload(tx, bucket, key, id)
		return err
	})
	if err != nil {
		return "", b.s3Error(err)
	}

	ref, err := b.store.WriteBlob(ctx, input)
	if err != nil {
		return "", b.s3Error(err)
	}
	if ref.Size != size {
		b.discard(ref.ID)
		return "", gofakes3.ErrIncompleteBody
	}

	// The upload may have been completed or aborted meanwhile.
	p := &osemu.Part{UploadID: string(id), Number: number, Blob: ref, ModifiedAt: b.clock.Now()}
	err = b.store.Update(ctx, func(tx osemu.Tx) error {
		if _, err := getUpload(tx, bucket, key, id); err != nil {
			return err
		}
		replaced, err := tx.PutPart(p)
		if err != nil || replaced == nil {
			return notFound(err, noSuchUpload())
		}
		return tx.DeleteBlob(replaced.Blob.ID)
	})
	if err != nil {
		b.discard(ref.ID)
		return "", b.s3Error(err)
	}
	return partETag(p), nil
}

// partETag returns a part's ETag: the MD5 of its content, quoted.
func partETag(p *osemu.Part) string { return `"` + p.Blob.MD5 + `"` }

// ListParts returns a page of an upload's parts with numbers above marker.
// NextPartNumberMarker is the last number of the page, which the next
// request passes as its marker.
func (b *backend) ListParts(
	bucket, key string, id gofakes3.UploadID, marker int, limit int64,
) (*gofakes3.ListMultipartUploadPartsResult, error) {
	out := &gofakes3.ListMultipartUploadPartsResult{
		Bucket:           bucket,
		Key:              key,
		UploadID:         id,
		StorageClass:     gofakes3.StorageStandard,
		PartNumberMarker: marker,
		MaxParts:         limit,
	}
	err := b.store.View(context.Background(), func(tx osemu.Tx) error {
		if _, err := getUpload(tx, bucket, key, id); err != nil {
			return err
		}

		// One part more than the page tells whether there are more.
		parts, err := tx.ListParts(string(id), marker, int(limit)+1)
		if err != nil {
			return err
		}
		if int64(len(parts)) > limit {
			out.IsTruncated, parts = true, parts[:limit]
		}
		for _, p := range parts {
			out.Parts = append(out.Parts, gofakes3.ListMultipartUploadPartItem{
				PartNumber:   p.Number,
				LastModified: gofakes3.NewContentTime(p.ModifiedAt),
				ETag:         partETag(p),
				Size:         p.Blob.Size,
			})
			out.NextPartNumberMarker = p.Number
		}
		return nil
	})
	if err != nil {
		return nil, b.s3Error(err)
	}
	return out, nil
}

// ListMultipartUploads returns a page of a bucket's uploads whose keys start
// with the prefix, ordered by key then upload ID, folding keys that hold
// the delimiter after the prefix into common prefixes, as ListBucket does.
// A page starts after the key marker and, if there is one, the upload ID
// marker; the next markers are the last upload or common prefix of the
// page.
func (b *backend) ListMultipartUploads(
	bucket string, marker *gofakes3.UploadListMarker, prefix gofakes3.Prefix, limit int64,
) (*gofakes3.ListMultipartUploadsResult, error) {
	p, delim := prefix.Prefix, prefix.Delimiter
	var out *gofakes3.ListMultipartUploadsResult
	err := b.store.View(context.Background(), func(tx osemu.Tx) error {
		out = &gofakes3.ListMultipartUploadsResult{
			Bucket:     bucket,
			Prefix:     p,
			Delimiter:  delim,
			MaxUploads: limit,
		}
		if _, err := tx.GetBucket(bucket); err != nil {
			return notFound(err, gofakes3.BucketNotFound(bucket))
		}

		// A key marker alone starts after every upload of the key; a key
		// marker that is a common prefix was the last entry of the
		// previous page, and the keys under it are done.
		var afterKey, afterID, done string
		if marker != nil {
			out.KeyMarker, out.UploadIDMarker = marker.Object, marker.UploadID
			afterKey, afterID = marker.Object, string(marker.UploadID)
			if afterID == "" {
				afterID = afterEveryID
			}
			if cp := commonPrefix(afterKey, p, delim); cp != "" && cp == afterKey {
				afterKey, afterID, done = skipPrefix(cp), afterEveryID, cp
			}
		}

		var count int64
		for {
			uploads, err := tx.ListUploads(bucket, p, afterKey, afterID, listBatch)
			if err != nil {
				return err
			}
			for _, u := range uploads {
				afterKey, afterID = u.Key, u.ID
				if done != "" && strings.HasPrefix(u.Key, done) {
					continue
				}
				if count == limit {
					out.IsTruncated = true
					return nil
				}
				count++

				if cp := commonPrefix(u.Key, p, delim); cp != "" {
					out.CommonPrefixes = append(out.CommonPrefixes, gofakes3.CommonPrefix{Prefix: cp})
					out.NextKeyMarker, out.NextUploadIDMarker, done = cp, "", cp
					continue
				}
				out.Uploads = append(out.Uploads, gofakes3.ListMultipartUploadItem{
					Key:          u.Key,
					UploadID:     gofakes3.UploadID(u.ID),
					StorageClass: gofakes3.StorageStandard,
					Initiated:    gofakes3.NewContentTime(u.CreatedAt),
				})
				out.NextKeyMarker, out.NextUploadIDMarker = u.Key, gofakes3.UploadID(u.ID)
			}
			if len(uploads) < listBatch {
				return nil
			}
			if done != "" && strings.HasPrefix(afterKey, done) {
				afterKey, afterID = skipPrefix(done), afterEveryID
			}
		}
	})
	if err != nil {
		return nil, b.s3Error(err)
	}
	return out, nil
}

// AbortMultipartUpload deletes an upload with its parts' blobs.
func (b *backend) AbortMultipartUpload(bucket, key string, id gofakes3.UploadID) error {
	err := b.store.Update(context.Background(), func(tx osemu.Tx) error {
		if _, err := getUpload(tx, bucket, key, id); err != nil {
			return err
		}
		return abortUpload(tx, string(id))
	})
	return b.s3Error(err)
}

// abortUpload deletes an upload with its parts' blobs.
func abortUpload(tx osemu.Tx, id string) error {
	parts, err := tx.DeleteUpload(id)
	if err != nil {
		return err
	}
	for _, p := range parts {
		if err := tx.DeleteBlob(p.Blob.ID); err != nil {
			return err
		}
	}
	return nil
}

// abortUploads deletes every upload of a bucket, as S3 does when the bucket
// goes.
func abortUploads(tx osemu.Tx, bucket string) error {
	for {
		uploads, err := tx.ListUploads(bucket, "", "", "", listBatch)
		if err != nil || len(uploads) == 0 {
			return err
		}
		for _, u := range uploads {
			if err := abortUpload(tx, u.ID); err != nil {
				return err
			}
		}
	}
}

// CompleteMultipartUpload joins the parts the request lists, in its order,
// into the object, and deletes the upload with the blobs of all its parts,
// listed or not. The ETag is S3's: the MD5 of the parts' MD5s, a dash and
// the number of parts.
//
// Should a part be uploaded again, or the upload completed or aborted
// elsewhere, while it joins the parts, it starts over, a few times; S3's
// InternalError, "try again", ends them.
func (b *backend) CompleteMultipartUpload(
	bucket, key string, id gofakes3.UploadID, input *gofakes3.CompleteMultipartUploadRequest,
) (gofakes3.VersionID, string, error) {
	for attempt := 1; ; attempt++ {
		etag, err := b.complete(bucket, key, id, input.Parts)
		if errors.Is(err, errPartsChanged) && attempt < completeAttempts {
			continue
		}
		if err != nil {
			return "", "", b.s3Error(err)
		}
		return "", etag, nil
	}
}

// complete makes one attempt of CompleteMultipartUpload.
func (b *backend) complete(
	bucket, key string, id gofakes3.UploadID, requested []gofakes3.CompletedPart,
) (string, error) {
	ctx := context.Background()
	var parts []*osemu.Part
	err := b.store.View(ctx, func(tx osemu.Tx) error {
		if _, err := getUpload(tx, bucket, key, id); err != nil {
			return err
		}
		var err error
		parts, err = requestedParts(tx, string(id), requested)
		return err
	})
	if err != nil {
		return "", err
	}

	// The parts' content is streamed into the object's blob, one part's
	// blob open at a time, outside any transaction.
	ref, err := b.join(ctx, parts)
	if err != nil {
		return "", err
	}

	err = b.store.Update(ctx, func(tx osemu.Tx) error {
		u, err := getUpload(tx, bucket, key, id)
		if err != nil {
			return err
		}
		removed, err := tx.DeleteUpload(u.ID)
		if err != nil {
			return err
		}

		// The parts joined must be the parts the upload has now.
		blobs := map[int]string{}
		for _, p := range removed {
			blobs[p.Number] = p.Blob.ID
		}
		for _, p := range parts {
			if blobs[p.Number] != p.Blob.ID {
				return errPartsChanged
			}
		}

		o := &osemu.Object{
			Bucket:     bucket,
			Key:        key,
			Blob:       ref,
			Metadata:   u.Metadata,
			ModifiedAt: b.clock.Now(),
		}
		replaced, err := tx.PutObject(o)
		if err != nil {
			return err
		}
		if replaced != nil {
			if err := tx.DeleteBlob(replaced.Blob.ID); err != nil {
				return err
			}
		}
		for _, p := range removed {
			if err := tx.DeleteBlob(p.Blob.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.discard(ref.ID)
		return "", err
	}
	return multipartETag(parts), nil
}

// requestedParts returns the parts that a CompleteMultipartUpload request
// lists, checking them as S3 does: in ascending order of number, each
// uploaded and with its ETag, each but the last at least minPartSize.
func requestedParts(
	tx osemu.Tx, id string, requested []gofakes3.CompletedPart,
) ([]*osemu.Part, error) {
	if len(requested) == 0 {
		return nil, gofakes3.ErrMalformedXML
	}
	for i := 1; i < len(requested); i++ {
		if requested[i].PartNumber <= requested[i-1].PartNumber {
			return nil, invalidPartOrder()
		}
	}

	uploaded, err := tx.ListParts(id, 0, 0)
	if err != nil {
		return nil, err
	}
	byNumber := make(map[int]*osemu.Part, len(uploaded))
	for _, p := range uploaded {
		byNumber[p.Number] = p
	}

	parts := make([]*osemu.Part, len(requested))
	for i, r := range requested {
		p := byNumber[r.PartNumber]
		if p == nil || strings.Trim(r.ETag, `"`) != p.Blob.MD5 {
			return nil, invalidPart()
		}
		parts[i] = p
	}
	for _, p := range parts[:len(parts)-1] {
		if p.Blob.Size < minPartSize {
			return nil, entityTooSmall()
		}
	}
	return parts, nil
}

// join writes the content of the parts, in order, to a new blob. Reading a
// part whose blob went away, or failing to read one, fails with
// errPartsChanged.
func (b *backend) join(ctx context.Context, parts []*osemu.Part) (osemu.BlobRef, error) {
	var size int64
	readers := make([]io.Reader, len(parts))
	blobs := make([]*lazyBlob, len(parts))
	for i, p := range parts {
		size += p.Blob.Size
		blobs[i] = &lazyBlob{ctx: ctx, store: b.store, id: p.Blob.ID}
		readers[i] = blobs[i]
	}
	defer func() {
		for _, lb := range blobs {
			lb.Close()
		}
	}()

	ref, err := b.store.WriteBlob(ctx, io.MultiReader(readers...))
	if err != nil {
		for _, lb := range blobs {
			if lb.err != nil {
				return osemu.BlobRef{}, fmt.Errorf("%w: %v", errPartsChanged, lb.err)
			}
		}
		return osemu.BlobRef{}, fmt.Errorf("join parts: %w", err)
	}
	if ref.Size != size {
		b.discard(ref.ID)
		err := fmt.Errorf("%w: joined %d bytes of %d", errPartsChanged, ref.Size, size)
		return osemu.BlobRef{}, err
	}
	return ref, nil
}

// multipartETag returns S3's ETag of an object made of parts: the MD5 of
// the parts' MD5s, a dash and the number of parts, quoted.
func multipartETag(parts []*osemu.Part) string {
	h := md5.New()
	for _, p := range parts {
		sum, _ := hex.DecodeString(p.Blob.MD5)
		h.Write(sum)
	}
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(h.Sum(nil)), len(parts))
}

// lazyBlob reads a blob that it opens on the first read and closes at its
// end, so that joining many parts holds one blob open at a time. It keeps
// the error that ended its reading, if any.
type lazyBlob struct {
	ctx   context.Context
	store osemu.Store
	id    string
	rc    io.ReadCloser
	done  bool
	err   error
}

func (l *lazyBlob) Read(p []byte) (int, error) {
	if l.done {
		return 0, io.EOF
	}
	if l.rc == nil {
		rc, err := l.store.OpenBlob(l.ctx, l.id)
		if err != nil {
			l.err = err
			return 0, err
		}
		l.rc = rc
	}
	n, err := l.rc.Read(p)
	switch {
	case err == io.EOF:
		l.Close()
		l.done = true
	case err != nil:
		l.err = err
	}
	return n, err
}

// Close closes the blob if it is open.
func (l *lazyBlob) Close() error {
	if l.rc == nil {
		return nil
	}
	err := l.rc.Close()
	l.rc = nil
	return err
}
