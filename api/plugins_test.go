package api_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/opensearch"
	"github.com/aws/aws-sdk-go-v2/service/opensearch/types"

	"github.com/osemu/osemu/internal/osemutest"
)

// pluginZip builds a plugin archive whose descriptor names the OpenSearch
// version, e.g. "2.19.0".
func pluginZip(t *testing.T, name, opensearchVersion string) string {
	t.Helper()
	return zipOf(t, map[string]string{
		"plugin-descriptor.properties": fmt.Sprintf("name=%s\ndescription=A test plugin\nversion=1.2.3\n"+
			"classname=org.example.%sPlugin\nopensearch.version=%s\njava.version=21\n", name, name, opensearchVersion),
		name + ".jar": strings.Repeat("j", 1000),
	})
}

func zipOf(t *testing.T, files map[string]string) string {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for name, content := range files {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// createPackage uploads content and creates a package of it.
func createPackage(t *testing.T, e *testEnv, c *opensearch.Client, name string, typ types.PackageType,
	engine, key, content string, cfg *types.PackageConfiguration) (string, error) {
	t.Helper()
	e.PutObject("pkgs", key, content)
	in := &opensearch.CreatePackageInput{
		PackageName:          &name,
		PackageType:          typ,
		PackageSource:        &types.PackageSource{S3BucketName: ptr("pkgs"), S3Key: &key},
		PackageConfiguration: cfg,
	}
	if engine != "" {
		in.EngineVersion = &engine
	}
	out, err := c.CreatePackage(ctx, in)
	if err != nil {
		return "", err
	}
	return *out.PackageDetails.PackageID, nil
}

func TestPluginValidation(t *testing.T) {
	e := newEnv(t)

	tests := []struct {
		name, engine, content string
		wantStatus            types.PackageStatus
		wantProps             bool
	}{
		{"good-plugin", "OpenSearch_2.19", pluginZip(t, "good-plugin", "2.19.0"), types.PackageStatusAvailable, true},
		{"corrupt-zip", "OpenSearch_2.19", "PK\x03\x04 this is not really a zip", types.PackageStatusValidationFailed, false},
		{"other-version", "OpenSearch_2.19", pluginZip(t, "other-version", "2.17.1"), types.PackageStatusValidationFailed, false},
		{"no-descriptor", "OpenSearch_2.19", zipOf(t, map[string]string{"a.jar": "x"}), types.PackageStatusValidationFailed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := createPackage(t, e, e.os, tt.name, types.PackageTypeZipPlugin, tt.engine, tt.name+".zip", tt.content, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(id, "pkg-") || len(id) != 44 {
				t.Errorf("plugin ID %q, want pkg- and 40 hex digits", id)
			}
			e.Settle()
			p := e.mustDescribePackage(t, id)
			if p.PackageStatus != tt.wantStatus {
				t.Fatalf("got %s (%+v), want %s", p.PackageStatus, p.ErrorDetails, tt.wantStatus)
			}
			if tt.wantStatus == types.PackageStatusValidationFailed &&
				(p.ErrorDetails == nil || deref(p.ErrorDetails.ErrorMessage) == "") {
				t.Errorf("VALIDATION_FAILED without ErrorDetails")
			}
			if deref(p.EngineVersion) != tt.engine {
				t.Errorf("EngineVersion %q, want %q", deref(p.EngineVersion), tt.engine)
			}
			if !tt.wantProps {
				return
			}
			props := p.AvailablePluginProperties
			if props == nil || deref(props.Name) != tt.name || deref(props.Version) != "1.2.3" ||
				deref(props.ClassName) != "org.example."+tt.name+"Plugin" || deref(props.Description) != "A test plugin" ||
				deref(props.UncompressedSizeInBytes) <= 1000 {
				t.Errorf("AvailablePluginProperties %+v", props)
			}
			hist, err := e.os.GetPackageVersionHistory(ctx, &opensearch.GetPackageVersionHistoryInput{PackageID: &id})
			if err != nil {
				t.Fatal(err)
			}
			if h := hist.PackageVersionHistoryList; len(h) != 1 || h[0].PluginProperties == nil ||
				deref(h[0].PluginProperties.Name) != tt.name {
				t.Errorf("history %+v, want v1 with its PluginProperties", h)
			}
		})
	}

	refused := []struct {
		name       string
		typ        types.PackageType
		engine     string
		wantStatus int
		wantMsg    string
	}{
		{"no-engine", types.PackageTypeZipPlugin, "", 400,
			"Operation not allowed. EngineVersion is a required parameter for this operation."},
		{"dash-engine", types.PackageTypeZipPlugin, "OpenSearch-2.19", 400, "at 'engineVersion' failed to satisfy constraint"},
		{"unknown-engine", types.PackageTypeZipPlugin, "OpenSearch_9.9", 400, "OpenSearch_9.9"},
		{"dict-engine", types.PackageTypeTxtDictionary, "OpenSearch_2.19", 400, "only allowed for packages of type ZIP-PLUGIN"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, err := createPackage(t, e, e.os, tt.name, tt.typ, tt.engine, tt.name+".zip", "x", nil)
			wantAPIError(t, err, tt.wantStatus, "ValidationException", tt.wantMsg)
		})
	}
}

func TestSharing(t *testing.T) {
	e := newEnv(t)
	a, b, c := e.OpenSearch("111111111111", "us-east-1"), e.OpenSearch("222222222222", "us-east-1"),
		e.OpenSearch("333333333333", "us-east-1")
	id, err := createPackage(t, e, a, "shared-dict", types.PackageTypeTxtDictionary, "", "d.txt", "a, b\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	e.Settle()

	sees := func(c *opensearch.Client) []types.PackageDetails {
		t.Helper()
		out, err := c.DescribePackages(ctx, &opensearch.DescribePackagesInput{})
		if err != nil {
			t.Fatal(err)
		}
		return out.PackageDetailsList
	}
	if len(sees(b)) != 0 {
		t.Fatal("B sees A's package before it is shared")
	}

	scope, err := a.UpdatePackageScope(ctx, &opensearch.UpdatePackageScopeInput{
		PackageID: &id, Operation: types.PackageScopeOperationEnumAdd, PackageUserList: []string{"222222222222"},
	})
	if err != nil {
		t.Fatalf("UpdatePackageScope ADD: %v", err)
	}
	if deref(scope.PackageID) != id || scope.Operation != types.PackageScopeOperationEnumAdd ||
		len(scope.PackageUserList) != 1 {
		t.Errorf("UpdatePackageScope answered %+v", scope)
	}

	// B sees it, with its owner but not whom it is shared with.
	got := sees(b)
	if len(got) != 1 || deref(got[0].PackageID) != id || deref(got[0].PackageOwner) != "111111111111" ||
		got[0].AllowListedUserList != nil {
		t.Fatalf("B sees %+v, want the package with PackageOwner and no AllowListedUserList", got)
	}
	if owner := sees(a); len(owner) != 1 || len(owner[0].AllowListedUserList) != 1 ||
		owner[0].AllowListedUserList[0] != "222222222222" {
		t.Errorf("A sees AllowListedUserList %v, want [222222222222]", owner[0].AllowListedUserList)
	}
	if len(sees(c)) != 0 {
		t.Errorf("C sees a package shared with B only")
	}

	// B associates it with its own domain.
	if _, err := b.CreateDomain(ctx, &opensearch.CreateDomainInput{DomainName: ptr("b-search")}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.AssociatePackage(ctx, &opensearch.AssociatePackageInput{PackageID: &id, DomainName: ptr("b-search")}); err != nil {
		t.Fatalf("B associates the shared package: %v", err)
	}
	e.Settle()
	list, err := b.ListPackagesForDomain(ctx, &opensearch.ListPackagesForDomainInput{DomainName: ptr("b-search")})
	if err != nil || len(list.DomainPackageDetailsList) != 1 ||
		list.DomainPackageDetailsList[0].DomainPackageStatus != types.DomainPackageStatusActive {
		t.Fatalf("B's domain: %+v %v, want the shared package ACTIVE", list, err)
	}

	// Only the owner may change it.
	_, err = b.UpdatePackage(ctx, &opensearch.UpdatePackageInput{
		PackageID: &id, PackageSource: &types.PackageSource{S3BucketName: ptr("pkgs"), S3Key: ptr("d.txt")},
	})
	wantAPIError(t, err, 403, "AccessDeniedException", "111111111111")
	_, err = b.DeletePackage(ctx, &opensearch.DeletePackageInput{PackageID: &id})
	wantAPIError(t, err, 403, "AccessDeniedException", "111111111111")
	_, err = b.UpdatePackageScope(ctx, &opensearch.UpdatePackageScopeInput{
		PackageID: &id, Operation: types.PackageScopeOperationEnumAdd, PackageUserList: []string{"333333333333"},
	})
	wantAPIError(t, err, 400, "ValidationException", "Only the owner")

	// GLOBAL shares with every account of the region, not other regions.
	if _, err := a.UpdatePackageScope(ctx, &opensearch.UpdatePackageScopeInput{
		PackageID: &id, Operation: types.PackageScopeOperationEnumOverride, PackageUserList: []string{"GLOBAL"},
	}); err != nil {
		t.Fatal(err)
	}
	if len(sees(c)) != 1 || len(sees(b)) != 1 {
		t.Errorf("GLOBAL: B and C should both see the package")
	}
	if len(sees(e.OpenSearch("333333333333", "eu-west-1"))) != 0 {
		t.Errorf("GLOBAL leaks into another region")
	}

	// REMOVE takes the package out of sight.
	if _, err := a.UpdatePackageScope(ctx, &opensearch.UpdatePackageScopeInput{
		PackageID: &id, Operation: types.PackageScopeOperationEnumRemove, PackageUserList: []string{"GLOBAL"},
	}); err != nil {
		t.Fatal(err)
	}
	if len(sees(b)) != 0 || len(sees(c)) != 0 {
		t.Errorf("after REMOVE: B or C still sees the package")
	}
	_, err = b.DeletePackage(ctx, &opensearch.DeletePackageInput{PackageID: &id})
	wantAPIError(t, err, 409, "ResourceNotFoundException", id)

	// B keeps what it associated, and can still take it away.
	if _, err := b.DissociatePackage(ctx, &opensearch.DissociatePackageInput{PackageID: &id, DomainName: ptr("b-search")}); err != nil {
		t.Errorf("B dissociates after losing access: %v", err)
	}
	e.Settle()
	if _, err := a.DeletePackage(ctx, &opensearch.DeletePackageInput{PackageID: &id}); err != nil {
		t.Errorf("A deletes once B's association is gone: %v", err)
	}

	_, err = a.UpdatePackageScope(ctx, &opensearch.UpdatePackageScopeInput{
		PackageID: &id, Operation: types.PackageScopeOperationEnumAdd, PackageUserList: []string{"12345"},
	})
	wantAPIError(t, err, 400, "ValidationException", "packageUserList")
}

func TestQuotas(t *testing.T) {
	e := newEnv(t)
	e.PutObject("pkgs", "d.txt", "a\n")
	var ids []string
	for i := range 25 {
		id, err := createPackage(t, e, e.os, fmt.Sprintf("dict-%02d", i), types.PackageTypeTxtDictionary, "", "d.txt", "a\n", nil)
		if err != nil {
			t.Fatalf("package %d: %v", i+1, err)
		}
		ids = append(ids, id)
	}
	_, err := createPackage(t, e, e.os, "dict-26", types.PackageTypeTxtDictionary, "", "d.txt", "a\n", nil)
	wantAPIError(t, err, 409, "LimitExceededException", "25")

	// Another region has its own quota.
	if _, err := createPackage(t, e, e.OpenSearch("AKIDEXAMPLE", "eu-west-1"), "dict-26",
		types.PackageTypeTxtDictionary, "", "d.txt", "a\n", nil); err != nil {
		t.Errorf("a package in another region: %v", err)
	}

	e.Settle()
	e.mustCreateDomain(t, "search")
	for i, id := range ids[:20] {
		if _, err := e.os.AssociatePackage(ctx, &opensearch.AssociatePackageInput{PackageID: &id, DomainName: ptr("search")}); err != nil {
			t.Fatalf("association %d: %v", i+1, err)
		}
	}
	_, err = e.os.AssociatePackage(ctx, &opensearch.AssociatePackageInput{PackageID: &ids[20], DomainName: ptr("search")})
	wantAPIError(t, err, 409, "LimitExceededException", "20")
	if n := len(e.packagesForDomain(t, "search")); n != 20 {
		t.Errorf("domain has %d packages after the refused 21st, want 20", n)
	}
}

func TestAWSPackages(t *testing.T) {
	e := &testEnv{Env: osemutest.NewWith(t, osemutest.Options{AWSPackages: true})}
	e.os = e.OpenSearch("AKIDEXAMPLE", "eu-west-1")

	out, err := e.os.DescribePackages(ctx, &opensearch.DescribePackagesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var g *types.PackageDetails
	for i, p := range out.PackageDetailsList {
		if !strings.HasPrefix(deref(p.PackageID), "G") || deref(p.PackageOwner) != "AWS" ||
			p.PackageType != types.PackageTypeZipPlugin || p.PackageStatus != types.PackageStatusAvailable {
			t.Errorf("catalog package %+v", p)
		}
		if deref(p.PackageName) == "analysis-nori" && deref(p.EngineVersion) == "OpenSearch_2.19" {
			g = &out.PackageDetailsList[i]
		}
	}
	if g == nil || len(out.PackageDetailsList) != 44 {
		t.Fatalf("got %d catalog packages, want 44 (4 plugins for 11 engine versions) with analysis-nori for OpenSearch_2.19",
			len(out.PackageDetailsList))
	}

	status, _, body, text := e.raw(t, "POST", "/2021-01-01/packages/describe",
		`{"Filters":[{"Name":"PackageID","Value":["`+*g.PackageID+`"]}]}`)
	pd := body["PackageDetailsList"].([]any)[0].(map[string]any)
	if _, ok := pd["CreatedAt"].(interface{ Float64() (float64, error) }); status != 200 || !ok {
		t.Errorf("G package CreatedAt is not a JSON number: %s", text)
	}

	_, err = e.os.DeletePackage(ctx, &opensearch.DeletePackageInput{PackageID: g.PackageID})
	wantAPIError(t, err, 400, "ValidationException", "Operation not allowed. This package cannot be deleted.")
	if p := e.mustDescribePackage(t, *g.PackageID); p.PackageStatus != types.PackageStatusAvailable {
		t.Errorf("after a refused delete: %s", p.PackageStatus)
	}

	// Associated with a domain of its engine version, it becomes ACTIVE.
	if _, err := e.os.CreateDomain(ctx, &opensearch.CreateDomainInput{
		DomainName: ptr("search"), EngineVersion: ptr("OpenSearch_2.19"),
	}); err != nil {
		t.Fatal(err)
	}
	e.mustAssociate(t, *g.PackageID, "search")
	e.Settle()
	if l := e.packagesForDomain(t, "search"); len(l) != 1 || l[0].DomainPackageStatus != types.DomainPackageStatusActive {
		t.Errorf("G package on a matching domain: %+v", l)
	}

	// Filters reach the catalog too.
	own, err := e.os.DescribePackages(ctx, &opensearch.DescribePackagesInput{Filters: []types.DescribePackagesFilter{
		{Name: "PackageOwner", Value: []string{"AWS"}}, {Name: "EngineVersion", Value: []string{"OpenSearch_2.19"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(own.PackageDetailsList) != 4 {
		t.Errorf("AWS packages for OpenSearch_2.19: got %d, want 4", len(own.PackageDetailsList))
	}
}

// thirdParty creates an AVAILABLE plugin that requires a licence and a
// configuration, with its licence and configuration packages.
func thirdParty(t *testing.T, e *testEnv) (plugin, license, config string) {
	t.Helper()
	var err error
	plugin, err = createPackage(t, e, e.os, "vendor-plugin", types.PackageTypeZipPlugin, "OpenSearch_2.19",
		"vendor-plugin.zip", pluginZip(t, "vendor-plugin", "2.19.0"), &types.PackageConfiguration{
			LicenseRequirement:       types.RequirementLevelRequired,
			LicenseFilepath:          ptr("licenses/vendor.json"),
			ConfigurationRequirement: types.RequirementLevelRequired,
		})
	if err != nil {
		t.Fatal(err)
	}
	license, err = createPackage(t, e, e.os, "vendor-license", types.PackageTypePackageLicense, "",
		"vendor-license.json", `{"licensee":"osemu tests","expires":"2030-01-01"}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	config, err = createPackage(t, e, e.os, "vendor-config", types.PackageTypePackageConfig, "",
		"vendor-config.zip", zipOf(t, map[string]string{"vendor.yml": "mode: strict\n"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	e.Settle()
	for _, id := range []string{plugin, license, config} {
		if p := e.mustDescribePackage(t, id); p.PackageStatus != types.PackageStatusAvailable {
			t.Fatalf("package %s: %s %+v", deref(p.PackageName), p.PackageStatus, p.ErrorDetails)
		}
	}
	return plugin, license, config
}

func statuses(t *testing.T, e *testEnv, domain string) map[string]types.DomainPackageStatus {
	t.Helper()
	out := map[string]types.DomainPackageStatus{}
	for _, a := range e.packagesForDomain(t, domain) {
		out[deref(a.PackageID)] = a.DomainPackageStatus
	}
	return out
}

func TestPluginWithLicenseAndConfig(t *testing.T) {
	e := newEnv(t)
	plugin, license, config := thirdParty(t, e)
	if _, err := e.os.CreateDomain(ctx, &opensearch.CreateDomainInput{
		DomainName: ptr("search"), EngineVersion: ptr("OpenSearch_2.19"),
	}); err != nil {
		t.Fatal(err)
	}

	// A licence that names no plugin is refused, and nothing changes.
	_, err := e.os.AssociatePackages(ctx, &opensearch.AssociatePackagesInput{DomainName: ptr("search"),
		PackageList: []types.PackageDetailsForAssociation{{PackageID: &plugin}, {PackageID: &license}}})
	wantAPIError(t, err, 400, "ValidationException", "PrerequisitePackageIDList")
	if got := statuses(t, e, "search"); len(got) != 0 {
		t.Fatalf("a refused batch left %v", got)
	}

	out, err := e.os.AssociatePackages(ctx, &opensearch.AssociatePackagesInput{DomainName: ptr("search"),
		PackageList: []types.PackageDetailsForAssociation{
			{PackageID: &plugin},
			{PackageID: &license, PrerequisitePackageIDList: []string{plugin}},
			{PackageID: &config, PrerequisitePackageIDList: []string{plugin}},
		}})
	if err != nil {
		t.Fatalf("AssociatePackages: %v", err)
	}
	if len(out.DomainPackageDetailsList) != 3 {
		t.Fatalf("got %d entries, want 3", len(out.DomainPackageDetailsList))
	}
	for _, d := range out.DomainPackageDetailsList {
		if d.DomainPackageStatus != types.DomainPackageStatusAssociating || d.ReferencePath != nil {
			t.Errorf("entry %+v, want ASSOCIATING without a ReferencePath", d)
		}
	}
	e.Settle()
	want := map[string]types.DomainPackageStatus{plugin: "ACTIVE", license: "ACTIVE", config: "ACTIVE"}
	if got := statuses(t, e, "search"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after the steps: %v, want all three ACTIVE", got)
	}

	// A licence the plugin requires cannot leave without the plugin.
	_, err = e.os.DissociatePackage(ctx, &opensearch.DissociatePackageInput{PackageID: &license, DomainName: ptr("search")})
	wantAPIError(t, err, 409, "ConflictException", "requires")

	// One unknown ID in a batch: an error and no change.
	_, err = e.os.DissociatePackages(ctx, &opensearch.DissociatePackagesInput{DomainName: ptr("search"),
		PackageList: []string{license, "F999999999"}})
	wantAPIError(t, err, 409, "ResourceNotFoundException", "F999999999")
	if got := statuses(t, e, "search"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after a refused batch: %v, want unchanged", got)
	}

	// Dissociating the plugin takes its licence and configuration along.
	if _, err := e.os.DissociatePackage(ctx, &opensearch.DissociatePackageInput{PackageID: &plugin, DomainName: ptr("search")}); err != nil {
		t.Fatal(err)
	}
	dissociating := map[string]types.DomainPackageStatus{plugin: "DISSOCIATING", license: "DISSOCIATING", config: "DISSOCIATING"}
	if got := statuses(t, e, "search"); fmt.Sprint(got) != fmt.Sprint(dissociating) {
		t.Errorf("after dissociating the plugin: %v, want all three DISSOCIATING", got)
	}
	e.Settle()
	if got := statuses(t, e, "search"); len(got) != 0 {
		t.Errorf("domain still has %v", got)
	}
}

func TestPluginAssociationFailures(t *testing.T) {
	e := newEnv(t)
	plugin, _, _ := thirdParty(t, e)
	for name, engine := range map[string]string{"old": "OpenSearch_2.17", "right": "OpenSearch_2.19"} {
		if _, err := e.os.CreateDomain(ctx, &opensearch.CreateDomainInput{DomainName: &name, EngineVersion: &engine}); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct{ domain, wantType, wantMsg string }{
		{"old", "EngineVersionMismatch", "OpenSearch_2.17"},
		{"right", "MissingRequiredPackage", "PACKAGE-"},
	}
	for _, tt := range tests {
		a := e.mustAssociate(t, plugin, tt.domain)
		if a.DomainPackageStatus != types.DomainPackageStatusAssociating {
			t.Errorf("%s: got %s at first, want ASSOCIATING", tt.domain, a.DomainPackageStatus)
		}
		e.Settle()
		got := e.packagesForDomain(t, tt.domain)[0]
		if got.DomainPackageStatus != types.DomainPackageStatusAssociationFailed || got.ErrorDetails == nil ||
			deref(got.ErrorDetails.ErrorType) != tt.wantType ||
			!strings.Contains(deref(got.ErrorDetails.ErrorMessage), tt.wantMsg) {
			t.Errorf("%s: got %s %+v, want ASSOCIATION_FAILED %s", tt.domain, got.DomainPackageStatus, got.ErrorDetails, tt.wantType)
		}
	}
}

func TestDeployDir(t *testing.T) {
	dir := t.TempDir()
	e := &testEnv{Env: osemutest.NewWith(t, osemutest.Options{DeployDir: dir})}
	e.os = e.OpenSearch("AKIDEXAMPLE", "us-east-1")
	domainDir := filepath.Join(dir, "000000000000", "us-east-1", "search")
	read := func(rel string) (string, bool) {
		b, err := os.ReadFile(filepath.Join(domainDir, rel))
		return string(b), err == nil
	}

	v1 := "car, automobile\ncafé, coffee shop\n"
	p := e.mustCreateDictionary(t, "synonyms", v1)
	id := *p.PackageID
	if _, err := e.os.CreateDomain(ctx, &opensearch.CreateDomainInput{
		DomainName: ptr("search"), EngineVersion: ptr("OpenSearch_2.19"),
	}); err != nil {
		t.Fatal(err)
	}
	a := e.mustAssociate(t, id, "search")
	if _, ok := read(deref(a.ReferencePath)); ok {
		t.Errorf("dictionary written while ASSOCIATING")
	}
	e.Settle()
	if got, ok := read("analyzers/" + id); !ok || got != v1 {
		t.Fatalf("after ACTIVE: %q (%v), want the dictionary byte for byte", got, ok)
	}

	// A new version reaches the disk when the domain moves to it.
	v2 := "car, automobile, motorcar\n"
	e.PutObject("dicts", "synonyms-v2.txt", v2)
	if _, err := e.os.UpdatePackage(ctx, &opensearch.UpdatePackageInput{PackageID: &id,
		PackageSource: &types.PackageSource{S3BucketName: ptr("dicts"), S3Key: ptr("synonyms-v2.txt")}}); err != nil {
		t.Fatal(err)
	}
	e.Settle()
	if got, _ := read("analyzers/" + id); got != v1 {
		t.Errorf("after the update alone the domain runs %q, want v1 still", got)
	}
	e.mustAssociate(t, id, "search")
	e.Settle()
	if got, _ := read("analyzers/" + id); got != v2 {
		t.Errorf("after re-association: %q, want v2", got)
	}

	// A plugin is unpacked, with its licence and configuration.
	plugin, license, config := thirdParty(t, e)
	if _, err := e.os.AssociatePackages(ctx, &opensearch.AssociatePackagesInput{DomainName: ptr("search"),
		PackageList: []types.PackageDetailsForAssociation{
			{PackageID: &plugin},
			{PackageID: &license, PrerequisitePackageIDList: []string{plugin}},
			{PackageID: &config, PrerequisitePackageIDList: []string{plugin}},
		}}); err != nil {
		t.Fatal(err)
	}
	e.Settle()
	if got := statuses(t, e, "search"); got[plugin] != "ACTIVE" || got[license] != "ACTIVE" || got[config] != "ACTIVE" {
		t.Fatalf("plugin associations: %v", got)
	}
	for rel, want := range map[string]string{
		"plugins/vendor-plugin/plugin-descriptor.properties": "name=vendor-plugin",
		"plugins/vendor-plugin/licenses/vendor.json":         `"licensee":"osemu tests"`,
		"config/vendor-plugin/vendor.yml":                    "mode: strict",
	} {
		if got, ok := read(rel); !ok || !strings.Contains(got, want) {
			t.Errorf("%s: %q (%v), want it to contain %q", rel, got, ok, want)
		}
	}

	// Dissociation removes what was written.
	if _, err := e.os.DissociatePackages(ctx, &opensearch.DissociatePackagesInput{DomainName: ptr("search"),
		PackageList: []string{id, plugin}}); err != nil {
		t.Fatal(err)
	}
	e.Settle()
	for _, rel := range []string{"analyzers/" + id, "plugins/vendor-plugin", "config/vendor-plugin"} {
		if _, err := os.Stat(filepath.Join(domainDir, rel)); !os.IsNotExist(err) {
			t.Errorf("%s still there after dissociation (%v)", rel, err)
		}
	}
}

func TestPluginFailureTakesItsLicence(t *testing.T) {
	e := newEnv(t)
	plugin, license, config := thirdParty(t, e)
	if _, err := e.os.CreateDomain(ctx, &opensearch.CreateDomainInput{
		DomainName: ptr("old"), EngineVersion: ptr("OpenSearch_2.17"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.os.AssociatePackages(ctx, &opensearch.AssociatePackagesInput{DomainName: ptr("old"),
		PackageList: []types.PackageDetailsForAssociation{
			{PackageID: &license, PrerequisitePackageIDList: []string{plugin}},
			{PackageID: &plugin},
			{PackageID: &config, PrerequisitePackageIDList: []string{plugin}},
		}}); err != nil {
		t.Fatal(err)
	}
	e.Settle()
	for _, a := range e.packagesForDomain(t, "old") {
		if a.DomainPackageStatus != types.DomainPackageStatusAssociationFailed {
			t.Errorf("%s: %s, want ASSOCIATION_FAILED like its plugin", deref(a.PackageName), a.DomainPackageStatus)
		}
	}
}

func TestPluginNamesAreUniqueOnADomain(t *testing.T) {
	e := newEnv(t)
	first, err := createPackage(t, e, e.os, "first", types.PackageTypeZipPlugin, "OpenSearch_2.19",
		"first.zip", pluginZip(t, "shared-name", "2.19.0"), nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := createPackage(t, e, e.os, "second", types.PackageTypeZipPlugin, "OpenSearch_2.19",
		"second.zip", pluginZip(t, "shared-name", "2.19.0"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.os.CreateDomain(ctx, &opensearch.CreateDomainInput{
		DomainName: ptr("search"), EngineVersion: ptr("OpenSearch_2.19"),
	}); err != nil {
		t.Fatal(err)
	}
	e.Settle()
	e.mustAssociate(t, first, "search")
	e.Settle()
	e.mustAssociate(t, second, "search")
	e.Settle()

	got := statuses(t, e, "search")
	if got[first] != "ACTIVE" || got[second] != "ASSOCIATION_FAILED" {
		t.Errorf("got %v, want the first ACTIVE and the second ASSOCIATION_FAILED", got)
	}
}

func TestLicenseFilepathRules(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{".", "./a.json", "a/./b.json", "plugin-descriptor.properties", strings.Repeat("a", 201)} {
		_, err := createPackage(t, e, e.os, "plug", types.PackageTypeZipPlugin, "OpenSearch_2.19", "p.zip",
			pluginZip(t, "plug", "2.19.0"), &types.PackageConfiguration{
				LicenseRequirement: types.RequirementLevelRequired, LicenseFilepath: &path,
				ConfigurationRequirement: types.RequirementLevelNone,
			})
		wantAPIError(t, err, 400, "ValidationException", "LicenseFilepath")
	}
	_, err := createPackage(t, e, e.os, "dict", types.PackageTypeTxtDictionary, "", "d.txt", "a\n",
		&types.PackageConfiguration{LicenseRequirement: types.RequirementLevelNone, ConfigurationRequirement: types.RequirementLevelNone})
	wantAPIError(t, err, 400, "ValidationException", "PackageConfiguration is only allowed for packages of type ZIP-PLUGIN")
}

func TestVendingAndEncryptionOptions(t *testing.T) {
	e := newEnv(t)
	e.PutObject("pkgs", "p.zip", pluginZip(t, "vended", "2.19.0"))
	out, err := e.os.CreatePackage(ctx, &opensearch.CreatePackageInput{
		PackageName: ptr("vended"), PackageType: types.PackageTypeZipPlugin, EngineVersion: ptr("OpenSearch_2.19"),
		PackageSource:            &types.PackageSource{S3BucketName: ptr("pkgs"), S3Key: ptr("p.zip")},
		PackageVendingOptions:    &types.PackageVendingOptions{VendingEnabled: ptr(true)},
		PackageEncryptionOptions: &types.PackageEncryptionOptions{EncryptionEnabled: ptr(true), KmsKeyIdentifier: ptr("alias/pkgs")},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.Settle()
	p := e.mustDescribePackage(t, *out.PackageDetails.PackageID)
	if p.PackageVendingOptions == nil || !deref(p.PackageVendingOptions.VendingEnabled) ||
		p.PackageEncryptionOptions == nil || !deref(p.PackageEncryptionOptions.EncryptionEnabled) ||
		deref(p.PackageEncryptionOptions.KmsKeyIdentifier) != "alias/pkgs" {
		t.Errorf("options not kept: vending %+v encryption %+v", p.PackageVendingOptions, p.PackageEncryptionOptions)
	}

	if _, err := e.os.UpdatePackage(ctx, &opensearch.UpdatePackageInput{PackageID: p.PackageID,
		PackageSource:            &types.PackageSource{S3BucketName: ptr("pkgs"), S3Key: ptr("p.zip")},
		PackageEncryptionOptions: &types.PackageEncryptionOptions{EncryptionEnabled: ptr(false)},
	}); err != nil {
		t.Fatal(err)
	}
	e.Settle()
	p = e.mustDescribePackage(t, *p.PackageID)
	if p.PackageEncryptionOptions == nil || deref(p.PackageEncryptionOptions.EncryptionEnabled) ||
		p.PackageEncryptionOptions.KmsKeyIdentifier != nil {
		t.Errorf("encryption options after update: %+v", p.PackageEncryptionOptions)
	}
}
