package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/opensearch"
	"github.com/aws/aws-sdk-go-v2/service/opensearch/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func clients(url string) (*opensearch.Client, *s3.Client) {
	creds := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")
	return opensearch.New(opensearch.Options{
			Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: creds,
		}), s3.New(s3.Options{
			Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: creds, UsePathStyle: true,
		})
}

// eventually polls fn every 100 ms until it returns true, for at most
// timeout.
func eventually(t *testing.T, timeout time.Duration, what string, fn func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := fn()
		if ok {
			return
		}
		last = state
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: still %s after %s", what, last, timeout)
}

func TestRestartResumesPendingSteps(t *testing.T) {
	ctx := context.Background()
	dataDir := t.TempDir()
	const delay = 2 * time.Second
	srv := startServer(t, dataDir, delay)
	es, s3c := clients(srv.URL)

	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("dicts")}); err != nil {
		t.Fatal(err)
	}
	_, err := s3c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("dicts"), Key: aws.String("s.txt"), Body: strings.NewReader("car, automobile\n"),
	})
	if err != nil {
		t.Fatal(err)
	}

	// One package becomes available before the crash; the other is caught
	// COPYING.
	create := func(name string) string {
		out, err := es.CreatePackage(ctx, &opensearch.CreatePackageInput{
			PackageName:   aws.String(name),
			PackageType:   types.PackageTypeTxtDictionary,
			PackageSource: &types.PackageSource{S3BucketName: aws.String("dicts"), S3Key: aws.String("s.txt")},
		})
		if err != nil {
			t.Fatalf("CreatePackage %s: %v", name, err)
		}
		return *out.PackageDetails.PackageID
	}
	status := func(id string) (bool, string) {
		out, err := es.DescribePackages(ctx, &opensearch.DescribePackagesInput{
			Filters: []types.DescribePackagesFilter{{Name: "PackageID", Value: []string{id}}},
		})
		if err != nil || len(out.PackageDetailsList) != 1 {
			return false, "unreadable"
		}
		s := out.PackageDetailsList[0].PackageStatus
		return s == types.PackageStatusAvailable, string(s)
	}

	ready := create("ready")
	if _, err := es.CreateDomain(ctx, &opensearch.CreateDomainInput{DomainName: aws.String("search")}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "package before the crash", func() (bool, string) { return status(ready) })

	out, err := es.AssociatePackage(ctx, &opensearch.AssociatePackageInput{PackageID: &ready, DomainName: aws.String("search")})
	if err != nil {
		t.Fatal(err)
	}
	if out.DomainPackageDetails.DomainPackageStatus != types.DomainPackageStatusAssociating {
		t.Fatalf("got %s, want ASSOCIATING", out.DomainPackageDetails.DomainPackageStatus)
	}
	copying := create("copying")

	// Crash while both steps are pending, then start again on the same
	// data.
	srv.Kill()
	srv = startServer(t, dataDir, delay)
	es, _ = clients(srv.URL)

	eventually(t, 20*time.Second, "association after restart", func() (bool, string) {
		list, err := es.ListPackagesForDomain(ctx, &opensearch.ListPackagesForDomainInput{DomainName: aws.String("search")})
		if err != nil || len(list.DomainPackageDetailsList) != 1 {
			return false, "unreadable"
		}
		s := list.DomainPackageDetailsList[0].DomainPackageStatus
		return s == types.DomainPackageStatusActive, string(s)
	})
	eventually(t, 20*time.Second, "package copy after restart", func() (bool, string) { return status(copying) })
}
