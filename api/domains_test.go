package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/opensearch"
	"github.com/aws/aws-sdk-go-v2/service/opensearch/types"
)

func TestDomainLifecycle(t *testing.T) {
	e := newEnv(t)

	out, err := e.os.CreateDomain(ctx, &opensearch.CreateDomainInput{
		DomainName:    ptr("search"),
		EngineVersion: ptr("OpenSearch_2.19"),
		ClusterConfig: &types.ClusterConfig{InstanceType: types.OpenSearchPartitionInstanceTypeM5LargeSearch, InstanceCount: ptr[int32](2)},
		EBSOptions:    &types.EBSOptions{EBSEnabled: ptr(true), VolumeSize: ptr[int32](20)},
		TagList:       []types.Tag{{Key: ptr("team"), Value: ptr("search")}},
	})
	if err != nil {
		t.Fatalf("CreateDomain: %v", err)
	}
	s := out.DomainStatus
	if deref(s.DomainId) != "000000000000/search" || deref(s.ARN) != "arn:aws:es:us-east-1:000000000000:domain/search" {
		t.Errorf("got DomainId %q ARN %q", deref(s.DomainId), deref(s.ARN))
	}
	if !deref(s.Created) || !deref(s.Processing) || deref(s.Deleted) || s.Endpoint != nil {
		t.Errorf("new domain: Created %v Processing %v Deleted %v Endpoint %v, want true true false none",
			deref(s.Created), deref(s.Processing), deref(s.Deleted), deref(s.Endpoint))
	}
	if deref(s.EngineVersion) != "OpenSearch_2.19" || deref(s.ClusterConfig.InstanceCount) != 2 ||
		s.ClusterConfig.InstanceType != types.OpenSearchPartitionInstanceTypeM5LargeSearch {
		t.Errorf("got engine %q cluster %+v, want what was asked", deref(s.EngineVersion), s.ClusterConfig)
	}
	if s.EBSOptions == nil || deref(s.EBSOptions.VolumeSize) != 20 {
		t.Errorf("got EBSOptions %+v, want a volume of 20", s.EBSOptions)
	}

	e.Settle()
	got, err := e.os.DescribeDomain(ctx, &opensearch.DescribeDomainInput{DomainName: ptr("search")})
	if err != nil {
		t.Fatal(err)
	}
	if deref(got.DomainStatus.Processing) || !strings.HasPrefix(deref(got.DomainStatus.Endpoint), "search-search-") {
		t.Errorf("active domain: Processing %v Endpoint %q", deref(got.DomainStatus.Processing), deref(got.DomainStatus.Endpoint))
	}

	// Creating it again returns it as it is.
	again, err := e.os.CreateDomain(ctx, &opensearch.CreateDomainInput{DomainName: ptr("search"), EngineVersion: ptr("OpenSearch_1.3")})
	if err != nil {
		t.Fatalf("CreateDomain of an existing name: %v", err)
	}
	if deref(again.DomainStatus.EngineVersion) != "OpenSearch_2.19" {
		t.Errorf("got engine %q, want the existing domain's OpenSearch_2.19", deref(again.DomainStatus.EngineVersion))
	}

	tags, err := e.os.ListTags(ctx, &opensearch.ListTagsInput{ARN: s.ARN})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.TagList) != 1 || deref(tags.TagList[0].Key) != "team" || deref(tags.TagList[0].Value) != "search" {
		t.Errorf("got tags %+v, want team=search", tags.TagList)
	}

	names, err := e.os.ListDomainNames(ctx, &opensearch.ListDomainNamesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(names.DomainNames) != 1 || deref(names.DomainNames[0].DomainName) != "search" ||
		names.DomainNames[0].EngineType != types.EngineTypeOpenSearch {
		t.Errorf("got %+v", names.DomainNames)
	}
	es, err := e.os.ListDomainNames(ctx, &opensearch.ListDomainNamesInput{EngineType: types.EngineTypeElasticsearch})
	if err != nil {
		t.Fatal(err)
	}
	if len(es.DomainNames) != 0 {
		t.Errorf("Elasticsearch domains: got %+v, want none", es.DomainNames)
	}

	del, err := e.os.DeleteDomain(ctx, &opensearch.DeleteDomainInput{DomainName: ptr("search")})
	if err != nil {
		t.Fatal(err)
	}
	if !deref(del.DomainStatus.Deleted) {
		t.Errorf("DeleteDomain: Deleted is false")
	}
	e.Settle()
	_, err = e.os.DescribeDomain(ctx, &opensearch.DescribeDomainInput{DomainName: ptr("search")})
	wantAPIError(t, err, 409, "ResourceNotFoundException", "search")
	_, err = e.os.DeleteDomain(ctx, &opensearch.DeleteDomainInput{DomainName: ptr("search")})
	wantAPIError(t, err, 409, "ResourceNotFoundException", "Domain not found: search")
}

func TestDeleteDomainRemovesAssociations(t *testing.T) {
	e := newEnv(t)
	p := e.mustCreateDictionary(t, "synonyms", "a, b\n")
	e.mustCreateDomain(t, "search")
	e.mustAssociate(t, *p.PackageID, "search")
	e.Settle()

	if _, err := e.os.DeleteDomain(ctx, &opensearch.DeleteDomainInput{DomainName: ptr("search")}); err != nil {
		t.Fatal(err)
	}
	_, err := e.os.AssociatePackage(ctx, &opensearch.AssociatePackageInput{PackageID: p.PackageID, DomainName: ptr("search")})
	wantAPIError(t, err, 409, "ResourceNotFoundException", "Domain not found: search")
	e.Settle()

	out, err := e.os.ListDomainsForPackage(ctx, &opensearch.ListDomainsForPackageInput{PackageID: p.PackageID})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.DomainPackageDetailsList) != 0 {
		t.Errorf("associations of a deleted domain remain: %+v", out.DomainPackageDetailsList)
	}
	if _, err := e.os.DeletePackage(ctx, &opensearch.DeletePackageInput{PackageID: p.PackageID}); err != nil {
		t.Errorf("DeletePackage once its only domain is gone: %v", err)
	}
}

func TestDescribeDomains(t *testing.T) {
	e := newEnv(t)
	e.mustCreateDomain(t, "one")
	e.mustCreateDomain(t, "two")

	out, err := e.os.DescribeDomains(ctx, &opensearch.DescribeDomainsInput{DomainNames: []string{"two", "missing", "one"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range out.DomainStatusList {
		got = append(got, deref(d.DomainName))
	}
	if strings.Join(got, ",") != "two,one" {
		t.Errorf("got %v, want two,one", got)
	}

	empty, err := e.os.DescribeDomains(ctx, &opensearch.DescribeDomainsInput{DomainNames: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(empty.DomainStatusList) != 0 {
		t.Errorf("empty request: got %d domains", len(empty.DomainStatusList))
	}

	_, err = e.os.DescribeDomains(ctx, &opensearch.DescribeDomainsInput{DomainNames: []string{"a11", "b11", "c11", "d11", "e11", "f11"}})
	wantAPIError(t, err, 400, "ValidationException", "Please provide a maximum of 5 domain names to describe.")
}

func TestTags(t *testing.T) {
	e := newEnv(t)
	e.mustCreateDomain(t, "search")
	arn := ptr("arn:aws:es:us-east-1:000000000000:domain/search")

	_, err := e.os.AddTags(ctx, &opensearch.AddTagsInput{ARN: arn, TagList: []types.Tag{
		{Key: ptr("b"), Value: ptr("2")}, {Key: ptr("a"), Value: ptr("1")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.os.AddTags(ctx, &opensearch.AddTagsInput{ARN: arn, TagList: []types.Tag{{Key: ptr("a"), Value: ptr("one")}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.os.RemoveTags(ctx, &opensearch.RemoveTagsInput{ARN: arn, TagKeys: []string{"b", "nope"}}); err != nil {
		t.Fatal(err)
	}
	out, err := e.os.ListTags(ctx, &opensearch.ListTagsInput{ARN: arn})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.TagList) != 1 || deref(out.TagList[0].Key) != "a" || deref(out.TagList[0].Value) != "one" {
		t.Errorf("got %+v, want a=one", out.TagList)
	}

	var many []types.Tag
	for _, k := range []string{"k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10"} {
		many = append(many, types.Tag{Key: ptr(k), Value: ptr("v")})
	}
	_, err = e.os.AddTags(ctx, &opensearch.AddTagsInput{ARN: arn, TagList: many})
	wantAPIError(t, err, 409, "LimitExceededException", "10 tags")

	_, err = e.os.ListTags(ctx, &opensearch.ListTagsInput{ARN: ptr("arn:aws:es:us-east-1:000000000000:domain/missing")})
	wantAPIError(t, err, 409, "ResourceNotFoundException", "missing")
	_, err = e.os.ListTags(ctx, &opensearch.ListTagsInput{ARN: ptr("not-an-arn-at-all-but-long")})
	wantAPIError(t, err, 400, "ValidationException", "not-an-arn")
}

func TestUnimplementedAndUnknownOperations(t *testing.T) {
	e := newEnv(t)
	e.mustCreateDomain(t, "search")

	_, err := e.os.DescribeDomainConfig(ctx, &opensearch.DescribeDomainConfigInput{DomainName: ptr("search")})
	wantAPIError(t, err, 409, "DisabledOperationException", "DescribeDomainConfig")

	_, err = e.os.ListVersions(ctx, &opensearch.ListVersionsInput{})
	wantAPIError(t, err, 409, "DisabledOperationException", "ListVersions")

	status, hdr, body, text := e.raw(t, "GET", "/2021-01-01/no/such/route", "")
	if status != 404 || hdr.Get("x-amzn-ErrorType") != "UnknownOperationException" || body["message"] == nil {
		t.Errorf("unknown route: got %d %s %s", status, hdr.Get("x-amzn-ErrorType"), text)
	}
	if hdr.Get("x-amzn-RequestId") == "" {
		t.Errorf("no x-amzn-RequestId header")
	}

	status, hdr, _, text = e.raw(t, "POST", "/2021-01-01/packages", `{"PackageName": 5}`)
	if status != 400 || hdr.Get("x-amzn-ErrorType") != "ValidationException" {
		t.Errorf("wrong JSON type: got %d %s %s", status, hdr.Get("x-amzn-ErrorType"), text)
	}
	status, _, _, text = e.raw(t, "POST", "/2021-01-01/packages", `{not json`)
	if status != 400 {
		t.Errorf("malformed JSON: got %d %s, want 400", status, text)
	}
}

func TestLegacyElasticsearchPackages(t *testing.T) {
	e := newEnv(t)
	e.PutObject("dicts", "legacy.txt", "a, b\n")

	status, _, body, text := e.raw(t, "POST", "/2015-01-01/packages",
		`{"PackageName":"legacy","PackageType":"TXT-DICTIONARY","PackageSource":{"S3BucketName":"dicts","S3Key":"legacy.txt"}}`)
	if status != 200 {
		t.Fatalf("legacy CreatePackage: %d %s", status, text)
	}
	id := body["PackageDetails"].(map[string]any)["PackageID"].(string)
	e.Settle()

	// Both APIs share one state.
	p := e.mustDescribePackage(t, id)
	if p.PackageStatus != types.PackageStatusAvailable {
		t.Errorf("legacy package seen through 2021-01-01: %s, want AVAILABLE", p.PackageStatus)
	}

	status, _, _, text = e.raw(t, "POST", "/2015-01-01/packages",
		`{"PackageName":"`+strings.Repeat("a", 29)+`","PackageType":"TXT-DICTIONARY","PackageSource":{"S3BucketName":"dicts","S3Key":"legacy.txt"}}`)
	if status != 400 || !strings.Contains(text, "less than or equal to 28") {
		t.Errorf("legacy name of 29 characters: got %d %s, want 400 naming the 28 limit", status, text)
	}

	status, _, _, text = e.raw(t, "POST", "/2015-01-01/packages/describe",
		`{"Filters":[{"Name":"PackageType","Value":["TXT-DICTIONARY"]}]}`)
	if status != 400 {
		t.Errorf("legacy PackageType filter: got %d %s, want 400", status, text)
	}

	// The legacy API lists dictionaries only, with its own shape's members.
	_, err := e.os.CreatePackage(ctx, &opensearch.CreatePackageInput{
		PackageName: ptr("plugin"), PackageType: types.PackageTypeZipPlugin, EngineVersion: ptr("OpenSearch_2.19"),
		PackageSource: &types.PackageSource{S3BucketName: ptr("dicts"), S3Key: ptr("legacy.txt")},
	})
	if err != nil {
		t.Fatal(err)
	}
	status, _, body, text = e.raw(t, "POST", "/2015-01-01/packages/describe", `{}`)
	list, _ := body["PackageDetailsList"].([]any)
	if status != 200 || len(list) != 1 {
		t.Fatalf("legacy DescribePackages: got %d %s, want the dictionary only", status, text)
	}
	for _, member := range []string{"PackageOwner", "EngineVersion"} {
		if _, ok := list[0].(map[string]any)[member]; ok {
			t.Errorf("legacy PackageDetails has %s, which its shape lacks", member)
		}
	}
}

func TestLegacyElasticsearchDomains(t *testing.T) {
	e := newEnv(t)

	status, _, body, text := e.raw(t, "POST", "/2015-01-01/es/domain",
		`{"DomainName":"legacy","ElasticsearchVersion":"7.10",`+
			`"ElasticsearchClusterConfig":{"InstanceType":"r5.large.elasticsearch","InstanceCount":1},`+
			`"EBSOptions":{"EBSEnabled":true,"VolumeSize":10}}`)
	if status != 200 {
		t.Fatalf("CreateElasticsearchDomain: %d %s", status, text)
	}
	ds := body["DomainStatus"].(map[string]any)
	cc, _ := ds["ElasticsearchClusterConfig"].(map[string]any)
	if ds["ElasticsearchVersion"] != "7.10" || cc["InstanceType"] != "r5.large.elasticsearch" || ds["EngineVersion"] != nil {
		t.Errorf("legacy status: version %v cluster %v engine %v", ds["ElasticsearchVersion"], cc, ds["EngineVersion"])
	}

	// The same domain through the 2021-01-01 API.
	out, err := e.os.DescribeDomain(ctx, &opensearch.DescribeDomainInput{DomainName: ptr("legacy")})
	if err != nil {
		t.Fatal(err)
	}
	if deref(out.DomainStatus.EngineVersion) != "Elasticsearch_7.10" ||
		out.DomainStatus.ClusterConfig.InstanceType != types.OpenSearchPartitionInstanceTypeR5LargeSearch {
		t.Errorf("through 2021-01-01: engine %q type %s", deref(out.DomainStatus.EngineVersion), out.DomainStatus.ClusterConfig.InstanceType)
	}

	status, _, body, text = e.raw(t, "POST", "/2015-01-01/es/domain-info", `{"DomainNames":["legacy","gone"]}`)
	if status != 200 || len(body["DomainStatusList"].([]any)) != 1 {
		t.Errorf("DescribeElasticsearchDomains: %d %s", status, text)
	}
	status, _, body, text = e.raw(t, "DELETE", "/2015-01-01/es/domain/legacy", "")
	if status != 200 || body["DomainStatus"].(map[string]any)["Deleted"] != true {
		t.Errorf("DeleteElasticsearchDomain: %d %s", status, text)
	}
	status, hdr, _, text := e.raw(t, "GET", "/2015-01-01/es/domain/legacy/config", "")
	if status != 409 || hdr.Get("x-amzn-ErrorType") != "DisabledOperationException" ||
		!strings.Contains(text, "DescribeElasticsearchDomainConfig") {
		t.Errorf("unimplemented legacy operation: %d %s", status, text)
	}
}

func TestCredentialScope(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, auth string
		wantStatus int
		wantCode   string
	}{
		{"unsigned", "", 200, ""},
		{"signed", "AWS4-HMAC-SHA256 Credential=AKID/20261204/eu-west-1/es/aws4_request, SignedHeaders=host, Signature=0", 200, ""},
		{"garbage", "garbage", 403, "IncompleteSignatureException"},
		{"no credential", "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=0", 403, "IncompleteSignatureException"},
		{"other service", "AWS4-HMAC-SHA256 Credential=AKID/20261204/us-east-1/sqs/aws4_request, Signature=0", 403, "InvalidSignatureException"},
		{"bad region", "AWS4-HMAC-SHA256 Credential=AKID/20261204/evil:region/es/aws4_request, Signature=0", 403, "InvalidSignatureException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", e.URL+"/2021-01-01/domain", nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tt.wantStatus || res.Header.Get("x-amzn-ErrorType") != tt.wantCode {
				t.Errorf("got %d %q, want %d %q", res.StatusCode, res.Header.Get("x-amzn-ErrorType"), tt.wantStatus, tt.wantCode)
			}
		})
	}
}

func TestAccessPoliciesMustBeJSON(t *testing.T) {
	e := newEnv(t)
	_, err := e.os.CreateDomain(ctx, &opensearch.CreateDomainInput{DomainName: ptr("search"), AccessPolicies: ptr("not json")})
	wantAPIError(t, err, 400, "ValidationException", "not a valid JSON policy document")

	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"es:*","Resource":"*"}]}`
	out, err := e.os.CreateDomain(ctx, &opensearch.CreateDomainInput{DomainName: ptr("search"), AccessPolicies: &policy})
	if err != nil {
		t.Fatal(err)
	}
	if deref(out.DomainStatus.AccessPolicies) != policy {
		t.Errorf("got AccessPolicies %q, want the policy given", deref(out.DomainStatus.AccessPolicies))
	}
}
