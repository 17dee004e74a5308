package s3server

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/johannesboyne/gofakes3"

	"github.com/osemu/osemu"
)

// listBatch is how many objects ListBucket reads from the store at a time.
const listBatch = 1000

// openAttempts bounds how often a read retries when the object is replaced,
// and its blob deleted, between reading the object's row and opening its
// blob.
const openAttempts = 3

// backend implements gofakes3.Backend and gofakes3.MultipartBackend on an
// osemu.Store: buckets, objects, multipart uploads and their parts are rows,
// the content of objects and parts is a blob.
//
// TODO(context): gofakes3 passes no request context to a Backend, so store
// calls use the background context; a client that goes away still ends a
// write, since reading its body fails.
type backend struct {
	store osemu.Store
	clock osemu.Clock
	log   *slog.Logger
}

var _ gofakes3.Backend = (*backend)(nil)

// ListBuckets returns every bucket.
//
// AWS: buckets belong to no account; every caller sees them all.
func (b *backend) ListBuckets() ([]gofakes3.BucketInfo, error) {
	var out []gofakes3.BucketInfo
	err := b.store.View(context.Background(), func(tx osemu.Tx) error {
		out = nil
		buckets, err := tx.ListBuckets()
		for _, bk := range buckets {
			out = append(out, gofakes3.BucketInfo{
				Name:         bk.Name,
				CreationDate: gofakes3.NewContentTime(bk.CreatedAt),
			})
		}
		return err
	})
	return out, err
}

// ListBucket returns a page of the objects of a bucket whose keys start with
// the prefix, folding keys that hold the delimiter after the prefix into
// common prefixes, as S3 does.
func (b *backend) ListBucket(
	name string, prefix *gofakes3.Prefix, page gofakes3.ListBucketPage,
) (*gofakes3.ObjectList, error) {
	var p, delim string
	if prefix != nil {
		p, delim = prefix.Prefix, prefix.Delimiter
	}
	maxKeys := page.MaxKeys
	if maxKeys <= 0 {
		maxKeys = gofakes3.DefaultMaxBucketKeys
	}

	var list *gofakes3.ObjectList
	err := b.store.View(context.Background(), func(tx osemu.Tx) error {
		list = gofakes3.NewObjectList()
		if _, err := tx.GetBucket(name); err != nil {
			return notFound(err, gofakes3.BucketNotFound(name))
		}

		// A marker that is a common prefix was the last entry of the
		// previous page: the keys under it are done.
		after, done := page.Marker, ""
		if cp := commonPrefix(page.Marker, p, delim); cp != "" && cp == page.Marker {
			after, done = skipPrefix(cp), cp
		}

		var count int64
		for {
			objects, err := tx.ListObjects(name, p, after, listBatch)
			if err != nil {
				return err
			}
			for _, o := range objects {
				after = o.Key
				if done != "" && strings.HasPrefix(o.Key, done) {
					continue
				}
				if count == maxKeys {
					list.IsTruncated = true
					return nil
				}
				count++

				if cp := commonPrefix(o.Key, p, delim); cp != "" {
					list.AddPrefix(cp)
					list.NextMarker, done = cp, cp
					continue
				}
				list.Add(&gofakes3.Content{
					Key:          o.Key,
					LastModified: gofakes3.NewContentTime(o.ModifiedAt),
					ETag:         gofakes3.FormatETag(md5Of(o)),
					Size:         o.Blob.Size,
					StorageClass: gofakes3.StorageStandard,
				})
				list.NextMarker = o.Key
			}
			if len(objects) < listBatch {
				return nil
			}
			if done != "" && strings.HasPrefix(after, done) {
				after = skipPrefix(done)
			}
		}
	})
	if err != nil {
		return nil, b.s3Error(err)
	}
	return list, nil
}

// commonPrefix returns the common prefix that key rolls up into: the prefix
// and what follows it up to and including the first delimiter. It returns
// "" if key stays a key of its own.
func commonPrefix(key, prefix, delim string) string {
	if delim == "" || !strings.HasPrefix(key, prefix) {
		return ""
	}
	i := strings.Index(key[len(prefix):], delim)
	if i < 0 {
		return ""
	}
	return key[:len(prefix)+i+len(delim)]
}

// skipPrefix returns a key that sorts, bytewise, after every key that starts
// with prefix, but for keys holding U+10FFFF right after it, which ListBucket
// skips as it reads them.
func skipPrefix(prefix string) string { return prefix + "\U0010FFFF" }

// CreateBucket creates a bucket. Creating one that exists succeeds, as S3
// in us-east-1 answers a bucket's owner, so that set-up scripts can run
// twice.
//
// AWS: buckets have no owner here, so every caller counts as the owner;
// outside us-east-1 S3 answers BucketAlreadyOwnedByYou, and
// BucketAlreadyExists to other accounts.
func (b *backend) CreateBucket(name string) error {
	err := b.store.Update(context.Background(), func(tx osemu.Tx) error {
		return tx.InsertBucket(&osemu.Bucket{Name: name, CreatedAt: b.clock.Now()})
	})
	if errors.Is(err, osemu.ErrExists) {
		return nil
	}
	return b.s3Error(err)
}

// BucketExists reports whether the bucket exists.
func (b *backend) BucketExists(name string) (bool, error) {
	err := b.store.View(context.Background(), func(tx osemu.Tx) error {
		_, err := tx.GetBucket(name)
		return err
	})
	if errors.Is(err, osemu.ErrNotFound) {
		return false, nil
	}
	return err == nil, b.s3Error(err)
}

// DeleteBucket deletes a bucket that holds no object, and the multipart
// uploads in progress into it, as S3 does.
func (b *backend) DeleteBucket(name string) error {
	err := b.store.Update(context.Background(), func(tx osemu.Tx) error {
		if _, err := tx.GetBucket(name); err != nil {
			return notFound(err, gofakes3.BucketNotFound(name))
		}
		objects, err := tx.ListObjects(name, "", "", 1)
		if err != nil {
			return err
		}
		if len(objects) > 0 {
			return gofakes3.ResourceError(gofakes3.ErrBucketNotEmpty, name)
		}
		if err := abortUploads(tx, name); err != nil {
			return err
		}
		return tx.DeleteBucket(name)
	})
	return b.s3Error(err)
}

// ForceDeleteBucket deletes a bucket with its objects and uploads, for
// MinIO's x-minio-force-delete header.
func (b *backend) ForceDeleteBucket(name string) error {
	err := b.store.Update(context.Background(), func(tx osemu.Tx) error {
		if _, err := tx.GetBucket(name); err != nil {
			return notFound(err, gofakes3.BucketNotFound(name))
		}
		for {
			objects, err := tx.ListObjects(name, "", "", listBatch)
			if err != nil {
				return err
			}
			if len(objects) == 0 {
				if err := abortUploads(tx, name); err != nil {
					return err
				}
				return tx.DeleteBucket(name)
			}
			for _, o := range objects {
				if err := deleteObject(tx, o.Bucket, o.Key); err != nil {
					return err
				}
			}
		}
	})
	return b.s3Error(err)
}

// GetObject returns an object with its content, or the range of it that
// rnge asks for.
func (b *backend) GetObject(
	bucket, key string, rnge *gofakes3.ObjectRangeRequest,
) (*gofakes3.Object, error) {
	o, content, err := b.open(bucket, key)
	if err != nil {
		return nil, b.s3Error(err)
	}

	r, err := rnge.Range(o.Blob.Size)
	if err != nil {
		content.Close()
		return nil, err
	}
	if r != nil {
		if err := skip(content, r.Start); err != nil {
			content.Close()
			return nil, b.s3Error(err)
		}
		content = struct {
			io.Reader
			io.Closer
		}{io.LimitReader(content, r.Length), content}
	}

	obj := toS3(o)
	obj.Contents, obj.Range = content, r
	return obj, nil
}

// skip moves r forward by n bytes, seeking if it can.
func skip(r io.Reader, n int64) error {
	if n == 0 {
		return nil
	}
	if s, ok := r.(io.Seeker); ok {
		_, err := s.Seek(n, io.SeekStart)
		return err
	}
	_, err := io.CopyN(io.Discard, r, n)
	return err
}

// HeadObject returns an object without its content.
func (b *backend) HeadObject(bucket, key string) (*gofakes3.Object, error) {
	o, err := b.get(bucket, key)
	if err != nil {
		return nil, b.s3Error(err)
	}
	obj := toS3(o)
	obj.Contents = io.NopCloser(strings.NewReader(""))
	return obj, nil
}

// DeleteObject deletes an object and its content; a missing key is no
// error.
func (b *backend) DeleteObject(bucket, key string) (gofakes3.ObjectDeleteResult, error) {
	err := b.store.Update(context.Background(), func(tx osemu.Tx) error {
		if _, err := tx.GetBucket(bucket); err != nil {
			return notFound(err, gofakes3.BucketNotFound(bucket))
		}
		return deleteObject(tx, bucket, key)
	})
	return gofakes3.ObjectDeleteResult{}, b.s3Error(err)
}

// DeleteMulti deletes objects and their content in one transaction.
func (b *backend) DeleteMulti(bucket string, keys ...string) (gofakes3.MultiDeleteResult, error) {
	var out gofakes3.MultiDeleteResult
	err := b.store.Update(context.Background(), func(tx osemu.Tx) error {
		out.Deleted = nil
		if _, err := tx.GetBucket(bucket); err != nil {
			return notFound(err, gofakes3.BucketNotFound(bucket))
		}
		for _, key := range keys {
			if err := deleteObject(tx, bucket, key); err != nil {
				return err
			}
			out.Deleted = append(out.Deleted, gofakes3.ObjectID{Key: key})
		}
		return nil
	})
	return out, b.s3Error(err)
}

// deleteObject deletes an object, if there is one, with its blob.
func deleteObject(tx osemu.Tx, bucket, key string) error {
	o, err := tx.DeleteObject(bucket, key)
	if errors.Is(err, osemu.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return tx.DeleteBlob(o.Blob.ID)
}

// PutObject stores an object, streaming its content into a blob, and
// deletes the blob of the object it replaces.
func (b *backend) PutObject(
	bucket, key string, meta map[string]string, input io.Reader, size int64,
	conditions *gofakes3.PutConditions,
) (gofakes3.PutObjectResult, error) {
	_, err := b.put(bucket, key, meta, input, size, conditions)
	return gofakes3.PutObjectResult{}, err
}

// CopyObject copies an object's content into a new blob, since a blob
// belongs to one object.
func (b *backend) CopyObject(
	srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string,
) (gofakes3.CopyObjectResult, error) {
	src, content, err := b.open(srcBucket, srcKey)
	if err != nil {
		return gofakes3.CopyObjectResult{}, b.s3Error(err)
	}
	defer content.Close()

	o, err := b.put(dstBucket, dstKey, meta, content, src.Blob.Size, nil)
	if err != nil {
		return gofakes3.CopyObjectResult{}, err
	}
	return gofakes3.CopyObjectResult{
		ETag:         gofakes3.FormatETag(md5Of(o)),
		LastModified: gofakes3.NewContentTime(o.ModifiedAt),
	}, nil
}

// put writes input to a blob, then stores the object in a transaction that
// deletes the blob of the object it replaces. A failed put deletes its blob.
func (b *backend) put(
	bucket, key string, meta map[string]string, input io.Reader, size int64,
	conditions *gofakes3.PutConditions,
) (*osemu.Object, error) {
	ctx := context.Background()
	ref, err := b.store.WriteBlob(ctx, input)
	if err != nil {
		return nil, b.s3Error(err)
	}
	if ref.Size != size {
		b.discard(ref.ID)
		return nil, gofakes3.ErrIncompleteBody
	}

	o := &osemu.Object{
		Bucket:     bucket,
		Key:        key,
		Blob:       ref,
		Metadata:   storedMetadata(meta),
		ModifiedAt: b.clock.Now(),
	}
	err = b.store.Update(ctx, func(tx osemu.Tx) error {
		if _, err := tx.GetBucket(bucket); err != nil {
			return notFound(err, gofakes3.BucketNotFound(bucket))
		}
		if conditions != nil {
			var info gofakes3.ConditionalObjectInfo
			cur, err := tx.GetObject(bucket, key)
			if err == nil {
				info = gofakes3.ConditionalObjectInfo{Exists: true, Hash: md5Of(cur)}
			} else if !errors.Is(err, osemu.ErrNotFound) {
				return err
			}
			if err := gofakes3.CheckPutConditions(conditions, &info); err != nil {
				return err
			}
		}

		replaced, err := tx.PutObject(o)
		if err != nil || replaced == nil {
			return err
		}
		return tx.DeleteBlob(replaced.Blob.ID)
	})
	if err != nil {
		b.discard(ref.ID)
		return nil, b.s3Error(err)
	}
	return o, nil
}

// discard deletes a blob that no object took.
func (b *backend) discard(id string) {
	err := b.store.Update(context.Background(), func(tx osemu.Tx) error {
		return tx.DeleteBlob(id)
	})
	if err != nil {
		b.log.Error("discard blob", "blob", id, "error", err)
	}
}

// get returns an object's row.
func (b *backend) get(bucket, key string) (*osemu.Object, error) {
	var o *osemu.Object
	err := b.store.View(context.Background(), func(tx osemu.Tx) error {
		if _, err := tx.GetBucket(bucket); err != nil {
			return notFound(err, gofakes3.BucketNotFound(bucket))
		}
		var err error
		o, err = tx.GetObject(bucket, key)
		return notFound(err, gofakes3.KeyNotFound(key))
	})
	return o, err
}

// open returns an object's row and a reader of its content. Should the
// object be replaced or deleted between the two, it reads the row again.
func (b *backend) open(bucket, key string) (*osemu.Object, io.ReadCloser, error) {
	for attempt := 1; ; attempt++ {
		o, err := b.get(bucket, key)
		if err != nil {
			return nil, nil, err
		}
		content, err := b.store.OpenBlob(context.Background(), o.Blob.ID)
		if errors.Is(err, osemu.ErrNotFound) && attempt < openAttempts {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		return o, content, nil
	}
}

// toS3 returns the gofakes3 form of an object, without content.
func toS3(o *osemu.Object) *gofakes3.Object {
	meta := make(map[string]string, len(o.Metadata)+2)
	for k, v := range o.Metadata {
		meta[k] = v
	}
	meta["Last-Modified"] = o.ModifiedAt.UTC().Format(http.TimeFormat)
	if meta["Content-Type"] == "" {
		// What S3 answers for content stored without a type; without it
		// net/http would sniff one.
		meta["Content-Type"] = "binary/octet-stream"
	}
	return &gofakes3.Object{
		Name:     o.Key,
		Metadata: meta,
		Size:     o.Blob.Size,
		Hash:     md5Of(o),
	}
}

// md5Of returns the MD5 digest of an object's content, its ETag.
//
// AWS: the ETag of an object from a multipart upload is the MD5 of its
// content, where S3 gives the MD5 of the parts' MD5s, a dash and the number
// of parts (what CompleteMultipartUpload answers here too).
func md5Of(o *osemu.Object) []byte {
	sum, _ := hex.DecodeString(o.Blob.MD5)
	return sum
}

// storedMetadata returns what an object keeps of the request headers that
// gofakes3 collects: the user metadata and the content headers.
//
// AWS: Cache-Control, Content-Language, Expires, the storage class, tags and
// checksums are not kept; GetObject and HeadObject return no checksums.
func storedMetadata(meta map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range meta {
		switch k = http.CanonicalHeaderKey(k); {
		case k == "Content-Type", k == "Content-Disposition", k == "Content-Encoding",
			strings.HasPrefix(k, "X-Amz-Meta-"):
			out[k] = v
		}
	}
	return out
}

// notFound returns s3err if err is osemu.ErrNotFound, and err otherwise.
func notFound(err, s3err error) error {
	if errors.Is(err, osemu.ErrNotFound) {
		return s3err
	}
	return err
}

// s3Error returns the S3 error inside err, which a request body or a
// transaction may have returned through the store, for gofakes3 to render;
// gofakes3 recognizes its errors by type, not through wrapping. Other errors
// are internal errors, which gofakes3 logs.
func (b *backend) s3Error(err error) error {
	var s3err gofakes3.Error
	if errors.As(err, &s3err) {
		return s3err
	}
	return err
}
