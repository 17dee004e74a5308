package source

import (
	"context"
	"errors"
	"io"

	"github.com/osemu/osemu"
)

// openAttempts bounds how often Fetch reads an object's row again when the
// object is replaced, and its blob deleted, before the blob is opened.
const openAttempts = 3

// embedded reads the objects of the embedded S3 endpoint from the store.
type embedded struct {
	store osemu.Store
}

// NewEmbedded returns a Fetcher that reads the objects the embedded S3
// endpoint keeps in store straight from it, without an HTTP round trip.
//
// AWS: the embedded endpoint's buckets have no owner or policy, so every
// scope may read every object; Fetch does not use the scope.
func NewEmbedded(store osemu.Store) Fetcher { return &embedded{store: store} }

// Fetch returns a reader of the object's content and its size.
func (e *embedded) Fetch(
	ctx context.Context, scope osemu.Scope, loc osemu.S3Location,
) (io.ReadCloser, int64, error) {
	for attempt := 1; ; attempt++ {
		var o *osemu.Object
		err := e.store.View(ctx, func(tx osemu.Tx) error {
			_, err := tx.GetBucket(loc.Bucket)
			if errors.Is(err, osemu.ErrNotFound) {
				return ErrNoSuchBucket
			}
			if err != nil {
				return err
			}

			o, err = tx.GetObject(loc.Bucket, loc.Key)
			if errors.Is(err, osemu.ErrNotFound) {
				return ErrNoSuchKey
			}
			return err
		})
		if err != nil {
			return nil, 0, fetchError(loc, err)
		}

		content, err := e.store.OpenBlob(ctx, o.Blob.ID)
		if errors.Is(err, osemu.ErrNotFound) && attempt < openAttempts {
			continue
		}
		if err != nil {
			return nil, 0, fetchError(loc, err)
		}
		return content, o.Blob.Size, nil
	}
}
