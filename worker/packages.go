package worker

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/content"
	"github.com/osemu/osemu/source"
)

// loadPackage reads a package outside any write transaction; ok is false
// when it is gone.
func (w *Worker) loadPackage(
	ctx context.Context, id string,
) (p *osemu.Package, ok bool, err error) {
	err = w.store.View(ctx, func(tx osemu.Tx) error {
		p, err = tx.GetPackage(id)
		return err
	})
	if errors.Is(err, osemu.ErrNotFound) {
		return nil, false, nil
	}
	return p, err == nil, err
}

// skip completes a step that has nothing left to do, because the resource
// it was for is gone or has moved on.
func (w *Worker) skip(ctx context.Context, step *osemu.Step) error {
	return w.finish(ctx, step, func(osemu.Tx, *next) error { return nil })
}

// copyPackage copies the content of a COPYING package from S3 into the
// store and moves the package to VALIDATING, or to COPY_FAILED when the
// object cannot be read.
func (w *Worker) copyPackage(ctx context.Context, step *osemu.Step) error {
	p, ok, err := w.loadPackage(ctx, step.PackageID)
	if err != nil {
		return err
	}
	if !ok || p.Status != osemu.PackageCopying || p.Pending == nil {
		return w.skip(ctx, step)
	}
	src := p.Pending.Source

	// The copy runs outside any transaction: it may be long, and S3 is
	// not part of the store.
	blob, failure, err := w.copyObject(ctx, p.Scope, src)
	if err != nil {
		return err
	}

	committed := false
	err = w.finish(ctx, step, func(tx osemu.Tx, next *next) error {
		p, err := tx.GetPackage(step.PackageID)
		if errors.Is(err, osemu.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if p.Status != osemu.PackageCopying || p.Pending == nil || p.Pending.Source != src {
			return nil
		}

		p.UpdatedAt = w.now()
		if failure != nil {
			p.Status = osemu.PackageCopyFailed
			p.ErrorDetails = failure
			p.Pending = nil
			return tx.UpdatePackage(p)
		}

		p.Status = osemu.PackageValidating
		p.Pending.Blob = &blob
		if err := tx.UpdatePackage(p); err != nil {
			return err
		}
		committed = true
		return next.schedule(osemu.StepPackageValidate, p.Scope, p.ID, "")
	})
	if !committed && failure == nil {
		w.dropBlob(ctx, blob.ID)
	}
	if err != nil {
		return err
	}
	w.log.Info("package copied", "package_id", step.PackageID,
		"bucket", src.Bucket, "key", src.Key, "size", blob.Size, "failed", failure != nil)
	return nil
}

// copyObject reads an S3 object into a blob. A failure to read the object
// is the package's fault and comes back as ErrorDetails; a failure to store
// it is the store's, and comes back as an error so the step is retried.
func (w *Worker) copyObject(
	ctx context.Context, scope osemu.Scope, src osemu.S3Location,
) (osemu.BlobRef, *osemu.ErrorDetails, error) {
	rc, size, err := w.fetch.Fetch(ctx, scope, src)
	if err != nil {
		if ctx.Err() != nil {
			return osemu.BlobRef{}, nil, ctx.Err()
		}
		return osemu.BlobRef{}, copyFailure(src, err), nil
	}
	defer rc.Close()

	reader := &errorTrackingReader{r: rc}
	blob, err := w.store.WriteBlob(ctx, reader)
	switch {
	case reader.err != nil && ctx.Err() == nil:
		// The object's stream broke: the package's fault, whether or not
		// the store took what came before.
		if err == nil {
			w.dropBlob(ctx, blob.ID)
		}
		return osemu.BlobRef{}, copyFailure(src, reader.err), nil
	case err != nil:
		return osemu.BlobRef{}, nil, fmt.Errorf("store package content: %w", err)
	case size >= 0 && blob.Size != size:
		// A stream that ended early without an error, or an object
		// replaced while it was read: never keep part of one.
		w.dropBlob(ctx, blob.ID)
		short := fmt.Errorf("read %d bytes of an object of %d bytes", blob.Size, size)
		return osemu.BlobRef{}, copyFailure(src, short), nil
	}
	return blob, nil, nil
}

// copyFailure describes why the content of a package could not be copied
// from S3, for the package's ErrorDetails.
//
// AWS: the ErrorType strings AWS writes for COPY_FAILED packages are not
// documented; these name the S3 error (unverified).
func copyFailure(src osemu.S3Location, err error) *osemu.ErrorDetails {
	uri := "s3://" + src.Bucket + "/" + src.Key
	switch {
	case errors.Is(err, source.ErrNoSuchBucket):
		return &osemu.ErrorDetails{ErrorType: "NoSuchBucket",
			ErrorMessage: "The S3 bucket " + src.Bucket + " of " + uri + " does not exist."}
	case errors.Is(err, source.ErrNoSuchKey):
		return &osemu.ErrorDetails{ErrorType: "NoSuchKey",
			ErrorMessage: "The S3 object " + uri + " does not exist."}
	case errors.Is(err, source.ErrAccessDenied):
		return &osemu.ErrorDetails{ErrorType: "AccessDenied",
			ErrorMessage: "Access to the S3 object " + uri + " was denied."}
	}
	return &osemu.ErrorDetails{ErrorType: "CopyFailed",
		ErrorMessage: "The S3 object " + uri + " could not be read: " + err.Error()}
}

// errorTrackingReader remembers the error of the reader it wraps, to tell
// a broken S3 download from a failing store.
type errorTrackingReader struct {
	r   io.Reader
	err error
}

func (e *errorTrackingReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		e.err = err
	}
	return n, err
}

// dropBlob deletes a blob that no row references, after a step that wrote
// it did not commit. Failure only leaves garbage behind.
func (w *Worker) dropBlob(ctx context.Context, id string) {
	if id == "" {
		return
	}
	err := w.store.Update(ctx, func(tx osemu.Tx) error { return tx.DeleteBlob(id) })
	if err != nil {
		w.log.Warn("drop orphan blob", "blob", id, "error", err)
	}
}

// validatePackage checks the content a package copied and makes it the
// package's next version (AVAILABLE), or fails the package
// (VALIDATION_FAILED).
func (w *Worker) validatePackage(ctx context.Context, step *osemu.Step) error {
	p, ok, err := w.loadPackage(ctx, step.PackageID)
	if err != nil {
		return err
	}
	if !ok || p.Status != osemu.PackageValidating || p.Pending == nil || p.Pending.Blob == nil {
		return w.skip(ctx, step)
	}
	blob := *p.Pending.Blob

	result, verdict, err := w.check(ctx, p, blob)
	if err != nil {
		return err
	}

	var version int
	err = w.finish(ctx, step, func(tx osemu.Tx, _ *next) error {
		p, err := tx.GetPackage(step.PackageID)
		if errors.Is(err, osemu.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if p.Status != osemu.PackageValidating || p.Pending == nil ||
			p.Pending.Blob == nil || p.Pending.Blob.ID != blob.ID {
			return nil
		}

		now := w.now()
		p.UpdatedAt = now
		if verdict != nil {
			p.Status = osemu.PackageValidationFailed
			p.ErrorDetails = verdict.Details()
			p.Pending = nil
			if err := tx.DeleteBlob(blob.ID); err != nil {
				return err
			}
			return tx.UpdatePackage(p)
		}

		version = p.Version + 1
		v := &osemu.PackageVersion{
			PackageID:        p.ID,
			Version:          version,
			CommitMessage:    p.Pending.CommitMessage,
			CreatedAt:        now,
			Blob:             blob,
			PluginProperties: result.PluginProperties,
			Configuration:    p.Pending.Configuration,
		}
		if err := tx.InsertPackageVersion(v); err != nil {
			return err
		}

		p.Version = version
		p.Status = osemu.PackageAvailable
		p.ErrorDetails = nil
		p.PluginProperties = result.PluginProperties
		if p.Pending.Configuration != nil {
			p.Configuration = p.Pending.Configuration
		}
		p.Pending = nil
		return tx.UpdatePackage(p)
	})
	if err != nil {
		return err
	}
	w.log.Info("package validated", "package_id", step.PackageID,
		"version", version, "failed", verdict != nil)
	return nil
}

// check validates a blob's content. It returns the verdict on invalid
// content, or an error when the content cannot be read.
func (w *Worker) check(
	ctx context.Context, p *osemu.Package, blob osemu.BlobRef,
) (*content.Result, *content.Invalid, error) {
	f, remove, err := w.spool(ctx, blob.ID)
	if err != nil {
		return nil, nil, err
	}
	defer remove()

	result, err := content.Check(content.Input{
		Type:          p.Type,
		Key:           p.Pending.Source.Key,
		EngineVersion: p.EngineVersion,
		Content:       f,
		Size:          blob.Size,
	})
	var invalid *content.Invalid
	if errors.As(err, &invalid) {
		return nil, invalid, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("validate package content: %w", err)
	}
	return result, nil, nil
}

// deletePackage removes a DELETING package with its versions and content.
func (w *Worker) deletePackage(ctx context.Context, step *osemu.Step) error {
	err := w.finish(ctx, step, func(tx osemu.Tx, _ *next) error {
		p, err := tx.GetPackage(step.PackageID)
		if errors.Is(err, osemu.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if p.Status != osemu.PackageDeleting {
			return nil
		}

		if p.Pending != nil && p.Pending.Blob != nil {
			if err := tx.DeleteBlob(p.Pending.Blob.ID); err != nil {
				return err
			}
		}
		for before := 0; ; {
			versions, err := tx.ListPackageVersions(p.ID, before, 100)
			if err != nil {
				return err
			}
			if len(versions) == 0 {
				break
			}
			for _, v := range versions {
				if err := tx.DeleteBlob(v.Blob.ID); err != nil {
					return err
				}
				before = v.Version
			}
		}
		return tx.DeletePackage(p.ID)
	})
	if err != nil {
		return err
	}
	w.log.Info("package deleted", "package_id", step.PackageID)
	return nil
}
