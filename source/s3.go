package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/osemu/osemu"
)

// DefaultMaxAttempts is how many times NewS3's Fetcher tries a request that
// fails in a way worth retrying, the first try included.
const DefaultMaxAttempts = 3

// Option configures the Fetcher of NewS3.
type Option func(*s3Options)

type s3Options struct {
	httpClient  *http.Client
	credentials aws.CredentialsProvider
	maxAttempts int
	backoff     retry.BackoffDelayer // nil: the SDK's
}

// WithHTTPClient sets the HTTP client, for a custom transport or TLS
// configuration.
func WithHTTPClient(c *http.Client) Option {
	return func(o *s3Options) { o.httpClient = c }
}

// WithCredentials sets the credentials requests are signed with, instead of
// those of the environment.
func WithCredentials(p aws.CredentialsProvider) Option {
	return func(o *s3Options) { o.credentials = p }
}

// WithMaxAttempts sets how many times a request is tried; n below 1 means
// DefaultMaxAttempts.
func WithMaxAttempts(n int) Option {
	return func(o *s3Options) {
		if n >= 1 {
			o.maxAttempts = n
		}
	}
}

// s3Fetcher reads objects from an S3 endpoint.
type s3Fetcher struct {
	client *s3.Client
}

// NewS3 returns a Fetcher that reads objects from the S3 endpoint at the
// URL endpoint, such as "http://127.0.0.1:9000", with path-style requests in
// the region of the scope it fetches for. An empty endpoint means AWS's own
// endpoint for the region.
//
// Requests are signed with the credentials of AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, or with dummy ones, which
// local S3 emulators accept. No other credential source is tried, so no
// request goes to the EC2 instance metadata service or anywhere but the
// endpoint.
func NewS3(endpoint string, opts ...Option) Fetcher {
	o := s3Options{credentials: envCredentials(), maxAttempts: DefaultMaxAttempts}
	for _, opt := range opts {
		opt(&o)
	}

	so := s3.Options{
		Region:      osemu.DefaultRegion,
		Credentials: o.credentials,
		Retryer: retry.NewStandard(func(ro *retry.StandardOptions) {
			ro.MaxAttempts = o.maxAttempts
			if o.backoff != nil {
				ro.Backoff = o.backoff
			}
		}),
	}
	if endpoint != "" {
		so.BaseEndpoint = aws.String(endpoint)
		so.UsePathStyle = true
	}
	if o.httpClient != nil {
		so.HTTPClient = o.httpClient
	}
	return &s3Fetcher{client: s3.New(so)}
}

// envCredentials returns the credentials of the standard environment
// variables, or dummy ones if they are not set.
func envCredentials() aws.CredentialsProvider {
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return credentials.NewStaticCredentialsProvider("test", "test", "")
	}
	return credentials.NewStaticCredentialsProvider(id, secret, os.Getenv("AWS_SESSION_TOKEN"))
}

// Fetch returns a reader of the object's content and its size.
func (f *s3Fetcher) Fetch(
	ctx context.Context, scope osemu.Scope, loc osemu.S3Location,
) (io.ReadCloser, int64, error) {
	region := scope.Region
	if region == "" {
		region = osemu.DefaultRegion
	}

	out, err := f.client.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(loc.Bucket),
		Key:    aws.String(loc.Key),
	}, func(o *s3.Options) { o.Region = region })
	if err != nil {
		if kind := classify(err); kind != nil {
			return nil, 0, fmt.Errorf("fetch %s: %w: %w", uri(loc), kind, err)
		}
		return nil, 0, fetchError(loc, err)
	}

	size := int64(-1)
	if out.ContentLength != nil {
		size = *out.ContentLength
	}
	return out.Body, size, nil
}

// classify returns the sentinel error that an S3 error stands for, or nil.
func classify(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchBucket":
			return ErrNoSuchBucket
		case "NoSuchKey":
			return ErrNoSuchKey
		case "AccessDenied", "AllAccessDisabled", "AccountProblem", "InvalidAccessKeyId",
			"SignatureDoesNotMatch", "InvalidToken", "ExpiredToken":
			return ErrAccessDenied
		}
	}

	// Some endpoints answer a refusal with a bare 403.
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusForbidden {
		return ErrAccessDenied
	}
	return nil
}
