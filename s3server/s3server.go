// Package s3server is osemu's embedded S3 endpoint: enough of the S3 REST
// API, path-style, for clients to put the dictionaries and plugins that
// CreatePackage and UpdatePackage read. gofakes3 speaks the protocol; the
// buckets, objects and multipart uploads are rows of the osemu.Store and
// content is a blob, so every replica on a shared database sees the same
// objects and uploads.
//
// Supported: ListBuckets, CreateBucket, HeadBucket, DeleteBucket (of
// buckets without objects; uploads in progress go with them), ListObjects
// and ListObjectsV2 with prefix, delimiter and pagination, PutObject,
// GetObject with Range, HeadObject, CopyObject, DeleteObject, DeleteObjects,
// and multipart uploads: create, upload part, list uploads and parts, abort
// and complete. Bodies may be aws-chunked, and the checksums clients send
// are verified.
//
// AWS: requests are not authenticated (their signatures are not checked)
// and buckets have no owner, policy, ACL, versioning or region.
package s3server

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/johannesboyne/gofakes3"

	"github.com/osemu/osemu"
)

// Handler serves the S3 REST API from an osemu.Store. Multipart uploads in
// progress, parts included, are kept in the store too, so that a client may
// send the requests of one upload to different replicas, and an upload
// outlives a restart.
//
// AWS: ListMultipartUploads and ListParts name no initiator or owner, and
// EntityTooSmall carries no ProposedSize, MinSizeAllowed, PartNumber or
// ETag.
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

	// gofakes3 answers the S3 errors it does not know, which only
	// CompleteMultipartUpload returns, with 500.
	if r.Method == http.MethodPost && r.URL.Query().Has("uploadId") {
		sw := &statusWriter{ResponseWriter: w}
		defer sw.finish()
		w = sw
	}
	h.s3.ServeHTTP(w, r)
}

// codeStatus holds the HTTP status of S3 error codes that gofakes3 does not
// know.
var codeStatus = map[gofakes3.ErrorCode]int{
	errEntityTooSmall: http.StatusBadRequest,
}

// statusWriter holds back a 500 answer until its body shows its error code,
// to answer with the status the code has in codeStatus, if any. Other
// answers pass through.
type statusWriter struct {
	http.ResponseWriter
	held bool
	body bytes.Buffer
}

func (w *statusWriter) WriteHeader(status int) {
	if status == http.StatusInternalServerError {
		w.held = true
		return
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.held {
		return w.body.Write(p)
	}
	return w.ResponseWriter.Write(p)
}

// finish sends a held-back answer.
func (w *statusWriter) finish() {
	if !w.held {
		return
	}
	status := http.StatusInternalServerError
	var e struct{ Code gofakes3.ErrorCode }
	if xml.Unmarshal(w.body.Bytes(), &e) == nil && codeStatus[e.Code] != 0 {
		status = codeStatus[e.Code]
	}
	w.ResponseWriter.WriteHeader(status)
	w.ResponseWriter.Write(w.body.Bytes())
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
