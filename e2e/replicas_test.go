package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/opensearch"
	"github.com/aws/aws-sdk-go-v2/service/opensearch/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/jackc/pgx/v5"

	"github.com/osemu/osemu/internal/osemutest"
)

// postgresDSN returns the DSN of the test PostgreSQL in a fresh schema,
// failing the test at once if PostgreSQL cannot be reached.
func postgresDSN(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, osemutest.PostgresDSN())
	if err != nil {
		t.Fatalf("PostgreSQL at %s is needed by the replica tests (.ci/run starts it): %v",
			osemutest.PostgresDSN(), err)
	}
	conn.Close(ctx)
	return osemutest.PostgresSchema(t, "osemu_e2e_")
}

// doneLogs counts, over replicas' logs, the lines of a message per
// (package, domain).
func doneLogs(msg string, replicas ...*server) map[string]int {
	counts := map[string]int{}
	for _, r := range replicas {
		for _, line := range strings.Split(r.Logs(), "\n") {
			var e struct {
				Msg       string `json:"msg"`
				PackageID string `json:"package_id"`
				Domain    string `json:"domain"`
			}
			if json.Unmarshal([]byte(line), &e) == nil && e.Msg == msg {
				counts[e.PackageID+"/"+e.Domain]++
			}
		}
	}
	return counts
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func TestReplicasOnPostgres(t *testing.T) {
	ctx := context.Background()
	dsn := postgresDSN(t)
	const delay = time.Second
	var replicas []*server
	for range 3 {
		replicas = append(replicas, startServer(t, t.TempDir(), delay, "--store", dsn))
	}
	es := make([]*opensearch.Client, len(replicas))
	for i, r := range replicas {
		es[i], _ = clients(r.URL)
	}

	// Content uploaded through one replica is read by whichever copies it.
	_, s3c := clients(replicas[0].URL)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("dicts")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("dicts"), Key: aws.String("d.txt"),
		Body: strings.NewReader("car, automobile\n")}); err != nil {
		t.Fatal(err)
	}

	const packages, domains = 4, 6
	var ids []string
	for i := range packages {
		out, err := es[(i+1)%3].CreatePackage(ctx, &opensearch.CreatePackageInput{
			PackageName:   aws.String(fmt.Sprintf("dict-%d", i)),
			PackageType:   types.PackageTypeTxtDictionary,
			PackageSource: &types.PackageSource{S3BucketName: aws.String("dicts"), S3Key: aws.String("d.txt")},
		})
		if err != nil {
			t.Fatalf("CreatePackage on replica %d: %v", (i+1)%3, err)
		}
		ids = append(ids, *out.PackageDetails.PackageID)
	}
	for i := range domains {
		if _, err := es[i%3].CreateDomain(ctx, &opensearch.CreateDomainInput{
			DomainName: aws.String(fmt.Sprintf("search-%d", i)),
		}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 30*time.Second, "packages available", func() (bool, string) {
		out, err := es[2].DescribePackages(ctx, &opensearch.DescribePackagesInput{Filters: []types.DescribePackagesFilter{
			{Name: "PackageStatus", Value: []string{"AVAILABLE"}}}})
		if err != nil {
			return false, err.Error()
		}
		return len(out.PackageDetailsList) == packages, fmt.Sprintf("%d available", len(out.PackageDetailsList))
	})

	// A page from one replica, the next from another.
	first, err := es[0].DescribePackages(ctx, &opensearch.DescribePackagesInput{MaxResults: 3})
	if err != nil || first.NextToken == nil {
		t.Fatalf("first page: %v %v", first, err)
	}
	second, err := es[1].DescribePackages(ctx, &opensearch.DescribePackagesInput{MaxResults: 3, NextToken: first.NextToken})
	if err != nil || len(second.PackageDetailsList) != 1 || second.NextToken != nil {
		t.Fatalf("second page on another replica: %+v %v", second, err)
	}

	// Two replicas race to associate the same pair: exactly one wins.
	var wg sync.WaitGroup
	codes := make([]string, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := es[i].AssociatePackage(ctx, &opensearch.AssociatePackageInput{
				PackageID: &ids[0], DomainName: aws.String("search-0")})
			codes[i] = apiCode(err)
		}()
	}
	wg.Wait()
	if !(codes[0] == "" && codes[1] == "ConflictException") && !(codes[1] == "" && codes[0] == "ConflictException") {
		t.Errorf("racing associations answered %q, want one success and one ConflictException", codes)
	}

	// Delete racing associate: exactly one wins.
	codes = make([]string, 2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, err := es[1].DeletePackage(ctx, &opensearch.DeletePackageInput{PackageID: &ids[3]})
		codes[0] = apiCode(err)
	}()
	go func() {
		defer wg.Done()
		_, err := es[2].AssociatePackage(ctx, &opensearch.AssociatePackageInput{
			PackageID: &ids[3], DomainName: aws.String("search-1")})
		codes[1] = apiCode(err)
	}()
	wg.Wait()
	deleted := codes[0] == "" && codes[1] == "ResourceNotFoundException"
	associated := codes[1] == "" && codes[0] == "ConflictException"
	if !deleted && !associated {
		t.Errorf("delete racing associate answered %q, want exactly one winner", codes)
	}

	// Associations spread over the replicas; one replica dies while they
	// are ASSOCIATING.
	want := map[string]bool{ids[0] + "/search-0": true}
	if associated {
		want[ids[3]+"/search-1"] = true
	}
	for d := range domains {
		for p := range 3 {
			if d == 0 && p == 0 {
				continue
			}
			domain := fmt.Sprintf("search-%d", d)
			if _, err := es[(d+p)%3].AssociatePackage(ctx, &opensearch.AssociatePackageInput{
				PackageID: &ids[p], DomainName: &domain}); err != nil {
				t.Fatalf("associate %s with %s: %v", ids[p], domain, err)
			}
			want[ids[p]+"/"+domain] = true
		}
	}
	replicas[0].Kill()

	eventually(t, 60*time.Second, "every association ACTIVE", func() (bool, string) {
		active := 0
		for d := range domains {
			out, err := es[1].ListPackagesForDomain(ctx, &opensearch.ListPackagesForDomainInput{
				DomainName: aws.String(fmt.Sprintf("search-%d", d))})
			if err != nil {
				return false, err.Error()
			}
			for _, a := range out.DomainPackageDetailsList {
				if a.DomainPackageStatus == types.DomainPackageStatusActive {
					active++
				}
			}
		}
		return active == len(want), fmt.Sprintf("%d of %d ACTIVE", active, len(want))
	})

	// Each association became ACTIVE exactly once, on one replica.
	counts := doneLogs("package association done", replicas...)
	for key := range want {
		if counts[key] != 1 {
			t.Errorf("association %s was finished %d times, want exactly once", key, counts[key])
		}
	}
	for key, n := range counts {
		if !want[key] {
			t.Errorf("unexpected association %s finished %d times", key, n)
		}
	}
}
