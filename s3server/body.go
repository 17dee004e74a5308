package s3server

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"math/bits"
	"net/http"
	"strconv"
	"strings"

	"github.com/johannesboyne/gofakes3"
)

// crc64NVME is the table of the CRC-64/NVME checksum that S3 names
// CRC64NVME; hash/crc64 takes the polynomial bit-reversed.
var crc64NVME = crc64.MakeTable(bits.Reverse64(0xad93d23594c93659))

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checksumHashes are the checksum algorithms of the x-amz-checksum-*
// headers and trailers, by lowercase header name.
var checksumHashes = map[string]func() hash.Hash{
	"x-amz-checksum-crc32":     func() hash.Hash { return crc32.NewIEEE() },
	"x-amz-checksum-crc32c":    func() hash.Hash { return crc32.New(castagnoli) },
	"x-amz-checksum-crc64nvme": func() hash.Hash { return crc64.New(crc64NVME) },
	"x-amz-checksum-sha1":      sha1.New,
	"x-amz-checksum-sha256":    sha256.New,
}

// requestError is an S3 error found before the request reaches gofakes3.
type requestError struct {
	Code    string
	Status  int
	Message string
}

func (e *requestError) Error() string { return e.Code + ": " + e.Message }

// prepareBody turns r's body into what gofakes3 reads: the plain content,
// with its length in Content-Length. It decodes aws-chunked bodies, which
// gofakes3 stores as they come except for one signed variant, and makes
// reading the body fail with BadDigest if the content does not match a
// checksum the client sent, as a header or as a trailer.
func prepareBody(r *http.Request) error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")

	// An aws-chunked body is the content in chunks, each maybe signed, and
	// trailing headers that hold its checksums.
	var (
		body     io.Reader = r.Body
		chunked  *chunkedReader
		checkers []*checker
	)
	encoding := r.Header.Get("Content-Encoding")
	if strings.HasPrefix(payloadHash, "STREAMING-") || hasToken(encoding, "aws-chunked") {
		size, err := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64)
		if err != nil || size < 0 {
			return &requestError{"MissingContentLength", http.StatusLengthRequired,
				"You must provide the Content-Length HTTP header."}
		}
		chunked = &chunkedReader{r: bufio.NewReader(r.Body), size: size}
		body = chunked
		for _, name := range strings.Split(r.Header.Get("X-Amz-Trailer"), ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if newHash, ok := checksumHashes[name]; ok {
				checkers = append(checkers, &checker{name: name, hash: newHash(), trailer: true})
			}
		}

		r.ContentLength = size
		r.Header.Set("Content-Length", strconv.FormatInt(size, 10))
		r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		r.Header.Del("X-Amz-Decoded-Content-Length")
		r.Header.Del("X-Amz-Trailer")
		setContentEncoding(r.Header, removeToken(encoding, "aws-chunked"))
	} else if len(payloadHash) == sha256.Size*2 {
		// A signed payload: the header is the content's SHA-256 in hex.
		want, err := hex.DecodeString(payloadHash)
		if err == nil {
			checkers = append(checkers,
				&checker{name: "x-amz-content-sha256", hash: sha256.New(), want: want})
		}
	}

	// Checksums sent as headers, which botocore does over plain HTTP.
	for name, newHash := range checksumHashes {
		v := r.Header.Get(name)
		if v == "" {
			continue
		}
		want, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return &requestError{"InvalidRequest", http.StatusBadRequest,
				fmt.Sprintf("Value for %s header is invalid.", name)}
		}
		checkers = append(checkers, &checker{name: name, hash: newHash(), want: want})
	}

	if chunked == nil && len(checkers) == 0 {
		return nil
	}
	r.Body = &checkedBody{r: body, closer: r.Body, chunked: chunked, checkers: checkers}
	return nil
}

// checker computes one checksum of the content and compares it with the one
// the client sent.
type checker struct {
	name    string
	hash    hash.Hash
	want    []byte
	trailer bool // want comes from the trailer of an aws-chunked body
}

// checkedBody reads a request body, hashing the content as it goes, and
// fails at the end of the content if a checksum does not match.
type checkedBody struct {
	r        io.Reader
	closer   io.Closer
	chunked  *chunkedReader
	checkers []*checker
	err      error
}

func (b *checkedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}

	n, err := b.r.Read(p)
	for _, c := range b.checkers {
		c.hash.Write(p[:n])
	}
	if err == io.EOF {
		err = b.check()
	}
	if err != nil {
		b.err = err
	}
	return n, err
}

// check compares the checksums at the end of the content, returning io.EOF
// if they all match.
func (b *checkedBody) check() error {
	for _, c := range b.checkers {
		want := c.want
		if c.trailer {
			v := b.chunked.trailer.Get(c.name)
			if v == "" {
				// AWS: S3 answers MalformedTrailerError, which gofakes3
				// cannot render with its 400 status.
				return gofakes3.ErrorMessagef(gofakes3.ErrInvalidArgument,
					"The request lacks the declared trailer %s.", c.name)
			}
			var err error
			if want, err = base64.StdEncoding.DecodeString(v); err != nil {
				return gofakes3.ErrorMessagef(gofakes3.ErrInvalidArgument,
					"Value for %s trailing header is invalid.", c.name)
			}
		}

		if !bytes.Equal(c.hash.Sum(nil), want) {
			// AWS: a wrong x-amz-content-sha256 is XAmzContentSHA256Mismatch
			// on S3; gofakes3 can only render BadDigest with a 400.
			algorithm := strings.ToUpper(strings.TrimPrefix(c.name, "x-amz-checksum-"))
			return gofakes3.ErrorMessagef(gofakes3.ErrBadDigest,
				"The %s you specified did not match the calculated checksum.", algorithm)
		}
	}
	return io.EOF
}

func (b *checkedBody) Close() error { return b.closer.Close() }

// chunkedReader decodes an aws-chunked body: chunks of "<hex size>[;chunk
// extensions]\r\n<data>\r\n", a last chunk of size 0, then trailing
// "name:value\r\n" headers and an empty line. Chunk signatures are not
// checked, as no signature is.
type chunkedReader struct {
	r       *bufio.Reader
	size    int64 // the decoded length the client declared
	read    int64
	left    int64 // bytes left in the current chunk
	done    bool
	trailer http.Header
}

// errMalformedChunk is what reading a broken aws-chunked body fails with.
var errMalformedChunk = gofakes3.ErrorMessage(gofakes3.ErrIncompleteBody,
	"The request body is not valid aws-chunked content.")

func (c *chunkedReader) Read(p []byte) (int, error) {
	for c.left == 0 {
		if c.done {
			return 0, io.EOF
		}
		if err := c.nextChunk(); err != nil {
			return 0, err
		}
	}

	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	c.read += int64(n)
	if c.read > c.size {
		return n, errMalformedChunk
	}
	if err == io.EOF {
		return n, errMalformedChunk
	}
	if err != nil {
		return n, err
	}

	// Each chunk's data ends with CRLF.
	if c.left == 0 {
		if line, err := c.line(); err != nil || line != "" {
			return n, errMalformedChunk
		}
	}
	return n, nil
}

// nextChunk reads a chunk header, and the trailer after the last chunk.
func (c *chunkedReader) nextChunk() error {
	line, err := c.line()
	if err != nil {
		return errMalformedChunk
	}
	sizeHex, _, _ := strings.Cut(line, ";")
	size, err := strconv.ParseInt(strings.TrimSpace(sizeHex), 16, 64)
	if err != nil || size < 0 {
		return errMalformedChunk
	}
	if size > 0 {
		c.left = size
		return nil
	}

	// The last chunk: the trailer follows, up to an empty line or the end
	// of the body.
	c.done = true
	c.trailer = http.Header{}
	for {
		line, err := c.line()
		if errors.Is(err, io.EOF) || (err == nil && line == "") {
			break
		}
		if err != nil {
			return errMalformedChunk
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return errMalformedChunk
		}
		c.trailer.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	if c.read != c.size {
		return gofakes3.ErrorMessage(gofakes3.ErrIncompleteBody, "You did not provide the "+
			"number of bytes specified by the x-amz-decoded-content-length HTTP header.")
	}
	return io.EOF
}

// line reads a line and returns it without its CRLF. A line longer than the
// reader's buffer is an error, so a client cannot make it hold much memory.
func (c *chunkedReader) line() (string, error) {
	b, err := c.r.ReadSlice('\n')
	if err != nil {
		if err == io.EOF && len(b) == 0 {
			return "", io.EOF
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return "", err
	}
	return strings.TrimSuffix(string(b[:len(b)-1]), "\r"), nil
}

// hasToken reports whether the comma-separated header value holds token.
func hasToken(value, token string) bool {
	for _, t := range strings.Split(value, ",") {
		if strings.EqualFold(strings.TrimSpace(t), token) {
			return true
		}
	}
	return false
}

// removeToken returns the comma-separated header value without token.
func removeToken(value, token string) string {
	var kept []string
	for _, t := range strings.Split(value, ",") {
		if t = strings.TrimSpace(t); t != "" && !strings.EqualFold(t, token) {
			kept = append(kept, t)
		}
	}
	return strings.Join(kept, ",")
}

func setContentEncoding(h http.Header, v string) {
	if v == "" {
		h.Del("Content-Encoding")
		return
	}
	h.Set("Content-Encoding", v)
}
