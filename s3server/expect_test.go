package s3server_test

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestEmptyBodyWithExpectClosesConnection checks that a request asking for
// "100 Continue" without a body is answered on a connection that then
// closes, so botocore does not reuse a connection it left waiting.
func TestEmptyBodyWithExpectClosesConnection(t *testing.T) {
	srv, _ := MustServer(t, false)
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	requests := "PUT /bucket-e HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n" +
		"PUT /bucket-e/empty HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n"
	if _, err := conn.Write([]byte(requests)); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	for i, wantClose := range []bool{false, true} {
		res, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Close != wantClose {
			t.Errorf("response %d: status %d, close %v; want 200, close %v", i, res.StatusCode, res.Close, wantClose)
		}
	}
}
