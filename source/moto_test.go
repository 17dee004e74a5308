package source_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/source"
)

// MustMoto starts moto_server on 127.0.0.1 for the test and returns its
// URL. The server stops when the test ends, or after two minutes at most.
func MustMoto(tb testing.TB) string {
	tb.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		tb.Fatalf("moto_server is not installed (pip package moto[server]): %v", err)
	}

	// A free port: the one the kernel hands out, closed again for moto.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	if err := cmd.Start(); err != nil {
		cancel()
		tb.Fatalf("start moto_server: %v", err)
	}
	tb.Cleanup(func() {
		cancel()
		cmd.Wait()
	})

	url := "http://127.0.0.1:" + strconv.Itoa(port)
	for range 200 {
		res, err := http.Get(url + "/moto-api/")
		if err == nil {
			res.Body.Close()
			return url
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("moto_server did not answer at %s", url)
	return ""
}

// TestFetchMoto reads from moto's S3, an S3 implementation other than
// osemu's, and classifies its errors.
func TestFetchMoto(t *testing.T) {
	url := MustMoto(t)
	ctx := context.Background()

	c := s3.New(s3.Options{
		Region:           "eu-west-1",
		BaseEndpoint:     aws.String(url),
		UsePathStyle:     true,
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		RetryMaxAttempts: 1,
	})
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{
		Bucket: aws.String("moto-dicts"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{
			LocationConstraint: s3types.BucketLocationConstraintEuWest1,
		},
	})
	if err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("moto-dicts"), Key: aws.String("stop/words.txt"),
		Body: strings.NewReader("a\nan\nthe\n"),
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}

	f := source.NewS3(url, source.WithMaxAttempts(1))
	rc, size, err := f.Fetch(ctx, scope, osemu.S3Location{Bucket: "moto-dicts", Key: "stop/words.txt"})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(got) != "a\nan\nthe\n" || size != 9 {
		t.Errorf("Fetch: got %q (size %d, error %v), want %q (size 9)", got, size, err, "a\nan\nthe\n")
	}

	tests := []struct {
		bucket, key string
		want        error
	}{
		{"moto-dicts", "stop/nope.txt", source.ErrNoSuchKey},
		{"moto-nothing", "stop/words.txt", source.ErrNoSuchBucket},
	}
	for _, tt := range tests {
		_, _, err := f.Fetch(ctx, scope, osemu.S3Location{Bucket: tt.bucket, Key: tt.key})
		if !errors.Is(err, tt.want) {
			t.Errorf("Fetch %s/%s: got %v, want %v", tt.bucket, tt.key, err, tt.want)
		}
	}
}
