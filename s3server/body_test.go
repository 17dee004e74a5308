package s3server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/s3server"
	"github.com/osemu/osemu/s3server/s3servertest"
)

func crc32Base64(s string) string {
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE([]byte(s))))
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func sha256Base64(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// serve runs one request through h and returns the response.
func serve(h http.Handler, method, target string, header map[string]string, body string) *http.Response {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

// TestRequestBodies sends bodies the way the various clients do, and broken
// ones, and checks what is stored.
func TestRequestBodies(t *testing.T) {
	sig := strings.Repeat("ab", 32)
	unsignedTrailer := map[string]string{
		"X-Amz-Content-Sha256":         "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
		"Content-Encoding":             "aws-chunked",
		"X-Amz-Decoded-Content-Length": "11",
		"X-Amz-Trailer":                "x-amz-checksum-crc32",
	}
	with := func(h map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range h {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}

	tests := []bodyTest{{
		name:    "plain",
		body:    "hello world",
		status:  200,
		content: "hello world",
	}, {
		name:    "header checksum",
		header:  map[string]string{"X-Amz-Checksum-Crc32": crc32Base64("hello world")},
		body:    "hello world",
		status:  200,
		content: "hello world",
	}, {
		name:   "wrong header checksum",
		header: map[string]string{"X-Amz-Checksum-Sha256": sha256Base64("hello")},
		body:   "hello world",
		status: 400,
		code:   "BadDigest",
	}, {
		name: "signed payload",
		header: map[string]string{
			"X-Amz-Content-Sha256": sha256Hex("hello world"),
		},
		body:    "hello world",
		status:  200,
		content: "hello world",
	}, {
		name:   "wrong signed payload",
		header: map[string]string{"X-Amz-Content-Sha256": strings.Repeat("0", 64)},
		body:   "hello world",
		status: 400,
		code:   "BadDigest",
	}, {
		name:    "unsigned trailer",
		header:  unsignedTrailer,
		body:    "5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:" + crc32Base64("hello world") + "\r\n\r\n",
		status:  200,
		content: "hello world",
	}, {
		name:     "unsigned trailer, gzip content",
		header:   with(unsignedTrailer, "Content-Encoding", "aws-chunked,gzip"),
		body:     "b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:" + crc32Base64("hello world") + "\r\n\r\n",
		status:   200,
		content:  "hello world",
		encoding: "gzip",
	}, {
		name:   "wrong trailer checksum",
		header: unsignedTrailer,
		body:   "5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:" + crc32Base64("hello") + "\r\n\r\n",
		status: 400,
		code:   "BadDigest",
	}, {
		name:   "missing trailer",
		header: unsignedTrailer,
		body:   "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
		status: 400,
		code:   "InvalidArgument",
	}, {
		name: "signed chunks",
		header: map[string]string{
			"X-Amz-Content-Sha256":         "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
			"Content-Encoding":             "aws-chunked",
			"X-Amz-Decoded-Content-Length": "11",
		},
		body: "6;chunk-signature=" + sig + "\r\nhello \r\n" +
			"5;chunk-signature=" + sig + "\r\nworld\r\n" +
			"0;chunk-signature=" + sig + "\r\n\r\n",
		status:  200,
		content: "hello world",
	}, {
		name: "signed chunks and trailer",
		header: map[string]string{
			"X-Amz-Content-Sha256":         "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
			"X-Amz-Decoded-Content-Length": "11",
			"X-Amz-Trailer":                "x-amz-checksum-sha256",
		},
		body: "b;chunk-signature=" + sig + "\r\nhello world\r\n0;chunk-signature=" + sig + "\r\n" +
			"x-amz-checksum-sha256:" + sha256Base64("hello world") + "\r\nx-amz-trailer-signature:" + sig + "\r\n\r\n",
		status:  200,
		content: "hello world",
	}, {
		name:   "no decoded length",
		header: with(unsignedTrailer, "X-Amz-Decoded-Content-Length", ""),
		body:   "5\r\nhello\r\n0\r\n\r\n",
		status: 411,
		code:   "MissingContentLength",
	}, {
		name:   "decoded length too large",
		header: with(unsignedTrailer, "X-Amz-Decoded-Content-Length", "20"),
		body:   "5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:" + crc32Base64("hello world") + "\r\n\r\n",
		status: 400,
		code:   "IncompleteBody",
	}, {
		name:   "decoded length too small",
		header: with(unsignedTrailer, "X-Amz-Decoded-Content-Length", "5"),
		body:   "5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:" + crc32Base64("hello world") + "\r\n\r\n",
		status: 400,
		code:   "IncompleteBody",
	}, {
		name:   "truncated chunk",
		header: unsignedTrailer,
		body:   "5\r\nhello\r\n10\r\n world",
		status: 400,
		code:   "IncompleteBody",
	}, {
		name:   "bad chunk size",
		header: unsignedTrailer,
		body:   "zz\r\nhello\r\n0\r\n\r\n",
		status: 400,
		code:   "IncompleteBody",
	}}

	stores := map[string]func(testing.TB) osemu.Store{
		"memory": func(testing.TB) osemu.Store { return s3servertest.NewStore() },
		"sqlite": func(tb testing.TB) osemu.Store { return MustStore(tb) },
	}
	for _, tt := range tests {
		for storeName, newStore := range stores {
			t.Run(tt.name+","+storeName, func(t *testing.T) { tt.run(t, newStore(t)) })
		}
	}
}

// bodyTest is a PUT of an object and what it should store.
type bodyTest struct {
	name     string
	header   map[string]string
	body     string
	status   int
	code     string // S3 error code, if the put fails
	content  string // stored content, if it succeeds
	encoding string // stored Content-Encoding
}

func (tt bodyTest) run(t *testing.T, store osemu.Store) {
	h := s3server.New(store, slog.New(slog.DiscardHandler))
	if res := serve(h, "PUT", "/bkt", nil, ""); res.StatusCode != 200 {
		t.Fatalf("create bucket: status %d", res.StatusCode)
	}

	res := serve(h, "PUT", "/bkt/key", tt.header, tt.body)
	body, _ := io.ReadAll(res.Body)
	wrongCode := tt.code != "" && !strings.Contains(string(body), "<Code>"+tt.code+"</Code>")
	if res.StatusCode != tt.status || wrongCode {
		t.Fatalf("PUT: got %d %s, want %d %s", res.StatusCode, body, tt.status, tt.code)
	}

	get := serve(h, "GET", "/bkt/key", nil, "")
	got, _ := io.ReadAll(get.Body)
	if tt.code != "" {
		if get.StatusCode != 404 {
			t.Errorf("GET after a failed PUT: got %d %s, want 404", get.StatusCode, got)
		}
		if c, ok := store.(interface{ BlobCount() int }); ok && c.BlobCount() != 0 {
			t.Errorf("blobs after a failed PUT: got %d, want 0", c.BlobCount())
		}
		return
	}
	if string(got) != tt.content {
		t.Errorf("GET: got %q, want %q", got, tt.content)
	}
	if enc := get.Header.Get("Content-Encoding"); enc != tt.encoding {
		t.Errorf("GET Content-Encoding: got %q, want %q", enc, tt.encoding)
	}
	if ct := get.Header.Get("Content-Type"); ct != "binary/octet-stream" {
		t.Errorf("GET Content-Type of content put without one: got %q, want binary/octet-stream", ct)
	}
	requestOnly := []string{
		"X-Amz-Decoded-Content-Length", "X-Amz-Trailer", "X-Amz-Content-Sha256", "X-Amz-Checksum-Crc32",
	}
	for _, name := range requestOnly {
		if v := get.Header.Get(name); v != "" {
			t.Errorf("GET returns request header %s: %q", name, v)
		}
	}
}

// brokenStore is a store whose transactions fail.
type brokenStore struct{ *s3servertest.Store }

func (brokenStore) View(context.Context, func(osemu.Tx) error) error {
	return fmt.Errorf("view: %w", osemu.ErrUnavailable)
}

func (brokenStore) Update(context.Context, func(osemu.Tx) error) error {
	return fmt.Errorf("update: %w", osemu.ErrUnavailable)
}

// TestInternalErrors checks that a failing store makes a 500 InternalError,
// logged at Error, while a client's mistake is logged at no level above
// Debug.
func TestInternalErrors(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))

	ok := s3server.New(s3servertest.NewStore(), logger)
	if res := serve(ok, "GET", "/missing/key", nil, ""); res.StatusCode != 404 {
		t.Errorf("GET from a missing bucket: got %d, want 404", res.StatusCode)
	}
	if logs.Len() != 0 {
		t.Errorf("a client's mistake was logged above Debug: %s", logs.String())
	}

	broken := s3server.New(brokenStore{s3servertest.NewStore()}, logger)
	res := serve(broken, "GET", "/bkt/key", nil, "")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 500 || !strings.Contains(string(body), "<Code>InternalError</Code>") {
		t.Errorf("GET with a broken store: got %d %s, want 500 InternalError", res.StatusCode, body)
	}
	got := logs.String()
	if !strings.Contains(got, "level=ERROR") || !strings.Contains(got, "store unavailable") {
		t.Errorf("log of an internal error: got %q, want an ERROR naming the cause", got)
	}
}
