// Package api serves the Amazon OpenSearch Service configuration API, both
// the 2021-01-01 OpenSearch API and the legacy 2015-01-01 Elasticsearch one,
// over REST-JSON as AWS does: routes, input validation and error shapes come
// from the botocore service model (package awsmodel), operations from the
// service package. Requests signed for the S3 service go to the embedded S3
// endpoint instead, so one address serves both.
package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/awsmodel"
	"github.com/osemu/osemu/service"
)

// maxBodySize caps a request body. The largest input of the API, SAML
// metadata, is 1 MiB.
const maxBodySize = 4 << 20

// Config configures a Server.
type Config struct {
	// Service carries out operations. Required.
	Service *service.Service

	// S3 serves requests signed for S3; nil answers them with an error.
	S3 http.Handler

	// DefaultAccount is the account of access keys that are not 12-digit
	// account IDs.
	DefaultAccount string

	// DefaultRegion is the region of unsigned requests.
	DefaultRegion string

	// Logger receives the server's logs; slog.Default() by default.
	Logger *slog.Logger
}

// Server is the HTTP front of osemu.
type Server struct {
	svc            *service.Service
	s3             http.Handler
	defaultAccount string
	defaultRegion  string
	log            *slog.Logger
	apis           []*apiVersion
}

// apiVersion is one of the two APIs: its model and the operations osemu
// implements in it.
type apiVersion struct {
	prefix   string
	model    *awsmodel.Service
	handlers map[string]handler

	// legacy marks the 2015-01-01 API, whose output shapes lack members
	// the shared handlers render: outputs are cut to the model's shapes.
	legacy bool
}

// handler carries out one operation and returns its output, which is
// encoded as the response body.
type handler func(ctx context.Context, c *call) (any, error)

// call is one API request on its way through a handler.
type call struct {
	op     *awsmodel.Operation
	scope  osemu.Scope
	input  map[string]any
	legacy bool
}

// decode fills v, a struct with the JSON names of the operation's input
// members, from the validated input.
func (c *call) decode(v any) error {
	raw, err := json.Marshal(c.input)
	if err != nil {
		return fmt.Errorf("encode input: %w", err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return osemu.Errorf(osemu.CodeValidation, "The request does not match the shape of %s: %v",
			c.op.Name, err)
	}
	return nil
}

// fitToShape drops from an output every member the output shape lacks.
func fitToShape(out any, shape *awsmodel.Shape) (any, error) {
	raw, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode output: %w", err)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode output: %w", err)
	}
	return pruneToShape(v, shape), nil
}

// New returns a Server.
func New(cfg Config) *Server {
	s := &Server{
		svc:            cfg.Service,
		s3:             cfg.S3,
		defaultAccount: cfg.DefaultAccount,
		defaultRegion:  cfg.DefaultRegion,
		log:            cfg.Logger,
	}
	if s.defaultAccount == "" {
		s.defaultAccount = osemu.DefaultAccountID
	}
	if s.defaultRegion == "" {
		s.defaultRegion = osemu.DefaultRegion
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.apis = []*apiVersion{
		{prefix: "/2021-01-01/", model: awsmodel.OpenSearch(), handlers: s.openSearchHandlers()},
		{
			prefix: "/2015-01-01/", model: awsmodel.Elasticsearch(),
			handlers: s.elasticsearchHandlers(), legacy: true,
		},
	}
	return s
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cred := credentialOf(r)
	api := s.apiFor(r.URL.Path)
	if cred.Service == "s3" || (api == nil && cred.Service != "es") {
		s.serveS3(w, r)
		return
	}

	requestID := newRequestID()
	w.Header().Set("x-amzn-RequestId", requestID)
	start := time.Now()
	log := s.log.With("request_id", requestID)

	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			log.Error("panic serving request", "error", v, "stack", string(debug.Stack()))
			writeError(w, osemu.Errorf(osemu.CodeInternal, "An internal error occurred. Request ID: %s", requestID))
		}
	}()

	region := cred.Region
	if region == "" {
		region = s.defaultRegion
	}
	scope := osemu.Scope{Account: accountOf(cred.AccessKey, s.defaultAccount), Region: region}

	opName, status, err := "", 0, checkCredential(r, cred)
	if err == nil {
		opName, status, err = s.dispatch(w, r, api, scope)
	}
	if err != nil {
		status = s.fail(w, log, opName, err, requestID)
	}
	log.Debug("request", "op", opName, "method", r.Method, "path", r.URL.Path,
		"scope", scope.String(), "status", status, "duration", time.Since(start))
}

// apiFor returns the API whose path prefix the path has, or nil.
func (s *Server) apiFor(path string) *apiVersion {
	for _, a := range s.apis {
		if strings.HasPrefix(path, a.prefix) || path == strings.TrimSuffix(a.prefix, "/") {
			return a
		}
	}
	return nil
}

// serveS3 hands a request to the embedded S3 endpoint.
func (s *Server) serveS3(w http.ResponseWriter, r *http.Request) {
	if s.s3 != nil {
		s.s3.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusNotImplemented)
	_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+
		`<Error><Code>NotImplemented</Code><Message>The embedded S3 endpoint is disabled: `+
		`osemu reads packages from --s3-endpoint.</Message></Error>`)
}

// dispatch routes, decodes, validates and runs one API call, and writes its
// output. It returns the operation name and, on success, the status sent.
func (s *Server) dispatch(
	w http.ResponseWriter, r *http.Request, api *apiVersion, scope osemu.Scope,
) (string, int, error) {
	if api == nil {
		return "", 0, osemu.Errorf(osemu.CodeUnknownOperation,
			"No operation of the OpenSearch Service API matches %s %s.", r.Method, r.URL.Path)
	}

	op, labels, err := api.model.Route(r.Method, r.URL.EscapedPath())
	switch {
	case errors.Is(err, awsmodel.ErrMethodNotAllowed):
		return "", 0, osemu.Errorf(osemu.CodeUnknownOperation,
			"No operation of the OpenSearch Service API matches %s %s: the method is not allowed on this path.",
			r.Method, r.URL.Path)
	case err != nil:
		return "", 0, osemu.Errorf(osemu.CodeUnknownOperation,
			"No operation of the OpenSearch Service API matches %s %s.", r.Method, r.URL.Path)
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodySize+1))
	if err != nil {
		return op.Name, 0, osemu.Errorf(osemu.CodeValidation, "The request body could not be read: %v", err)
	}
	if len(body) > maxBodySize {
		return op.Name, 0, osemu.Errorf(osemu.CodeValidation,
			"The request body is larger than %d bytes.", maxBodySize)
	}

	input, err := op.Bind(r, labels, body)
	if err != nil {
		return op.Name, 0, err
	}
	if err := op.Validate(input); err != nil {
		return op.Name, 0, err
	}

	h, ok := api.handlers[op.Name]
	if !ok {
		// AWS: osemu answers operations it does not implement with the
		// model's "unsupported operation" error, naming the operation.
		return op.Name, 0, osemu.Errorf(osemu.CodeDisabledOperation,
			"osemu does not implement the %s operation (%s %s) yet.", op.Name, op.Method, op.URI)
	}

	out, err := h(r.Context(), &call{op: op, scope: scope, input: input, legacy: api.legacy})
	if err != nil {
		return op.Name, 0, err
	}
	if api.legacy && out != nil {
		if out, err = fitToShape(out, op.Output); err != nil {
			return op.Name, 0, err
		}
	}

	status := op.ResponseCode
	if status == 0 {
		status = http.StatusOK
	}
	if out == nil {
		// Operations without an output shape answer with an empty body.
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(status)
		return op.Name, status, nil
	}
	writeJSON(w, status, out)
	return op.Name, status, nil
}

// fail writes err as an AWS error response and returns its status. Client
// mistakes pass through as they are; anything else is an internal error,
// logged here and reported without its details.
func (s *Server) fail(
	w http.ResponseWriter, log *slog.Logger, op string, err error, requestID string,
) int {
	var e *osemu.Error
	if !errors.As(err, &e) {
		if errors.Is(err, context.Canceled) {
			// The client went away; nobody reads the answer.
			log.Debug("request canceled", "op", op)
			return 499
		}
		log.Error("internal error", "op", op, "error", err)
		e = osemu.Errorf(osemu.CodeInternal,
			"An internal error occurred while processing the request. Request ID: %s", requestID)
	}
	writeError(w, e)
	return e.Status()
}

// writeError writes an AWS REST-JSON error: the bare code in
// x-amzn-ErrorType and the message in the body.
func writeError(w http.ResponseWriter, e *osemu.Error) {
	w.Header().Set("x-amzn-ErrorType", e.Code)
	writeJSON(w, e.Status(), map[string]string{"message": e.Message})
}

// writeJSON writes v as the JSON response body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		w.Header().Set("x-amzn-ErrorType", osemu.CodeInternal)
		body = []byte(`{"message":"The response could not be encoded."}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// newRequestID returns a random request ID in the UUID form AWS uses.
func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
