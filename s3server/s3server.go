// Package s3server is osemu's embedded S3 endpoint: enough of the S3 REST
// API, path-style, for clients to put the dictionaries and plugins that
// CreatePackage and UpdatePackage read. gofakes3 speaks the protocol; the
// buckets and objects are rows of the osemu.Store and object content is a
// blob, so every replica on a shared database sees the same objects.
//
// Supported: ListBuckets, CreateBucket, HeadBucket, DeleteBucket (empty
// buckets only), ListObjects and ListObjectsV2 with prefix, delimiter and
// pagination, PutObject, GetObject with Range, HeadObject, CopyObject,
// DeleteObject, DeleteObjects and multipart uploads. Bodies may be
// aws-chunked, and the checksums clients send are verified.
//
// AWS: requests are not authenticated (their signatures are not checked)
// and buckets have no owner, policy, ACL, versioning or region.
package s3server

import (
	"context"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/johannesboyne/gofakes3"

	"github.com/osemu/osemu"
)

// Handler serves the S3 REST API from an osemu.Store.
//
// AWS: multipart uploads in progress live in the memory of the process
// that took CreateMultipartUpload, parts included (gofakes3's uploader): a
// restart loses them, with several replicas every request of one upload
// must reach the same replica, and completing an upload holds twice its size
// in memory until the object is stored. The completed object is stored like
// any other. Part sizes are not checked (S3 wants 5 MiB but for the last).
//
// TODO(multipart): keep uploads and parts in the store, so that they are
// durable and shared by replicas, once the Store has a place for them.
type Handler struct {
	s3 http.Handler
}

// Option configures a Handler.
type Option func(*options)

type options struct {
	clock osemu.Clock
}

// WithClock sets the clock that dates buckets and objects; the default is
// the system clock. Request times (x-amz-date) are checked against the
// system clock whatever the option, since clients sign with the real time.
func WithClock(c osemu.Clock) Option {
	return func(o *options) { o.clock = c }
}

// New returns a Handler that keeps buckets and objects in store and logs to
// logger (slog.Default() if nil): internal errors at Error, each operation
// at Debug.
func New(store osemu.Store, logger *slog.Logger, opts ...Option) *Handler {
	if logger == nil {
		logger = slog.Default()
	}
	o := options{clock: osemu.SystemClock{}}
	for _, opt := range opts {
		opt(&o)
	}

	b := &backend{store: store, clock: o.clock, log: logger}
	fake := gofakes3.New(b, gofakes3.WithLogger(logAdapter{logger}))
	return &Handler{s3: fake.Server()}
}

// ServeHTTP serves an S3 request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// A request that asks for "100 Continue" but has no body gets its final
	// answer without one (net/http sends 100 only when a body is read).
	// botocore then leaves the connection in a state where its next request
	// waits for its read timeout, so such a connection is not kept.
	if r.ContentLength == 0 && strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		w.Header().Set("Connection", "close")
	}
	if err := prepareBody(r); err != nil {
		writeError(w, r, err)
		return
	}
	h.s3.ServeHTTP(w, r)
}

// writeError renders an S3 error that gofakes3 was not asked to render.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := err.(*requestError)
	if !ok {
		e = &requestError{"InternalError", http.StatusInternalServerError,
			"We encountered an internal error. Please try again."}
	}

	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(e.Status)
	if r.Method == http.MethodHead {
		return
	}
	body := struct {
		XMLName xml.Name `xml:"Error"`
		Code    string
		Message string
	}{Code: e.Code, Message: e.Message}
	fmt.Fprint(w, xml.Header)
	xml.NewEncoder(w).Encode(body)
}

// logAdapter sends gofakes3's log lines to slog: its errors at Error, the
// rest, one or more lines per request, at Debug.
type logAdapter struct{ log *slog.Logger }

func (l logAdapter) Print(level gofakes3.LogLevel, v ...any) {
	lvl := slog.LevelDebug
	switch level {
	case gofakes3.LogErr:
		lvl = slog.LevelError
	case gofakes3.LogWarn:
		lvl = slog.LevelWarn
	}
	if !l.log.Enabled(context.Background(), lvl) {
		return
	}

	detail := strings.TrimSpace(fmt.Sprintln(v...))
	if lvl == slog.LevelError {
		l.log.Error("s3 internal error", "error", detail)
		return
	}
	l.log.Log(context.Background(), lvl, "s3 operation", "detail", detail)
}
