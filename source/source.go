// Package source reads the content of packages from S3 for the lifecycle
// worker: CreatePackage and UpdatePackage name an S3 bucket and key, and the
// copy step fetches the object. Two Fetchers do it: NewEmbedded reads the
// embedded S3 endpoint's objects straight from the store, NewS3 talks to an
// S3 endpoint (MinIO, LocalStack, moto, AWS) with the AWS SDK.
//
// Fetch errors wrap ErrNoSuchBucket, ErrNoSuchKey or ErrAccessDenied when S3
// says so, so the worker can write the package's ErrorDetails.
package source

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/osemu/osemu"
)

// Errors that Fetch wraps, for the worker to tell why a copy failed.
var (
	// ErrNoSuchBucket means the bucket does not exist.
	ErrNoSuchBucket = errors.New("no such bucket")

	// ErrNoSuchKey means the bucket holds no object with the key.
	ErrNoSuchKey = errors.New("no such key")

	// ErrAccessDenied means S3 refused to give the object.
	ErrAccessDenied = errors.New("access denied")
)

// Fetcher reads objects from S3.
type Fetcher interface {
	// Fetch returns a reader of the object at loc, read on behalf of
	// scope, and its size, or -1 if it is not known. The caller closes the
	// reader.
	Fetch(ctx context.Context, scope osemu.Scope, loc osemu.S3Location) (io.ReadCloser, int64, error)
}

// uri returns loc as an s3:// URI, for errors.
func uri(loc osemu.S3Location) string { return "s3://" + loc.Bucket + "/" + loc.Key }

// fetchError returns err with the object it concerns.
func fetchError(loc osemu.S3Location, err error) error {
	return fmt.Errorf("fetch %s: %w", uri(loc), err)
}
