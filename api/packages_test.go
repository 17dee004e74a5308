package api_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/opensearch"
	"github.com/aws/aws-sdk-go-v2/service/opensearch/types"
)

func TestCreatePackageLifecycle(t *testing.T) {
	e := newEnv(t)
	e.PutObject("dicts", "synonyms.txt", "car, automobile\ncafé, coffee shop\n")

	out, err := e.os.CreatePackage(ctx, &opensearch.CreatePackageInput{
		PackageName:        ptr("synonyms"),
		PackageType:        types.PackageTypeTxtDictionary,
		PackageDescription: ptr("car words"),
		PackageSource:      &types.PackageSource{S3BucketName: ptr("dicts"), S3Key: ptr("synonyms.txt")},
	})
	if err != nil {
		t.Fatalf("CreatePackage: %v", err)
	}
	p := out.PackageDetails
	id := deref(p.PackageID)
	if !strings.HasPrefix(id, "F") || len(id) < 2 {
		t.Errorf("got package ID %q, want F and digits", id)
	}
	if p.PackageStatus != types.PackageStatusCopying {
		t.Errorf("got status %s right after CreatePackage, want COPYING", p.PackageStatus)
	}
	if p.AvailablePackageVersion != nil {
		t.Errorf("got AvailablePackageVersion %q before the first version exists", *p.AvailablePackageVersion)
	}
	if deref(p.PackageDescription) != "car words" || deref(p.PackageName) != "synonyms" {
		t.Errorf("got name %q description %q", deref(p.PackageName), deref(p.PackageDescription))
	}
	created := deref(p.CreatedAt)

	// Each step takes one delay: COPYING, then VALIDATING, then AVAILABLE.
	e.Step()
	if got := e.mustDescribePackage(t, id).PackageStatus; got != types.PackageStatusValidating {
		t.Fatalf("after one step: got %s, want VALIDATING", got)
	}
	e.Step()
	got := e.mustDescribePackage(t, id)
	if got.PackageStatus != types.PackageStatusAvailable {
		t.Fatalf("after two steps: got %s, want AVAILABLE", got.PackageStatus)
	}
	if v := deref(got.AvailablePackageVersion); v != "v1" {
		t.Errorf("got AvailablePackageVersion %q, want v1", v)
	}
	if got.ErrorDetails != nil {
		t.Errorf("got ErrorDetails %+v on an AVAILABLE package", got.ErrorDetails)
	}
	if !deref(got.CreatedAt).Equal(created) || !deref(got.LastUpdatedAt).After(created) {
		t.Errorf("got CreatedAt %v LastUpdatedAt %v, want CreatedAt %v kept and LastUpdatedAt later",
			got.CreatedAt, got.LastUpdatedAt, created)
	}

	// The wire format: numbers for timestamps, no PackageSource.
	status, _, body, text := e.raw(t, "POST", "/2021-01-01/packages/describe",
		`{"Filters":[{"Name":"PackageID","Value":["`+id+`"]}]}`)
	if status != 200 {
		t.Fatalf("raw DescribePackages: %d %s", status, text)
	}
	pd := body["PackageDetailsList"].([]any)[0].(map[string]any)
	for _, member := range []string{"CreatedAt", "LastUpdatedAt"} {
		if _, ok := pd[member].(json.Number); !ok {
			t.Errorf("%s is %T (%v), want a JSON number", member, pd[member], pd[member])
		}
	}
	if strings.Contains(text, "PackageSource") || strings.Contains(text, "S3Key") {
		t.Errorf("response echoes the package source: %s", text)
	}
	if _, ok := body["NextToken"]; ok {
		t.Errorf("single page has a NextToken member: %s", text)
	}
}

func TestCreatePackageFailures(t *testing.T) {
	e := newEnv(t)
	e.PutObject("dicts", "binary.txt", "good line\n\xff\xfe bad bytes\n")

	tests := []struct {
		name, key  string
		wantStatus types.PackageStatus
		wantSteps  int
		wantMsg    string
	}{
		{"missing-object", "nope.txt", types.PackageStatusCopyFailed, 1, "nope.txt"},
		{"missing-bucket", "x.txt", types.PackageStatusCopyFailed, 1, "no-such-bucket"},
		{"not-utf8", "binary.txt", types.PackageStatusValidationFailed, 2, "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bucket := "dicts"
			if tt.name == "missing-bucket" {
				bucket = "no-such-bucket"
			}
			out, err := e.os.CreatePackage(ctx, &opensearch.CreatePackageInput{
				PackageName:   ptr(tt.name),
				PackageType:   types.PackageTypeTxtDictionary,
				PackageSource: &types.PackageSource{S3BucketName: &bucket, S3Key: &tt.key},
			})
			if err != nil {
				t.Fatalf("CreatePackage: %v", err)
			}
			for range tt.wantSteps {
				e.Step()
			}
			p := e.mustDescribePackage(t, *out.PackageDetails.PackageID)
			if p.PackageStatus != tt.wantStatus {
				t.Fatalf("got status %s, want %s", p.PackageStatus, tt.wantStatus)
			}
			if p.ErrorDetails == nil || deref(p.ErrorDetails.ErrorType) == "" {
				t.Fatalf("got ErrorDetails %+v, want a type and a message", p.ErrorDetails)
			}
			if msg := deref(p.ErrorDetails.ErrorMessage); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("got ErrorMessage %q, want it to mention %q", msg, tt.wantMsg)
			}
			if p.AvailablePackageVersion != nil {
				t.Errorf("failed package has AvailablePackageVersion %q", *p.AvailablePackageVersion)
			}
		})
	}
}

func TestAssociateTwiceIsConflict(t *testing.T) {
	e := newEnv(t)
	p := e.mustCreateDictionary(t, "stopwords", "a\nan\nthe\n")
	e.mustCreateDomain(t, "search")

	a := e.mustAssociate(t, *p.PackageID, "search")
	if a.DomainPackageStatus != types.DomainPackageStatusAssociating {
		t.Fatalf("got %s right after AssociatePackage, want ASSOCIATING", a.DomainPackageStatus)
	}
	e.Settle()

	_, err := e.os.AssociatePackage(ctx, &opensearch.AssociatePackageInput{PackageID: p.PackageID, DomainName: ptr("search")})
	wantAPIError(t, err, 409, "ConflictException", "Package is already in desired state")

	list := e.packagesForDomain(t, "search")
	if len(list) != 1 {
		t.Fatalf("got %d entries for the domain, want exactly 1", len(list))
	}
	if list[0].DomainPackageStatus != types.DomainPackageStatusActive || deref(list[0].PackageVersion) != "v1" {
		t.Errorf("got %s at %s, want ACTIVE at v1", list[0].DomainPackageStatus, deref(list[0].PackageVersion))
	}
}

func TestUpdatePackageAndReassociate(t *testing.T) {
	e := newEnv(t)
	p := e.mustCreateDictionary(t, "synonyms", "car, automobile\n")
	id := *p.PackageID
	e.mustCreateDomain(t, "search")
	e.mustAssociate(t, id, "search")
	e.Settle()

	// First update, with a commit message.
	e.PutObject("dicts", "synonyms-2.txt", "car, automobile, motorcar\n")
	up, err := e.os.UpdatePackage(ctx, &opensearch.UpdatePackageInput{
		PackageID:     &id,
		PackageSource: &types.PackageSource{S3BucketName: ptr("dicts"), S3Key: ptr("synonyms-2.txt")},
		CommitMessage: ptr("c1"),
	})
	if err != nil {
		t.Fatalf("UpdatePackage: %v", err)
	}
	if up.PackageDetails.PackageStatus != types.PackageStatusCopying {
		t.Errorf("got %s right after UpdatePackage, want COPYING", up.PackageDetails.PackageStatus)
	}
	if v := deref(up.PackageDetails.AvailablePackageVersion); v != "v1" {
		t.Errorf("got AvailablePackageVersion %q while updating, want v1 until v2 is available", v)
	}
	e.Settle()

	got := e.mustDescribePackage(t, id)
	if deref(got.AvailablePackageVersion) != "v2" || got.PackageStatus != types.PackageStatusAvailable {
		t.Fatalf("got %s %s after the update, want AVAILABLE v2", got.PackageStatus, deref(got.AvailablePackageVersion))
	}
	if !deref(got.CreatedAt).Equal(deref(p.CreatedAt)) || deref(got.PackageID) != id {
		t.Errorf("update changed CreatedAt or ID")
	}
	if v := deref(e.packagesForDomain(t, "search")[0].PackageVersion); v != "v1" {
		t.Errorf("got association at %s after the update, want v1 until it is associated again", v)
	}

	// Associating again moves the domain to v2.
	a := e.mustAssociate(t, id, "search")
	if a.DomainPackageStatus != types.DomainPackageStatusAssociating {
		t.Errorf("got %s when associating v2, want ASSOCIATING", a.DomainPackageStatus)
	}
	e.Settle()
	list := e.packagesForDomain(t, "search")
	if len(list) != 1 || list[0].DomainPackageStatus != types.DomainPackageStatusActive || deref(list[0].PackageVersion) != "v2" {
		t.Fatalf("got %+v, want one ACTIVE association at v2", list)
	}

	// Second update, without a commit message.
	_, err = e.os.UpdatePackage(ctx, &opensearch.UpdatePackageInput{
		PackageID:     &id,
		PackageSource: &types.PackageSource{S3BucketName: ptr("dicts"), S3Key: ptr("synonyms-2.txt")},
	})
	if err != nil {
		t.Fatalf("second UpdatePackage: %v", err)
	}
	e.Settle()

	hist, err := e.os.GetPackageVersionHistory(ctx, &opensearch.GetPackageVersionHistoryInput{PackageID: &id})
	if err != nil {
		t.Fatalf("GetPackageVersionHistory: %v", err)
	}
	if deref(hist.PackageID) != id || hist.NextToken != nil {
		t.Errorf("got PackageID %q NextToken %v", deref(hist.PackageID), hist.NextToken)
	}
	var versions, messages []string
	seen := map[string]bool{}
	for _, h := range hist.PackageVersionHistoryList {
		versions = append(versions, deref(h.PackageVersion))
		messages = append(messages, deref(h.CommitMessage))
		if h.CreatedAt == nil || h.CreatedAt.IsZero() {
			t.Errorf("version %s has no CreatedAt", deref(h.PackageVersion))
		}
		seen[deref(h.PackageVersion)] = true
	}
	if strings.Join(versions, ",") != "v3,v2,v1" || len(seen) != 3 {
		t.Errorf("got versions %v, want v3,v2,v1 (newest first)", versions)
	}
	if strings.Join(messages, ",") != ",c1," {
		t.Errorf("got commit messages %q, want none, c1, none", messages)
	}

	// Pages of one.
	var paged []string
	var token *string
	for i := 0; ; i++ {
		page, err := e.os.GetPackageVersionHistory(ctx, &opensearch.GetPackageVersionHistoryInput{
			PackageID: &id, MaxResults: 1, NextToken: token,
		})
		if err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		if len(page.PackageVersionHistoryList) != 1 {
			t.Fatalf("page %d has %d items, want 1", i, len(page.PackageVersionHistoryList))
		}
		paged = append(paged, deref(page.PackageVersionHistoryList[0].PackageVersion))
		if token = page.NextToken; token == nil {
			break
		}
	}
	if strings.Join(paged, ",") != "v3,v2,v1" {
		t.Errorf("got pages %v, want v3,v2,v1", paged)
	}

	// CommitMessage is at most 160 characters.
	_, err = e.os.UpdatePackage(ctx, &opensearch.UpdatePackageInput{
		PackageID:     &id,
		PackageSource: &types.PackageSource{S3BucketName: ptr("dicts"), S3Key: ptr("synonyms-2.txt")},
		CommitMessage: ptr(strings.Repeat("x", 161)),
	})
	wantAPIError(t, err, 400, "ValidationException",
		"at 'commitMessage' failed to satisfy constraint: Member must have length less than or equal to 160")
}

func TestDissociate(t *testing.T) {
	e := newEnv(t)
	p := e.mustCreateDictionary(t, "stopwords", "a\nthe\n")
	id := *p.PackageID
	e.mustCreateDomain(t, "search")
	e.mustAssociate(t, id, "search")
	e.Settle()

	out, err := e.os.DissociatePackage(ctx, &opensearch.DissociatePackageInput{PackageID: &id, DomainName: ptr("search")})
	if err != nil {
		t.Fatalf("DissociatePackage: %v", err)
	}
	if out.DomainPackageDetails.DomainPackageStatus != types.DomainPackageStatusDissociating {
		t.Fatalf("got %s, want DISSOCIATING", out.DomainPackageDetails.DomainPackageStatus)
	}
	if list := e.packagesForDomain(t, "search"); len(list) != 1 || list[0].DomainPackageStatus != types.DomainPackageStatusDissociating {
		t.Errorf("before the step: got %+v, want the DISSOCIATING row", list)
	}
	e.Settle()

	if list := e.packagesForDomain(t, "search"); len(list) != 0 {
		t.Errorf("ListPackagesForDomain after dissociation: got %d rows, want 0", len(list))
	}
	domains, err := e.os.ListDomainsForPackage(ctx, &opensearch.ListDomainsForPackageInput{PackageID: &id})
	if err != nil {
		t.Fatal(err)
	}
	if len(domains.DomainPackageDetailsList) != 0 {
		t.Errorf("ListDomainsForPackage after dissociation: got %d rows, want 0", len(domains.DomainPackageDetailsList))
	}

	_, err = e.os.DissociatePackage(ctx, &opensearch.DissociatePackageInput{PackageID: &id, DomainName: ptr("search")})
	wantAPIError(t, err, 400, "ValidationException", "Package is not associated to this domain")
}

func TestDeletePackage(t *testing.T) {
	e := newEnv(t)
	p := e.mustCreateDictionary(t, "synonyms", "a, b\n")
	id := *p.PackageID
	e.mustCreateDomain(t, "search")
	e.mustAssociate(t, id, "search")
	e.Settle()

	_, err := e.os.DeletePackage(ctx, &opensearch.DeletePackageInput{PackageID: &id})
	wantAPIError(t, err, 409, "ConflictException", id)
	if got := e.mustDescribePackage(t, id).PackageStatus; got != types.PackageStatusAvailable {
		t.Errorf("after a refused delete: got %s, want AVAILABLE", got)
	}

	if _, err := e.os.DissociatePackage(ctx, &opensearch.DissociatePackageInput{PackageID: &id, DomainName: ptr("search")}); err != nil {
		t.Fatal(err)
	}
	e.Settle()

	out, err := e.os.DeletePackage(ctx, &opensearch.DeletePackageInput{PackageID: &id})
	if err != nil {
		t.Fatalf("DeletePackage after dissociation: %v", err)
	}
	if out.PackageDetails.PackageStatus != types.PackageStatusDeleting {
		t.Errorf("got %s, want DELETING", out.PackageDetails.PackageStatus)
	}
	_, err = e.os.DeletePackage(ctx, &opensearch.DeletePackageInput{PackageID: &id})
	wantAPIError(t, err, 409, "ResourceNotFoundException", id)

	e.Settle()
	found, err := e.os.DescribePackages(ctx, &opensearch.DescribePackagesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(found.PackageDetailsList) != 0 {
		t.Errorf("deleted package still listed: %+v", found.PackageDetailsList)
	}
	_, err = e.os.DeletePackage(ctx, &opensearch.DeletePackageInput{PackageID: &id})
	wantAPIError(t, err, 409, "ResourceNotFoundException", id)
}

func TestListDomainsForPackagePagination(t *testing.T) {
	e := newEnv(t)
	p := e.mustCreateDictionary(t, "synonyms", "a, b\n")
	id := *p.PackageID
	fresh := e.mustCreateDictionary(t, "fresh", "x\n")

	const n = 150
	for i := range n {
		name := fmt.Sprintf("domain-%03d", i)
		e.mustCreateDomain(t, name)
		e.mustAssociate(t, id, name)
	}
	e.Settle()

	seen := map[string]bool{}
	var token *string
	for page := 1; ; page++ {
		out, err := e.os.ListDomainsForPackage(ctx, &opensearch.ListDomainsForPackageInput{
			PackageID: &id, MaxResults: 100, NextToken: token,
		})
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		want := 100
		if page == 2 {
			want = 50
		}
		if len(out.DomainPackageDetailsList) != want {
			t.Fatalf("page %d: got %d entries, want %d", page, len(out.DomainPackageDetailsList), want)
		}
		for _, d := range out.DomainPackageDetailsList {
			if seen[deref(d.DomainName)] {
				t.Errorf("domain %s listed twice", deref(d.DomainName))
			}
			seen[deref(d.DomainName)] = true
			checkEntry(t, d, id, "synonyms")
		}
		if token = out.NextToken; token == nil {
			if page != 2 {
				t.Fatalf("listing ended after page %d, want 2", page)
			}
			break
		}
	}
	if len(seen) != n {
		t.Errorf("got %d distinct domains, want %d", len(seen), n)
	}

	// The second page, on the wire, has no NextToken member at all.
	first, err := e.os.ListDomainsForPackage(ctx, &opensearch.ListDomainsForPackageInput{PackageID: &id, MaxResults: 100})
	if err != nil {
		t.Fatal(err)
	}
	status, _, body, text := e.raw(t, "GET", "/2021-01-01/packages/"+id+"/domains?maxResults=100&nextToken="+
		url.QueryEscape(*first.NextToken), "")
	if status != 200 {
		t.Fatalf("raw second page: %d %s", status, text)
	}
	if _, ok := body["NextToken"]; ok {
		t.Errorf("last page carries a NextToken member: %.200s", text)
	}

	_, err = e.os.ListDomainsForPackage(ctx, &opensearch.ListDomainsForPackageInput{PackageID: &id, MaxResults: 101})
	wantAPIError(t, err, 400, "ValidationException", "Member must have value less than or equal to 100")

	altered := []byte(*first.NextToken)
	altered[len(altered)/2] ^= 1
	_, err = e.os.ListDomainsForPackage(ctx, &opensearch.ListDomainsForPackageInput{
		PackageID: &id, MaxResults: 100, NextToken: ptr(string(altered)),
	})
	wantAPIError(t, err, 400, "ValidationException", "nextToken")

	// A token of one package's listing is not valid for another's.
	_, err = e.os.ListDomainsForPackage(ctx, &opensearch.ListDomainsForPackageInput{
		PackageID: fresh.PackageID, NextToken: first.NextToken,
	})
	wantAPIError(t, err, 400, "ValidationException", "nextToken")

	_, err = e.os.ListDomainsForPackage(ctx, &opensearch.ListDomainsForPackageInput{PackageID: ptr("F999999999")})
	wantAPIError(t, err, 409, "ResourceNotFoundException", "F999999999")

	status, _, _, text = e.raw(t, "GET", "/2021-01-01/packages/"+*fresh.PackageID+"/domains", "")
	if status != 200 || text != `{"DomainPackageDetailsList":[]}` {
		t.Errorf("fresh package: got %d %s, want 200 {\"DomainPackageDetailsList\":[]}", status, text)
	}
}

// checkEntry asserts the members every DomainPackageDetails carries.
func checkEntry(t *testing.T, d types.DomainPackageDetails, id, name string) {
	t.Helper()
	switch {
	case deref(d.PackageID) != id, deref(d.PackageName) != name,
		d.PackageType != types.PackageTypeTxtDictionary, deref(d.DomainName) == "",
		d.DomainPackageStatus != types.DomainPackageStatusActive, deref(d.PackageVersion) != "v1",
		d.LastUpdated == nil || d.LastUpdated.IsZero():
		t.Errorf("incomplete entry: %+v", d)
	}
	if got := deref(d.ReferencePath); got != "analyzers/"+id {
		t.Errorf("got ReferencePath %q, want analyzers/%s", got, id)
	}
	if d.ErrorDetails != nil {
		t.Errorf("got ErrorDetails %+v on an ACTIVE association", d.ErrorDetails)
	}
}

func TestAssociationConfigurationRoundTrips(t *testing.T) {
	e := newEnv(t)
	p := e.mustCreateDictionary(t, "synonyms", "a, b\n")
	e.mustCreateDomain(t, "search")

	cfg := &types.PackageAssociationConfiguration{KeyStoreAccessOption: &types.KeyStoreAccessOption{
		KeyStoreAccessEnabled: ptr(true),
		KeyAccessRoleArn:      ptr("arn:aws:iam::123456789012:role/keystore"),
	}}
	out, err := e.os.AssociatePackage(ctx, &opensearch.AssociatePackageInput{
		PackageID: p.PackageID, DomainName: ptr("search"), AssociationConfiguration: cfg,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.Settle()

	for _, got := range []*types.PackageAssociationConfiguration{
		out.DomainPackageDetails.AssociationConfiguration,
		e.packagesForDomain(t, "search")[0].AssociationConfiguration,
	} {
		if got == nil || got.KeyStoreAccessOption == nil ||
			!deref(got.KeyStoreAccessOption.KeyStoreAccessEnabled) ||
			deref(got.KeyStoreAccessOption.KeyAccessRoleArn) != "arn:aws:iam::123456789012:role/keystore" {
			t.Errorf("got AssociationConfiguration %+v, want the one given", got)
		}
	}
}

func TestDescribePackagesFilters(t *testing.T) {
	e := newEnv(t)
	e.mustCreateDictionary(t, "my-dictionary", "a\n")
	e.mustCreateDictionary(t, "my-dictionary-2", "b\n")

	out, err := e.os.DescribePackages(ctx, &opensearch.DescribePackagesInput{
		Filters: []types.DescribePackagesFilter{{Name: types.DescribePackagesFilterNamePackageName, Value: []string{"my-dictionary"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.PackageDetailsList) != 1 || deref(out.PackageDetailsList[0].PackageName) != "my-dictionary" {
		t.Errorf("name filter my-dictionary: got %d packages, want exactly my-dictionary", len(out.PackageDetailsList))
	}

	tests := []struct {
		name    string
		filters []types.DescribePackagesFilter
		want    int
	}{
		{"no filter", nil, 2},
		{"two names", []types.DescribePackagesFilter{{Name: "PackageName", Value: []string{"my-dictionary", "my-dictionary-2"}}}, 2},
		{"status", []types.DescribePackagesFilter{{Name: "PackageStatus", Value: []string{"AVAILABLE"}}}, 2},
		{"status and name", []types.DescribePackagesFilter{
			{Name: "PackageStatus", Value: []string{"AVAILABLE"}},
			{Name: "PackageName", Value: []string{"my-dictionary-2"}},
		}, 1},
		{"type", []types.DescribePackagesFilter{{Name: "PackageType", Value: []string{"ZIP-PLUGIN"}}}, 0},
		{"owner", []types.DescribePackagesFilter{{Name: "PackageOwner", Value: []string{"000000000000"}}}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := e.os.DescribePackages(ctx, &opensearch.DescribePackagesInput{Filters: tt.filters})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.PackageDetailsList) != tt.want {
				t.Errorf("got %d packages, want %d", len(out.PackageDetailsList), tt.want)
			}
		})
	}

	e.PutObject("dicts", "again.txt", "c\n")
	_, err = e.os.CreatePackage(ctx, &opensearch.CreatePackageInput{
		PackageName:   ptr("my-dictionary"),
		PackageType:   types.PackageTypeTxtDictionary,
		PackageSource: &types.PackageSource{S3BucketName: ptr("dicts"), S3Key: ptr("again.txt")},
	})
	wantAPIError(t, err, 409, "ResourceAlreadyExistsException", "my-dictionary")
}

func TestDescribePackagesPagination(t *testing.T) {
	e := newEnv(t)
	e.PutObject("dicts", "d.txt", "x\n")
	const n = 7
	for i := range n {
		_, err := e.os.CreatePackage(ctx, &opensearch.CreatePackageInput{
			PackageName:   ptr(fmt.Sprintf("dict-%d", i)),
			PackageType:   types.PackageTypeTxtDictionary,
			PackageSource: &types.PackageSource{S3BucketName: ptr("dicts"), S3Key: ptr("d.txt")},
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	var names []string
	var token *string
	for {
		out, err := e.os.DescribePackages(ctx, &opensearch.DescribePackagesInput{MaxResults: 3, NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range out.PackageDetailsList {
			names = append(names, deref(p.PackageName))
		}
		if token = out.NextToken; token == nil {
			break
		}
		if len(out.PackageDetailsList) == 0 {
			t.Fatal("empty page with a NextToken")
		}
	}
	if got := strings.Join(names, ","); got != "dict-0,dict-1,dict-2,dict-3,dict-4,dict-5,dict-6" {
		t.Errorf("got %s, want every package once in creation order", got)
	}

	// A token is bound to the filters it was issued for.
	out, err := e.os.DescribePackages(ctx, &opensearch.DescribePackagesInput{MaxResults: 3})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.os.DescribePackages(ctx, &opensearch.DescribePackagesInput{
		MaxResults: 3, NextToken: out.NextToken,
		Filters: []types.DescribePackagesFilter{{Name: "PackageStatus", Value: []string{"COPYING"}}},
	})
	wantAPIError(t, err, 400, "ValidationException", "nextToken")
}

func TestValidationMessages(t *testing.T) {
	e := newEnv(t)
	e.mustCreateDomain(t, "search")

	ids := []struct {
		id      string
		wantErr bool
	}{
		{"pkg-" + strings.Repeat("0123456789", 4), false},
		{"F123", false},
		{"f123", true},
		{"PKG-ABC", true},
		{"pkg-XYZ", true},
	}
	for _, tt := range ids {
		t.Run("id "+tt.id, func(t *testing.T) {
			_, err := e.os.ListDomainsForPackage(ctx, &opensearch.ListDomainsForPackageInput{PackageID: &tt.id})
			if !tt.wantErr {
				// A well-formed ID of no package.
				wantAPIError(t, err, 409, "ResourceNotFoundException", tt.id)
				return
			}
			wantAPIError(t, err, 400, "ValidationException",
				"1 validation error detected: Value '"+tt.id+"' at 'packageID' failed to satisfy constraint: "+
					`Member must satisfy regular expression pattern: ^([FG][0-9]+)$|^(pkg-[a-f0-9]+)$`)
		})
	}

	_, err := e.os.CreateDomain(ctx, &opensearch.CreateDomainInput{DomainName: ptr("Test-Domain")})
	wantAPIError(t, err, 400, "ValidationException",
		"Value 'Test-Domain' at 'domainName' failed to satisfy constraint: "+
			`Member must satisfy regular expression pattern: [a-z][a-z0-9\-]+`)

	names := []struct{ name, want string }{
		{"Synonyms", `Value 'Synonyms' at 'packageName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z][a-z0-9\-]+`},
		{"syn_a", `Value 'syn_a' at 'packageName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z][a-z0-9\-]+`},
		{"sy", `Value 'sy' at 'packageName' failed to satisfy constraint: Member must have length greater than or equal to 3`},
		{"synonymes-é", `Value 'synonymes-é' at 'packageName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z][a-z0-9\-]+`},
	}
	for _, tt := range names {
		t.Run("name "+tt.name, func(t *testing.T) {
			_, err := e.os.CreatePackage(ctx, &opensearch.CreatePackageInput{
				PackageName:   &tt.name,
				PackageType:   types.PackageTypeTxtDictionary,
				PackageSource: &types.PackageSource{S3BucketName: ptr("dicts"), S3Key: ptr("a.txt")},
			})
			wantAPIError(t, err, 400, "ValidationException", tt.want)
		})
	}
}

func TestScopeIsolation(t *testing.T) {
	e := newEnv(t)
	a := e.OpenSearch("111111111111", "us-east-1")
	e.PutObject("dicts", "a.txt", "a\n")
	out, err := a.CreatePackage(ctx, &opensearch.CreatePackageInput{
		PackageName:   ptr("shared-name"),
		PackageType:   types.PackageTypeTxtDictionary,
		PackageSource: &types.PackageSource{S3BucketName: ptr("dicts"), S3Key: ptr("a.txt")},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.Settle()
	id := out.PackageDetails.PackageID
	if owner := deref(out.PackageDetails.PackageOwner); owner != "111111111111" {
		t.Errorf("got PackageOwner %q, want 111111111111", owner)
	}

	others := map[string]*opensearch.Client{
		"other account": e.OpenSearch("222222222222", "us-east-1"),
		"other region":  e.OpenSearch("111111111111", "us-west-2"),
	}
	for name, c := range others {
		t.Run(name, func(t *testing.T) {
			list, err := c.DescribePackages(ctx, &opensearch.DescribePackagesInput{})
			if err != nil {
				t.Fatal(err)
			}
			if len(list.PackageDetailsList) != 0 {
				t.Errorf("sees %d packages, want none", len(list.PackageDetailsList))
			}
			_, err = c.ListDomainsForPackage(ctx, &opensearch.ListDomainsForPackageInput{PackageID: id})
			wantAPIError(t, err, 409, "ResourceNotFoundException", *id)
			_, err = c.DeletePackage(ctx, &opensearch.DeletePackageInput{PackageID: id})
			wantAPIError(t, err, 409, "ResourceNotFoundException", *id)

			// The name is free in another scope.
			if _, err := c.CreatePackage(ctx, &opensearch.CreatePackageInput{
				PackageName:   ptr("shared-name"),
				PackageType:   types.PackageTypeTxtDictionary,
				PackageSource: &types.PackageSource{S3BucketName: ptr("dicts"), S3Key: ptr("a.txt")},
			}); err != nil {
				t.Errorf("CreatePackage with the same name in another scope: %v", err)
			}
		})
	}

	list, err := a.DescribePackages(ctx, &opensearch.DescribePackagesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.PackageDetailsList) != 1 {
		t.Errorf("owner sees %d packages, want 1", len(list.PackageDetailsList))
	}
}

func TestFilterEdgeCases(t *testing.T) {
	e := newEnv(t)
	e.mustCreateDictionary(t, "pag-01", "a\n")
	e.mustCreateDictionary(t, "pag-02", "b\n")

	// Two filters on one name are AND-ed too: with no value in common they
	// match nothing.
	out, err := e.os.DescribePackages(ctx, &opensearch.DescribePackagesInput{Filters: []types.DescribePackagesFilter{
		{Name: "PackageName", Value: []string{"pag-01"}},
		{Name: "PackageName", Value: []string{"pag-02"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.PackageDetailsList) != 0 || out.NextToken != nil {
		t.Errorf("disjoint filters on one name: got %d packages, want none", len(out.PackageDetailsList))
	}

	// Thousands of values in one filter are fine.
	many := make([]string, 40000)
	for i := range many {
		many[i] = fmt.Sprintf("F%d", 100000000+i)
	}
	status, _, body, text := e.raw(t, "POST", "/2021-01-01/packages/describe",
		`{"Filters":[{"Name":"PackageID","Value":["`+strings.Join(many, `","`)+`"]}]}`)
	if status != 200 || len(body["PackageDetailsList"].([]any)) != 0 {
		t.Errorf("40000 filter values: got %d %.200s, want 200 and no packages", status, text)
	}
}

func TestNamesAreUniqueAcrossTypes(t *testing.T) {
	e := newEnv(t)
	e.PutObject("dicts", "p.zip", "PK")
	create := func(typ types.PackageType, engine string) error {
		in := &opensearch.CreatePackageInput{
			PackageName:   ptr("shared"),
			PackageType:   typ,
			PackageSource: &types.PackageSource{S3BucketName: ptr("dicts"), S3Key: ptr("p.zip")},
		}
		if engine != "" {
			in.EngineVersion = &engine
		}
		_, err := e.os.CreatePackage(ctx, in)
		return err
	}
	if err := create(types.PackageTypeZipPlugin, "OpenSearch_2.19"); err != nil {
		t.Fatal(err)
	}
	// Plugins of another engine version may share the name; nothing else
	// may.
	if err := create(types.PackageTypeZipPlugin, "OpenSearch_2.17"); err != nil {
		t.Errorf("plugin of another engine version: %v", err)
	}
	wantAPIError(t, create(types.PackageTypeZipPlugin, "OpenSearch_2.19"), 409, "ResourceAlreadyExistsException", "shared")
	wantAPIError(t, create(types.PackageTypeTxtDictionary, ""), 409, "ResourceAlreadyExistsException", "shared")
}

func TestAssociateNeedsAvailablePackage(t *testing.T) {
	e := newEnv(t)
	p := e.mustCreateDictionary(t, "synonyms", "a, b\n")
	e.mustCreateDomain(t, "search")

	_, err := e.os.UpdatePackage(ctx, &opensearch.UpdatePackageInput{
		PackageID:     p.PackageID,
		PackageSource: &types.PackageSource{S3BucketName: ptr("dicts"), S3Key: ptr("synonyms.txt")},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.os.AssociatePackage(ctx, &opensearch.AssociatePackageInput{PackageID: p.PackageID, DomainName: ptr("search")})
	wantAPIError(t, err, 409, "ConflictException", "COPYING")
	if list := e.packagesForDomain(t, "search"); len(list) != 0 {
		t.Errorf("refused association left %d rows", len(list))
	}

	e.Settle()
	if a := e.mustAssociate(t, *p.PackageID, "search"); deref(a.PackageVersion) != "v2" {
		t.Errorf("associated %s, want v2", deref(a.PackageVersion))
	}
}
