package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/opensearch"
	"github.com/aws/aws-sdk-go-v2/service/opensearch/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// startMoto runs moto's S3 on a free loopback port until the test ends, or
// for two minutes at most, and returns its URL.
func startMoto(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Fatalf("moto_server is not installed: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start moto_server: %v", err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })

	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	for range 100 {
		if res, err := http.Get(url + "/moto-api/"); err == nil {
			res.Body.Close()
			return url
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("moto_server did not answer at %s", url)
	return ""
}

func TestExternalS3Endpoint(t *testing.T) {
	ctx := context.Background()
	moto := startMoto(t)
	_, motoS3 := clients(moto)
	if _, err := motoS3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("ext-dicts")}); err != nil {
		t.Fatal(err)
	}
	_, err := motoS3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("ext-dicts"), Key: aws.String("syn.txt"), Body: strings.NewReader("café, coffee\n"),
	})
	if err != nil {
		t.Fatal(err)
	}

	srv := startServer(t, t.TempDir(), 100*time.Millisecond, "--s3-endpoint", moto)
	es, _ := clients(srv.URL)

	create := func(name, key string) string {
		out, err := es.CreatePackage(ctx, &opensearch.CreatePackageInput{
			PackageName:   aws.String(name),
			PackageType:   types.PackageTypeTxtDictionary,
			PackageSource: &types.PackageSource{S3BucketName: aws.String("ext-dicts"), S3Key: aws.String(key)},
		})
		if err != nil {
			t.Fatalf("CreatePackage: %v", err)
		}
		return *out.PackageDetails.PackageID
	}
	finalStatus := func(id string) func() (bool, string) {
		return func() (bool, string) {
			out, err := es.DescribePackages(ctx, &opensearch.DescribePackagesInput{
				Filters: []types.DescribePackagesFilter{{Name: "PackageID", Value: []string{id}}},
			})
			if err != nil || len(out.PackageDetailsList) != 1 {
				return false, "unreadable"
			}
			s := out.PackageDetailsList[0].PackageStatus
			return s != types.PackageStatusCopying && s != types.PackageStatusValidating, string(s)
		}
	}

	good, missing := create("from-moto", "syn.txt"), create("missing", "nope.txt")
	eventually(t, 20*time.Second, "package from moto", finalStatus(good))
	eventually(t, 20*time.Second, "package of a missing object", finalStatus(missing))

	out, err := es.DescribePackages(ctx, &opensearch.DescribePackagesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range out.PackageDetailsList {
		switch *p.PackageID {
		case good:
			if p.PackageStatus != types.PackageStatusAvailable {
				t.Errorf("package from moto: %s %+v, want AVAILABLE", p.PackageStatus, p.ErrorDetails)
			}
		case missing:
			if p.PackageStatus != types.PackageStatusCopyFailed || p.ErrorDetails == nil ||
				*p.ErrorDetails.ErrorType != "NoSuchKey" {
				t.Errorf("package of a missing object: %s %+v, want COPY_FAILED NoSuchKey", p.PackageStatus, p.ErrorDetails)
			}
		}
	}

	// The embedded S3 endpoint is off: S3 requests get an S3-shaped error.
	req, _ := http.NewRequest("GET", srv.URL+"/ext-dicts", nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261204/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusNotImplemented || !strings.Contains(string(body), "<Code>NotImplemented</Code>") {
		t.Errorf("S3 request with --s3-endpoint: got %d %s, want 501 NotImplemented", res.StatusCode, body)
	}
}
