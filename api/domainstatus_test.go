package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/awsmodel"
)

// Fixed values of the test domains.
var (
	testScope     = osemu.Scope{Account: "123456789012", Region: "eu-west-1"}
	testCreatedAt = time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)
	testUpdatedAt = time.Date(2025, 3, 14, 15, 25, 1, 250000000, time.UTC)
	testNow       = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
)

const (
	testEndpoint    = "search-books-4kq2dq6ykp3yqvhqbxpzg3w7fa.eu-west-1.es.amazonaws.com"
	testVPCEndpoint = "vpc-books-4kq2dq6ykp3yqvhqbxpzg3w7fa.eu-west-1.es.amazonaws.com"
	testChangeID    = "0f4a6c3e-9b1d-4e2f-8a7c-5d3b2e1f0a9c"

	// Secrets that must never come back from the API.
	testPassword   = "Corr3ct-Horse-Battery!"
	testMasterName = "books-master-user-x1"
	testSAMLMaster = "saml-master-user-x2"
)

// mustBind turns a request body into the input tree the API layer hands to
// domainConfig: bound and validated against the model, as a real request
// is.
func mustBind(tb testing.TB, svc *awsmodel.Service, opName, body string) map[string]any {
	tb.Helper()
	op := svc.Operation(opName)
	if op == nil {
		tb.Fatalf("model has no operation %s", opName)
	}
	r := httptest.NewRequest(op.Method, op.URI, nil)
	input, err := op.Bind(r, nil, []byte(body))
	if err != nil {
		tb.Fatalf("bind %s: %v", body, err)
	}
	if err := op.Validate(input); err != nil {
		tb.Fatalf("validate %s: %v", body, err)
	}
	return input
}

// mustDomain returns a domain created with a CreateDomain body, in state.
func mustDomain(tb testing.TB, body string, state osemu.DomainState) *osemu.Domain {
	tb.Helper()
	input := mustBind(tb, awsmodel.OpenSearch(), "CreateDomain", body)
	cfg, err := domainConfig(input)
	if err != nil {
		tb.Fatalf("domainConfig(%s): %v", body, err)
	}
	ev, _ := input["EngineVersion"].(string)
	if ev == "" {
		ev = osemu.DefaultEngineVersion
	}
	return &osemu.Domain{
		Scope:         testScope,
		Name:          input["DomainName"].(string),
		EngineVersion: ev,
		State:         state,
		Config:        cfg,
		Endpoint:      testEndpoint,
		ChangeID:      testChangeID,
		CreatedAt:     testCreatedAt,
		UpdatedAt:     testUpdatedAt,
	}
}

// wire encodes v as the API does and decodes it as a client would, numbers
// kept as json.Number, and returns both.
func wire(tb testing.TB, v any) (map[string]any, string) {
	tb.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("encode: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		tb.Fatalf("decode %s: %v", raw, err)
	}
	return out, string(raw)
}

// renderWire renders d's DomainStatus at testNow, as the client sees it.
func renderWire(tb testing.TB, d *osemu.Domain) (map[string]any, string) {
	tb.Helper()
	cfg, err := storedConfig(d)
	if err != nil {
		tb.Fatal(err)
	}
	return wire(tb, renderDomainStatus(d, cfg, testNow))
}

// renderLegacyWire renders d's ElasticsearchDomainStatus at testNow.
func renderLegacyWire(tb testing.TB, d *osemu.Domain) (map[string]any, string) {
	tb.Helper()
	cfg, err := storedConfig(d)
	if err != nil {
		tb.Fatal(err)
	}
	return wire(tb, legacyStatus(renderDomainStatus(d, cfg, testNow)))
}

// at returns the value at a dotted path of a JSON tree ("A.B.0.C"), and
// whether it exists.
func at(v any, path string) (any, bool) {
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[p]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// shapeChecker checks a JSON tree against a model shape.
type shapeChecker struct {
	tb testing.TB

	// openEnums names enum shapes whose values may go beyond the model's
	// list, as clients accept.
	openEnums map[string]bool
}

// check reports every key of v that is not a member of sh, every value of
// the wrong JSON type, every enum value outside the model's list, every
// missing required member, and every null or empty structure.
func (c shapeChecker) check(path string, v any, sh *awsmodel.Shape) {
	c.tb.Helper()
	if v == nil {
		c.tb.Errorf("%s: null, want the member omitted", path)
		return
	}
	switch sh.Type {
	case awsmodel.TypeStructure:
		obj, ok := v.(map[string]any)
		if !ok {
			c.tb.Errorf("%s: %T, want an object (%s)", path, v, sh.Name)
			return
		}
		if len(obj) == 0 {
			c.tb.Errorf("%s: {}, want the member omitted", path)
		}
		for k, mv := range obj {
			m := sh.Member(k)
			if m == nil {
				c.tb.Errorf("%s.%s: not a member of %s", path, k, sh.Name)
				continue
			}
			c.check(path+"."+k, mv, m.Shape)
		}
		for _, m := range sh.Members {
			if _, ok := obj[m.Name]; m.Required && !ok {
				c.tb.Errorf("%s: required member %s missing", path, m.Name)
			}
		}

	case awsmodel.TypeList:
		list, ok := v.([]any)
		if !ok {
			c.tb.Errorf("%s: %T, want a list (%s)", path, v, sh.Name)
			return
		}
		for i, e := range list {
			c.check(fmt.Sprintf("%s.%d", path, i), e, sh.Elem)
		}

	case awsmodel.TypeMap:
		obj, ok := v.(map[string]any)
		if !ok {
			c.tb.Errorf("%s: %T, want a map (%s)", path, v, sh.Name)
			return
		}
		for k, e := range obj {
			c.check(path+"."+k, k, sh.Key)
			c.check(path+"."+k, e, sh.Value)
		}

	case awsmodel.TypeString:
		s, ok := v.(string)
		if !ok {
			c.tb.Errorf("%s: %T %v, want a string (%s)", path, v, v, sh.Name)
			return
		}
		if len(sh.Enum) > 0 && !c.openEnums[sh.Name] && !contains(sh.Enum, s) {
			c.tb.Errorf("%s: %q is not a value of %s", path, s, sh.Name)
		}
		n := utf8.RuneCountInString(s)
		if lo, err := strconv.Atoi(sh.Min); err == nil && n < lo {
			c.tb.Errorf("%s: %q shorter than %s's minimum %d", path, s, sh.Name, lo)
		}
		if hi, err := strconv.Atoi(sh.Max); err == nil && n > hi {
			c.tb.Errorf("%s: %q longer than %s's maximum %d", path, s, sh.Name, hi)
		}

	case awsmodel.TypeInteger, awsmodel.TypeLong:
		n, ok := v.(json.Number)
		if _, err := n.Int64(); !ok || err != nil {
			c.tb.Errorf("%s: %T %v, want an integer (%s)", path, v, v, sh.Name)
		}

	case awsmodel.TypeFloat, awsmodel.TypeDouble, awsmodel.TypeTimestamp:
		// Timestamps are epoch seconds: the Go SDK rejects strings.
		n, ok := v.(json.Number)
		if _, err := n.Float64(); !ok || err != nil {
			c.tb.Errorf("%s: %T %v, want a JSON number (%s)", path, v, v, sh.Name)
		}

	case awsmodel.TypeBoolean:
		if _, ok := v.(bool); !ok {
			c.tb.Errorf("%s: %T %v, want a boolean (%s)", path, v, v, sh.Name)
		}

	default:
		c.tb.Errorf("%s: osemu renders no %s (%s)", path, sh.Type, sh.Name)
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// checkDomainStatus checks a rendered DomainStatus against the model.
func checkDomainStatus(tb testing.TB, st map[string]any) {
	tb.Helper()
	sh := awsmodel.OpenSearch().Shape("DomainStatus")
	if sh == nil {
		tb.Fatal("model has no DomainStatus shape")
	}
	shapeChecker{tb: tb}.check("DomainStatus", st, sh)
}

// checkElasticsearchDomainStatus checks a rendered ElasticsearchDomainStatus
// against the legacy model. Its instance type enums stopped growing in
// botocore while AWS kept adding types, which clients accept.
func checkElasticsearchDomainStatus(tb testing.TB, st map[string]any) {
	tb.Helper()
	sh := awsmodel.Elasticsearch().Shape("ElasticsearchDomainStatus")
	if sh == nil {
		tb.Fatal("model has no ElasticsearchDomainStatus shape")
	}
	c := shapeChecker{tb: tb, openEnums: map[string]bool{
		"ESPartitionInstanceType": true, "ESWarmPartitionInstanceType": true,
	}}
	c.check("ElasticsearchDomainStatus", st, sh)
}

// The shapes the tests check must be the full ones: every member of the
// botocore model, required members marked.
func TestDomainStatusShapesLoaded(t *testing.T) {
	tests := []struct {
		svc      *awsmodel.Service
		shape    string
		required []string
		atLeast  int
	}{
		{awsmodel.OpenSearch(), "DomainStatus",
			[]string{"DomainId", "DomainName", "ARN", "ClusterConfig"}, 36},
		{awsmodel.Elasticsearch(), "ElasticsearchDomainStatus",
			[]string{"DomainId", "DomainName", "ARN", "ElasticsearchClusterConfig"}, 28},
	}
	for _, tt := range tests {
		sh := tt.svc.Shape(tt.shape)
		if sh == nil {
			t.Fatalf("model %s has no shape %s", tt.svc.APIVersion, tt.shape)
		}
		if len(sh.Members) < tt.atLeast {
			t.Errorf("%s has %d members, want at least %d", tt.shape, len(sh.Members), tt.atLeast)
		}
		var got []string
		for _, m := range sh.Members {
			if m.Required {
				got = append(got, m.Name)
			}
		}
		if strings.Join(got, ",") != strings.Join(tt.required, ",") {
			t.Errorf("%s required members = %v, want %v", tt.shape, got, tt.required)
		}
	}
}

func TestDomainStatus(t *testing.T) {
	const (
		minimal = `{"DomainName": "books"}`

		vpc = `{"DomainName": "books", "EngineVersion": "OpenSearch_2.19",
			"ClusterConfig": {"InstanceType": "t3.small.search", "InstanceCount": 2,
				"ZoneAwarenessEnabled": true, "ZoneAwarenessConfig": {"AvailabilityZoneCount": 2}},
			"EBSOptions": {"EBSEnabled": true, "VolumeSize": 20},
			"VPCOptions": {"SubnetIds": ["subnet-0a1b2c3d", "subnet-4e5f6a7b"],
				"SecurityGroupIds": ["sg-0123456789abcdef0"]}}`

		security = `{"DomainName": "books", "EngineVersion": "OpenSearch_2.11",
			"ClusterConfig": {"InstanceType": "r6g.large.search"},
			"EBSOptions": {"EBSEnabled": true, "VolumeType": "gp3", "VolumeSize": 50},
			"NodeToNodeEncryptionOptions": {"Enabled": true},
			"EncryptionAtRestOptions": {"Enabled": true},
			"DomainEndpointOptions": {"EnforceHTTPS": true,
				"TLSSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10"},
			"AdvancedSecurityOptions": {"Enabled": true, "InternalUserDatabaseEnabled": true,
				"MasterUserOptions": {"MasterUserName": "` + testMasterName + `",
					"MasterUserPassword": "` + testPassword + `"},
				"SAMLOptions": {"Enabled": true,
					"Idp": {"MetadataContent": "<md/>", "EntityId": "https://idp.example.com"},
					"MasterUserName": "` + testSAMLMaster + `",
					"MasterBackendRole": "saml-admins", "RolesKey": "groups"},
				"JWTOptions": {"Enabled": true, "SubjectKey": "sub",
					"PublicKey": "-----BEGIN PUBLIC KEY-----"}},
			"AccessPolicies": "{\"Version\":\"2012-10-17\",\"Statement\":[]}",
			"AdvancedOptions": {"indices.query.bool.max_clause_count": "2048"},
			"TagList": [{"Key": "team", "Value": "search"}]}`

		masters = `{"DomainName": "books", "EngineVersion": "OpenSearch_2.17",
			"ClusterConfig": {"InstanceType": "r6g.large.search", "InstanceCount": 6,
				"DedicatedMasterEnabled": true, "DedicatedMasterType": "m5.large.search",
				"DedicatedMasterCount": 3, "ZoneAwarenessEnabled": true,
				"ZoneAwarenessConfig": {"AvailabilityZoneCount": 3},
				"MultiAZWithStandbyEnabled": true},
			"EBSOptions": {"EBSEnabled": true, "VolumeType": "gp3", "VolumeSize": 100},
			"SnapshotOptions": {"AutomatedSnapshotStartHour": 3},
			"OffPeakWindowOptions": {"Enabled": true,
				"OffPeakWindow": {"WindowStartTime": {"Hours": 2, "Minutes": 30}}},
			"SoftwareUpdateOptions": {"AutoSoftwareUpdateEnabled": true}}`

		tuning = `{"DomainName": "books", "EngineVersion": "OpenSearch_2.19",
			"ClusterConfig": {"InstanceType": "m5.large.search"},
			"EBSOptions": {"EBSEnabled": true, "VolumeSize": 10},
			"AutoTuneOptions": {"DesiredState": "DISABLED", "UseOffPeakWindow": true,
				"MaintenanceSchedules": [{"StartAt": 1767225600,
					"Duration": {"Value": 2, "Unit": "HOURS"},
					"CronExpressionForRecurrence": "cron(0 3 ? * MON *)"}]},
			"AIMLOptions": {"NaturalLanguageQueryGenerationOptions": {"DesiredState": "ENABLED"},
				"S3VectorsEngine": {"Enabled": true}}}`

		elasticsearch = `{"DomainName": "books", "EngineVersion": "Elasticsearch_7.10",
			"ClusterConfig": {"InstanceType": "i3.large.search"}}`

		extras = `{"DomainName": "books", "EngineVersion": "OpenSearch_2.19",
			"IPAddressType": "dualstack",
			"EBSOptions": {"EBSEnabled": true, "VolumeSize": 10},
			"LogPublishingOptions": {"AUDIT_LOGS": {"Enabled": true,
				"CloudWatchLogsLogGroupArn": "arn:aws:logs:eu-west-1:123456789012:log-group:audit"}},
			"IdentityCenterOptions": {"EnabledAPIAccess": true,
				"IdentityCenterInstanceARN": "arn:aws:sso:::instance/ssoins-1234567890abcdef",
				"SubjectKey": "UserName", "RolesKey": "GroupName"},
			"AutomatedSnapshotPauseOptions": {"Enabled": true,
				"StartTime": 1748000000, "EndTime": 1750000000.5}}`
	)

	tests := []struct {
		name  string
		body  string
		state osemu.DomainState

		// want maps dotted paths to their JSON encoding.
		want map[string]string

		// absent lists paths that must not be there.
		absent []string

		// legacy maps paths of the ElasticsearchDomainStatus to their JSON
		// encoding.
		legacy map[string]string
	}{
		{
			name:  "minimal active",
			body:  minimal,
			state: osemu.DomainActive,
			want: map[string]string{
				"DomainId":                             `"123456789012/books"`,
				"DomainName":                           `"books"`,
				"ARN":                                  `"arn:aws:es:eu-west-1:123456789012:domain/books"`,
				"Created":                              `true`,
				"Deleted":                              `false`,
				"Processing":                           `false`,
				"UpgradeProcessing":                    `false`,
				"DomainProcessingStatus":               `"Active"`,
				"EngineVersion":                        `"OpenSearch_3.1"`,
				"Endpoint":                             `"` + testEndpoint + `"`,
				"ClusterConfig.InstanceType":           `"m4.large.search"`,
				"ClusterConfig.InstanceCount":          `1`,
				"ClusterConfig.DedicatedMasterEnabled": `false`,
				"ClusterConfig.ZoneAwarenessEnabled":   `false`,
				"ClusterConfig.WarmEnabled":            `false`,
				"ClusterConfig.ColdStorageOptions.Enabled": `false`,
				"ClusterConfig.MultiAZWithStandbyEnabled":  `false`,
				"EBSOptions":     `{"EBSEnabled":true,"VolumeSize":10,"VolumeType":"gp2"}`,
				"AccessPolicies": `""`,
				"IPAddressType":  `"ipv4"`,
				"SnapshotOptions.AutomatedSnapshotStartHour": `0`,
				"CognitoOptions":              `{"Enabled":false}`,
				"EncryptionAtRestOptions":     `{"Enabled":false}`,
				"NodeToNodeEncryptionOptions": `{"Enabled":false}`,
				"AdvancedOptions": `{"override_main_response_version":"false",` +
					`"rest.action.multi.allow_explicit_index":"true"}`,
				"ServiceSoftwareOptions.CurrentVersion":      `"OpenSearch_3_1_R20250630"`,
				"ServiceSoftwareOptions.UpdateStatus":        `"COMPLETED"`,
				"ServiceSoftwareOptions.UpdateAvailable":     `false`,
				"ServiceSoftwareOptions.AutomatedUpdateDate": `0`,
				"DomainEndpointOptions": `{"CustomEndpointEnabled":false,"EnforceHTTPS":false,` +
					`"TLSSecurityPolicy":"Policy-Min-TLS-1-2-2019-07"}`,
				"AdvancedSecurityOptions": `{"AnonymousAuthEnabled":false,"Enabled":false,` +
					`"InternalUserDatabaseEnabled":false}`,
				"AutoTuneOptions": `{"State":"ENABLED","UseOffPeakWindow":false}`,
				"ChangeProgressDetails": `{"ChangeId":"` + testChangeID + `",` +
					`"ConfigChangeStatus":"Completed","InitiatedBy":"CUSTOMER",` +
					`"LastUpdatedTime":1741965901.25,"StartTime":1741964966.535}`,
				"OffPeakWindowOptions": `{"Enabled":true,` +
					`"OffPeakWindow":{"WindowStartTime":{"Hours":22,"Minutes":0}}}`,
				"SoftwareUpdateOptions":     `{"AutoSoftwareUpdateEnabled":false}`,
				"ModifyingProperties":       `[]`,
				"DeploymentStrategyOptions": `{"DeploymentStrategy":"Default"}`,
				"AIMLOptions": `{"NaturalLanguageQueryGenerationOptions":` +
					`{"CurrentState":"NOT_ENABLED","DesiredState":"DISABLED"}}`,
			},
			absent: []string{"Endpoints", "EndpointV2", "VPCOptions", "LogPublishingOptions",
				"IdentityCenterOptions", "AutomatedSnapshotPauseOptions",
				"ClusterConfig.ZoneAwarenessConfig"},
			legacy: map[string]string{
				"ElasticsearchVersion":                    `"OpenSearch_3.1"`,
				"ElasticsearchClusterConfig.InstanceType": `"m4.large.elasticsearch"`,
				"Endpoint":        `"` + testEndpoint + `"`,
				"AutoTuneOptions": `{"State":"ENABLED"}`,
			},
		},
		{
			name:  "minimal creating",
			body:  minimal,
			state: osemu.DomainCreating,
			want: map[string]string{
				"Created":                `true`,
				"Deleted":                `false`,
				"Processing":             `true`,
				"DomainProcessingStatus": `"Creating"`,
				"ChangeProgressDetails.ConfigChangeStatus": `"ApplyingChanges"`,
				"AutoTuneOptions.State":                    `"ENABLE_IN_PROGRESS"`,
			},
			absent: []string{"Endpoint", "Endpoints"},
		},
		{
			name:  "deleting",
			body:  minimal,
			state: osemu.DomainDeleting,
			want: map[string]string{
				"Deleted":                `true`,
				"Processing":             `true`,
				"DomainProcessingStatus": `"Deleting"`,
				"Endpoint":               `"` + testEndpoint + `"`,
			},
		},
		{
			name:  "vpc active",
			body:  vpc,
			state: osemu.DomainActive,
			want: map[string]string{
				"Endpoints":                         `{"vpc":"` + testVPCEndpoint + `"}`,
				"VPCOptions.SubnetIds":              `["subnet-0a1b2c3d","subnet-4e5f6a7b"]`,
				"VPCOptions.AvailabilityZones":      `["eu-west-1a","eu-west-1b"]`,
				"VPCOptions.SecurityGroupIds":       `["sg-0123456789abcdef0"]`,
				"ClusterConfig.ZoneAwarenessConfig": `{"AvailabilityZoneCount":2}`,
				"ClusterConfig.InstanceType":        `"t3.small.search"`,
				"ClusterConfig.InstanceCount":       `2`,
				"EBSOptions":                        `{"EBSEnabled":true,"VolumeSize":20,"VolumeType":"gp2"}`,
				// Auto-Tune does not run on t3.
				"AutoTuneOptions.State": `"DISABLED"`,
			},
			absent: []string{"Endpoint", "EndpointV2", "VPCOptions.EgressEnabled"},
			legacy: map[string]string{
				"Endpoints": `{"vpc":"` + testVPCEndpoint + `"}`,
				"ElasticsearchClusterConfig.InstanceType": `"t3.small.elasticsearch"`,
				"VPCOptions.AvailabilityZones":            `["eu-west-1a","eu-west-1b"]`,
			},
		},
		{
			name:  "vpc creating",
			body:  vpc,
			state: osemu.DomainCreating,
			want: map[string]string{
				"VPCOptions.SubnetIds": `["subnet-0a1b2c3d","subnet-4e5f6a7b"]`,
			},
			absent: []string{"Endpoint", "Endpoints"},
		},
		{
			name:  "advanced security with master user",
			body:  security,
			state: osemu.DomainActive,
			want: map[string]string{
				"EngineVersion":                                       `"OpenSearch_2.11"`,
				"AdvancedSecurityOptions.Enabled":                     `true`,
				"AdvancedSecurityOptions.InternalUserDatabaseEnabled": `true`,
				"AdvancedSecurityOptions.AnonymousAuthEnabled":        `false`,
				"AdvancedSecurityOptions.SAMLOptions": `{"Enabled":true,` +
					`"Idp":{"EntityId":"https://idp.example.com","MetadataContent":"\u003cmd/\u003e"},` +
					`"RolesKey":"groups","SessionTimeoutMinutes":60}`,
				"AdvancedSecurityOptions.JWTOptions": `{"Enabled":true,` +
					`"PublicKey":"-----BEGIN PUBLIC KEY-----","SubjectKey":"sub"}`,
				"DomainEndpointOptions.EnforceHTTPS":      `true`,
				"DomainEndpointOptions.TLSSecurityPolicy": `"Policy-Min-TLS-1-2-PFS-2023-10"`,
				"NodeToNodeEncryptionOptions":             `{"Enabled":true}`,
				"EncryptionAtRestOptions.Enabled":         `true`,
				"AccessPolicies":                          `"{\"Version\":\"2012-10-17\",\"Statement\":[]}"`,
				"AdvancedOptions": `{"indices.query.bool.max_clause_count":"2048",` +
					`"override_main_response_version":"false",` +
					`"rest.action.multi.allow_explicit_index":"true"}`,
				"EBSOptions": `{"EBSEnabled":true,"Iops":3000,"Throughput":125,` +
					`"VolumeSize":50,"VolumeType":"gp3"}`,
				"ServiceSoftwareOptions.CurrentVersion": `"OpenSearch_2_11_R20250630"`,
				// Natural language query generation came with 2.13.
			},
			absent: []string{"AdvancedSecurityOptions.MasterUserOptions",
				"AdvancedSecurityOptions.SAMLOptions.MasterUserName",
				"AdvancedSecurityOptions.SAMLOptions.MasterBackendRole",
				"AIMLOptions", "TagList"},
			legacy: map[string]string{
				"AdvancedSecurityOptions.Enabled":              `true`,
				"AdvancedSecurityOptions.SAMLOptions.RolesKey": `"groups"`,
			},
		},
		{
			name:  "dedicated masters and three zones",
			body:  masters,
			state: osemu.DomainActive,
			want: map[string]string{
				"ClusterConfig": `{"ColdStorageOptions":{"Enabled":false},` +
					`"DedicatedMasterCount":3,"DedicatedMasterEnabled":true,` +
					`"DedicatedMasterType":"m5.large.search","InstanceCount":6,` +
					`"InstanceType":"r6g.large.search","MultiAZWithStandbyEnabled":true,` +
					`"WarmEnabled":false,"ZoneAwarenessConfig":{"AvailabilityZoneCount":3},` +
					`"ZoneAwarenessEnabled":true}`,
				"SnapshotOptions": `{"AutomatedSnapshotStartHour":3}`,
				"OffPeakWindowOptions": `{"Enabled":true,` +
					`"OffPeakWindow":{"WindowStartTime":{"Hours":2,"Minutes":30}}}`,
				"SoftwareUpdateOptions": `{"AutoSoftwareUpdateEnabled":true}`,
			},
			legacy: map[string]string{
				"ElasticsearchClusterConfig.DedicatedMasterType": `"m5.large.elasticsearch"`,
				"ElasticsearchClusterConfig.InstanceType":        `"r6g.large.elasticsearch"`,
			},
		},
		{
			name:  "autotune and aiml active",
			body:  tuning,
			state: osemu.DomainActive,
			want: map[string]string{
				"AutoTuneOptions": `{"State":"DISABLED","UseOffPeakWindow":true}`,
				"AIMLOptions": `{"NaturalLanguageQueryGenerationOptions":` +
					`{"CurrentState":"ENABLE_COMPLETE","DesiredState":"ENABLED"},` +
					`"S3VectorsEngine":{"Enabled":true}}`,
			},
			absent: []string{"AutoTuneOptions.MaintenanceSchedules", "AutoTuneOptions.DesiredState"},
			legacy: map[string]string{
				"AutoTuneOptions": `{"State":"DISABLED"}`,
			},
		},
		{
			name:  "autotune and aiml creating",
			body:  tuning,
			state: osemu.DomainCreating,
			want: map[string]string{
				"AutoTuneOptions.State": `"DISABLED"`,
				"AIMLOptions.NaturalLanguageQueryGenerationOptions.CurrentState": `"ENABLE_IN_PROGRESS"`,
			},
		},
		{
			name:  "elasticsearch on instance storage",
			body:  elasticsearch,
			state: osemu.DomainActive,
			want: map[string]string{
				"EngineVersion":                         `"Elasticsearch_7.10"`,
				"EBSOptions":                            `{"EBSEnabled":false}`,
				"AdvancedOptions":                       `{"rest.action.multi.allow_explicit_index":"true"}`,
				"ServiceSoftwareOptions.CurrentVersion": `"Elasticsearch_7_10_R20250630"`,
				"AutoTuneOptions.State":                 `"ENABLED"`,
			},
			absent: []string{"AIMLOptions"},
			legacy: map[string]string{
				"ElasticsearchVersion":                    `"7.10"`,
				"ElasticsearchClusterConfig.InstanceType": `"i3.large.elasticsearch"`,
				"EBSOptions": `{"EBSEnabled":false}`,
			},
		},
		{
			name:  "dual stack, logs, identity center, snapshot pause",
			body:  extras,
			state: osemu.DomainActive,
			want: map[string]string{
				"IPAddressType": `"dualstack"`,
				"Endpoint":      `"` + testEndpoint + `"`,
				"EndpointV2":    `"search-books-4kq2dq6ykp3yqvhqbxpzg3w7fa.aos.eu-west-1.on.aws"`,
				"LogPublishingOptions": `{"AUDIT_LOGS":{"CloudWatchLogsLogGroupArn":` +
					`"arn:aws:logs:eu-west-1:123456789012:log-group:audit","Enabled":true}}`,
				"IdentityCenterOptions.EnabledAPIAccess": `true`,
				"IdentityCenterOptions.SubjectKey":       `"UserName"`,
				"IdentityCenterOptions.RolesKey":         `"GroupName"`,
				"AutomatedSnapshotPauseOptions": `{"Enabled":true,"EndTime":1750000000.5,` +
					`"StartTime":1748000000,"State":"Active"}`,
			},
			legacy: map[string]string{
				"AutomatedSnapshotPauseOptions.State": `"Active"`,
			},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustDomain(t, tt.body, tt.state)
			st, raw := renderWire(t, d)
			checkDomainStatus(t, st)

			for path, want := range tt.want {
				v, ok := at(st, path)
				if !ok {
					t.Errorf("%s missing, want %s", path, want)
					continue
				}
				got, err := json.Marshal(v)
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != want {
					t.Errorf("%s = %s, want %s", path, got, want)
				}
			}
			for _, path := range tt.absent {
				if v, ok := at(st, path); ok {
					t.Errorf("%s = %v, want it absent", path, v)
				}
			}
			for _, secret := range []string{testPassword, testMasterName, testSAMLMaster} {
				if strings.Contains(raw, secret) {
					t.Errorf("DomainStatus shows %q: %s", secret, raw)
				}
			}

			legacy, legacyRaw := renderLegacyWire(t, d)
			checkElasticsearchDomainStatus(t, legacy)
			for path, want := range tt.legacy {
				v, ok := at(legacy, path)
				if !ok {
					t.Errorf("legacy %s missing, want %s", path, want)
					continue
				}
				got, _ := json.Marshal(v)
				if string(got) != want {
					t.Errorf("legacy %s = %s, want %s", path, got, want)
				}
			}
			for _, secret := range []string{testPassword, testMasterName, testSAMLMaster} {
				if strings.Contains(legacyRaw, secret) {
					t.Errorf("ElasticsearchDomainStatus shows %q: %s", secret, legacyRaw)
				}
			}
		})
	}
}

// The VPC and security group osemu makes up are stable and look like AWS
// IDs; a domain without security groups gets its VPC's default one.
func TestDomainStatusVPCDerived(t *testing.T) {
	body := `{"DomainName": "books", "EBSOptions": {"EBSEnabled": true, "VolumeSize": 10},
		"VPCOptions": {"SubnetIds": ["subnet-0a1b2c3d"], "EgressEnabled": false}}`
	a, _ := renderWire(t, mustDomain(t, body, osemu.DomainActive))
	b, _ := renderWire(t, mustDomain(t, body, osemu.DomainActive))

	for _, path := range []string{"VPCOptions.VPCId", "VPCOptions.SecurityGroupIds.0"} {
		va, _ := at(a, path)
		vb, _ := at(b, path)
		if va != vb {
			t.Errorf("%s differs between renderings: %v, %v", path, va, vb)
		}
	}
	id, _ := at(a, "VPCOptions.VPCId")
	if s, _ := id.(string); !strings.HasPrefix(s, "vpc-") || len(s) != len("vpc-")+17 {
		t.Errorf("VPCId = %v, want vpc- and 17 hex digits", id)
	}
	sg, _ := at(a, "VPCOptions.SecurityGroupIds.0")
	if s, _ := sg.(string); !strings.HasPrefix(s, "sg-") || len(s) != len("sg-")+17 {
		t.Errorf("SecurityGroupIds[0] = %v, want sg- and 17 hex digits", sg)
	}
	if v, _ := at(a, "VPCOptions.AvailabilityZones"); fmt.Sprint(v) != "[eu-west-1a]" {
		t.Errorf("AvailabilityZones = %v, want [eu-west-1a]", v)
	}
	if v, ok := at(a, "VPCOptions.EgressEnabled"); !ok || v != false {
		t.Errorf("EgressEnabled = %v (present %v), want false", v, ok)
	}
}

// The pause state follows the clock through the pause window.
func TestDomainStatusSnapshotPauseState(t *testing.T) {
	start := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(48 * time.Hour)
	body := fmt.Sprintf(`{"DomainName": "books", "EBSOptions": {"EBSEnabled": true, "VolumeSize": 10},
		"AutomatedSnapshotPauseOptions": {"Enabled": %%t, "StartTime": %d, "EndTime": %d}}`,
		start.Unix(), end.Unix())

	tests := []struct {
		enabled bool
		now     time.Time
		want    string
	}{
		{true, start.Add(-time.Second), "Scheduled"},
		{true, start, "Active"},
		{true, end.Add(-time.Millisecond), "Active"},
		{true, end, "Completed"},
		{false, start.Add(time.Hour), "Disabled"},
	}
	for _, tt := range tests {
		d := mustDomain(t, fmt.Sprintf(body, tt.enabled), osemu.DomainActive)
		cfg, err := storedConfig(d)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := wire(t, renderDomainStatus(d, cfg, tt.now))
		checkDomainStatus(t, st)
		if got, _ := at(st, "AutomatedSnapshotPauseOptions.State"); got != tt.want {
			t.Errorf("enabled %v at %v: State = %v, want %s", tt.enabled, tt.now, got, tt.want)
		}
	}
}

// domainStatus and elasticsearchDomainStatus, the entry points, render what
// the tests above check, and refuse a corrupt stored configuration.
func TestDomainStatusEntryPoints(t *testing.T) {
	d := mustDomain(t, `{"DomainName": "books"}`, osemu.DomainActive)

	st, err := domainStatus(d)
	if err != nil {
		t.Fatalf("domainStatus: %v", err)
	}
	wst, _ := wire(t, st)
	checkDomainStatus(t, wst)

	es, err := elasticsearchDomainStatus(d)
	if err != nil {
		t.Fatalf("elasticsearchDomainStatus: %v", err)
	}
	wes, _ := wire(t, es)
	checkElasticsearchDomainStatus(t, wes)
	if _, ok := wes["EngineVersion"]; ok {
		t.Error("ElasticsearchDomainStatus has EngineVersion")
	}

	// A domain stored without configuration renders with defaults.
	d.Config = nil
	if st, err := domainStatus(d); err != nil {
		t.Errorf("domainStatus without config: %v", err)
	} else {
		wst, _ := wire(t, st)
		checkDomainStatus(t, wst)
	}

	d.Config = json.RawMessage(`{"ClusterConfig": `)
	if _, err := domainStatus(d); err == nil {
		t.Error("domainStatus with a corrupt config: no error")
	}
}

func TestDomainConfigStored(t *testing.T) {
	body := `{"DomainName": "books", "EngineVersion": "OpenSearch_2.19",
		"TagList": [{"Key": "team", "Value": "search"}],
		"ClusterConfig": {"InstanceType": "r6g.large.search", "InstanceCount": 1},
		"EBSOptions": {"EBSEnabled": true, "VolumeSize": 10},
		"NodeToNodeEncryptionOptions": {"Enabled": true},
		"EncryptionAtRestOptions": {"Enabled": true},
		"DomainEndpointOptions": {"EnforceHTTPS": true},
		"AdvancedSecurityOptions": {"Enabled": true, "InternalUserDatabaseEnabled": true,
			"MasterUserOptions": {"MasterUserName": "` + testMasterName + `",
				"MasterUserPassword": "` + testPassword + `"}},
		"AutomatedSnapshotPauseOptions": {"Enabled": true, "StartTime": 1748000000.25}}`
	input := mustBind(t, awsmodel.OpenSearch(), "CreateDomain", body)

	raw, err := domainConfig(input)
	if err != nil {
		t.Fatalf("domainConfig: %v", err)
	}
	cfg, _ := wire(t, raw)

	var keys []string
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := "AdvancedSecurityOptions,AutomatedSnapshotPauseOptions,ClusterConfig," +
		"DomainEndpointOptions,EBSOptions,EncryptionAtRestOptions,NodeToNodeEncryptionOptions"
	if got := strings.Join(keys, ","); got != want {
		t.Errorf("stored members = %s, want %s", got, want)
	}
	if strings.Contains(string(raw), testPassword) {
		t.Errorf("stored config holds the master password: %s", raw)
	}
	const masterUser = "AdvancedSecurityOptions.MasterUserOptions."
	if v, _ := at(cfg, masterUser+"MasterUserName"); v != testMasterName {
		t.Errorf("stored MasterUserName = %v, want %s", v, testMasterName)
	}
	if v, _ := at(cfg, "AutomatedSnapshotPauseOptions.StartTime"); v != json.Number("1748000000.25") {
		t.Errorf("stored StartTime = %#v, want the number 1748000000.25", v)
	}

	// The caller's input is left as it was.
	if v, _ := at(input, masterUser+"MasterUserPassword"); v != testPassword {
		t.Errorf("input MasterUserPassword = %v after domainConfig, want it untouched", v)
	}
	if _, ok := input["DomainName"]; !ok {
		t.Error("input DomainName removed by domainConfig")
	}

	// Timestamps that reach domainConfig as time.Time are stored as numbers.
	input["AutomatedSnapshotPauseOptions"] = map[string]any{
		"Enabled": true, "StartTime": time.UnixMilli(1748000000250).UTC(),
	}
	raw, err = domainConfig(input)
	if err != nil {
		t.Fatalf("domainConfig: %v", err)
	}
	cfg, _ = wire(t, raw)
	if v, _ := at(cfg, "AutomatedSnapshotPauseOptions.StartTime"); v != json.Number("1748000000.25") {
		t.Errorf("stored StartTime from time.Time = %#v, want the number 1748000000.25", v)
	}
}

// The legacy API's CreateElasticsearchDomain stores the same configuration
// as CreateDomain, in the 2021-01-01 shape.
func TestElasticsearchDomainConfig(t *testing.T) {
	body := `{"DomainName": "books", "ElasticsearchVersion": "7.10",
		"ElasticsearchClusterConfig": {"InstanceType": "r5.large.elasticsearch",
			"DedicatedMasterEnabled": true, "DedicatedMasterType": "c5.large.elasticsearch",
			"DedicatedMasterCount": 3},
		"EBSOptions": {"EBSEnabled": true, "VolumeSize": 10}}`
	input := mustBind(t, awsmodel.Elasticsearch(), "CreateElasticsearchDomain", body)

	raw, err := elasticsearchDomainConfig(input)
	if err != nil {
		t.Fatalf("elasticsearchDomainConfig: %v", err)
	}
	cfg, _ := wire(t, raw)
	want := `{"ClusterConfig":{"DedicatedMasterCount":3,"DedicatedMasterEnabled":true,` +
		`"DedicatedMasterType":"c5.large.search","InstanceType":"r5.large.search"},` +
		`"EBSOptions":{"EBSEnabled":true,"VolumeSize":10}}`
	if got, _ := json.Marshal(cfg); string(got) != want {
		t.Errorf("stored config = %s, want %s", got, want)
	}

	d := &osemu.Domain{Scope: testScope, Name: "books", EngineVersion: "Elasticsearch_7.10",
		State: osemu.DomainActive, Config: raw, Endpoint: testEndpoint,
		CreatedAt: testCreatedAt, UpdatedAt: testUpdatedAt}
	es, err := elasticsearchDomainStatus(d)
	if err != nil {
		t.Fatal(err)
	}
	wes, _ := wire(t, es)
	checkElasticsearchDomainStatus(t, wes)
	v, _ := at(wes, "ElasticsearchClusterConfig.DedicatedMasterType")
	if v != "c5.large.elasticsearch" {
		t.Errorf("DedicatedMasterType = %v, want c5.large.elasticsearch", v)
	}
}

func TestDomainConfigRules(t *testing.T) {
	// Building blocks of valid bodies.
	const (
		ebs    = `"EBSOptions": {"EBSEnabled": true, "VolumeSize": 10}`
		secure = `"NodeToNodeEncryptionOptions": {"Enabled": true},
			"EncryptionAtRestOptions": {"Enabled": true},
			"DomainEndpointOptions": {"EnforceHTTPS": true}`
	)
	body := func(members ...string) string {
		return `{"DomainName": "books", ` + strings.Join(members, ", ") + `}`
	}

	tests := []struct {
		name string
		body string
		want string // the ValidationException message, "" when valid
	}{
		{"name only", `{"DomainName": "books"}`, ""},
		{"instance storage", body(`"ClusterConfig": {"InstanceType": "i3.large.search"}`), ""},
		{"ebs", body(`"ClusterConfig": {"InstanceType": "t3.small.search"}`, ebs), ""},

		{"zero instances", body(`"ClusterConfig": {"InstanceCount": 0}`, ebs),
			"Instance count must be at least 1."},

		{"master without type", body(`"ClusterConfig": {"DedicatedMasterEnabled": true,
			"DedicatedMasterCount": 3}`, ebs),
			"Dedicated master type must be specified when dedicated master nodes are enabled."},
		{"master without count", body(`"ClusterConfig": {"DedicatedMasterEnabled": true,
			"DedicatedMasterType": "m5.large.search"}`, ebs),
			"Dedicated master count must be specified when dedicated master nodes are enabled."},
		{"masters", body(`"ClusterConfig": {"DedicatedMasterEnabled": true,
			"DedicatedMasterType": "m5.large.search", "DedicatedMasterCount": 3}`, ebs), ""},
		{"master type without enabling", body(`"ClusterConfig": {
			"DedicatedMasterType": "m5.large.search"}`, ebs), ""},

		{"four zones", body(`"ClusterConfig": {"InstanceCount": 4, "ZoneAwarenessEnabled": true,
			"ZoneAwarenessConfig": {"AvailabilityZoneCount": 4}}`, ebs),
			"NumberOfAvailabilityZones should be either 2 or 3"},
		{"one zone", body(`"ClusterConfig": {"InstanceCount": 2, "ZoneAwarenessEnabled": true,
			"ZoneAwarenessConfig": {"AvailabilityZoneCount": 1}}`, ebs),
			"NumberOfAvailabilityZones should be either 2 or 3"},
		{"odd nodes in two zones", body(`"ClusterConfig": {"InstanceCount": 3,
			"ZoneAwarenessEnabled": true}`, ebs),
			"You must choose an even number of data nodes for a two Availability Zone deployment"},
		{"default one node in two zones", body(`"ClusterConfig": {"ZoneAwarenessEnabled": true}`, ebs),
			"You must choose an even number of data nodes for a two Availability Zone deployment"},
		{"two zones", body(`"ClusterConfig": {"InstanceCount": 4,
			"ZoneAwarenessEnabled": true}`, ebs), ""},
		{"three zones", body(`"ClusterConfig": {"InstanceCount": 3, "ZoneAwarenessEnabled": true,
			"ZoneAwarenessConfig": {"AvailabilityZoneCount": 3}}`, ebs), ""},
		{"zone count without awareness", body(`"ClusterConfig": {
			"ZoneAwarenessConfig": {"AvailabilityZoneCount": 5}}`, ebs), ""},

		{"warm without type", body(`"ClusterConfig": {"WarmEnabled": true, "WarmCount": 2,
			"DedicatedMasterEnabled": true, "DedicatedMasterType": "m5.large.search",
			"DedicatedMasterCount": 3}`, ebs),
			"Warm type must be specified when warm nodes are enabled."},
		{"warm without count", body(`"ClusterConfig": {"WarmEnabled": true,
			"WarmType": "ultrawarm1.medium.search", "DedicatedMasterEnabled": true,
			"DedicatedMasterType": "m5.large.search", "DedicatedMasterCount": 3}`, ebs),
			"Warm count must be specified when warm nodes are enabled."},
		{"warm without masters", body(`"ClusterConfig": {"WarmEnabled": true,
			"WarmType": "ultrawarm1.medium.search", "WarmCount": 2}`, ebs),
			"UltraWarm requires dedicated master nodes."},
		{"warm and cold", body(`"ClusterConfig": {"WarmEnabled": true,
			"WarmType": "ultrawarm1.medium.search", "WarmCount": 2,
			"DedicatedMasterEnabled": true, "DedicatedMasterType": "m5.large.search",
			"DedicatedMasterCount": 3, "ColdStorageOptions": {"Enabled": true}}`, ebs), ""},
		{"cold without warm", body(`"ClusterConfig": {"ColdStorageOptions": {"Enabled": true}}`, ebs),
			"Cold storage requires UltraWarm to be enabled."},

		{"ebs without size", body(`"EBSOptions": {"EBSEnabled": true}`),
			"Volume size must be provided when EBS is enabled."},
		{"ebs of size zero", body(`"EBSOptions": {"EBSEnabled": true, "VolumeSize": 0}`),
			"Volume size must be provided when EBS is enabled."},
		{"ebs options while disabled", body(`"ClusterConfig": {"InstanceType": "i3.large.search"}`,
			`"EBSOptions": {"EBSEnabled": false, "VolumeType": "gp3"}`),
			"EBSEnabled must be set to true to use any of the EBS options."},
		{"no ebs on an ebs-only type", body(`"ClusterConfig": {"InstanceType": "t3.small.search"}`),
			"EBS storage must be selected for t3.small.search"},
		{"ebs disabled on the default type", body(`"EBSOptions": {"EBSEnabled": false}`),
			"EBS storage must be selected for m4.large.search"},
		{"ebs disabled on instance storage",
			body(`"ClusterConfig": {"InstanceType": "r6gd.large.search"}`,
				`"EBSOptions": {"EBSEnabled": false}`), ""},

		{"vpc with two subnets in one zone", body(ebs,
			`"VPCOptions": {"SubnetIds": ["subnet-1", "subnet-2"]}`),
			"You must specify exactly one subnet."},
		{"vpc without subnets", body(ebs, `"VPCOptions": {"SecurityGroupIds": ["sg-1"]}`),
			"You must specify exactly one subnet."},
		{"vpc with one subnet in two zones", body(ebs,
			`"ClusterConfig": {"InstanceCount": 2, "ZoneAwarenessEnabled": true}`,
			`"VPCOptions": {"SubnetIds": ["subnet-1"]}`),
			"You must specify exactly two subnets because you’ve set zone count to two."},
		{"vpc with two subnets in three zones", body(ebs,
			`"ClusterConfig": {"InstanceCount": 3, "ZoneAwarenessEnabled": true,
				"ZoneAwarenessConfig": {"AvailabilityZoneCount": 3}}`,
			`"VPCOptions": {"SubnetIds": ["subnet-1", "subnet-2"]}`),
			"You must specify exactly three subnets because you’ve set zone count to three."},
		{"vpc", body(ebs, `"ClusterConfig": {"InstanceCount": 2, "ZoneAwarenessEnabled": true}`,
			`"VPCOptions": {"SubnetIds": ["subnet-1", "subnet-2"]}`), ""},

		{"autotune on t3", body(`"ClusterConfig": {"InstanceType": "t3.small.search"}`, ebs,
			`"AutoTuneOptions": {"DesiredState": "ENABLED"}`),
			"Autotune is not supported in t2/t3 instance types. " +
				"Disable autotune or change your instance type."},
		{"autotune off on t3", body(`"ClusterConfig": {"InstanceType": "t3.small.search"}`, ebs,
			`"AutoTuneOptions": {"DesiredState": "DISABLED"}`), ""},
		{"autotune on r6g", body(`"ClusterConfig": {"InstanceType": "r6g.large.search"}`, ebs,
			`"AutoTuneOptions": {"DesiredState": "ENABLED"}`), ""},

		{"security without https", body(ebs, `"NodeToNodeEncryptionOptions": {"Enabled": true},
			"EncryptionAtRestOptions": {"Enabled": true},
			"AdvancedSecurityOptions": {"Enabled": true, "InternalUserDatabaseEnabled": true,
				"MasterUserOptions": {"MasterUserName": "admin", "MasterUserPassword": "Passw0rd!x"}}`),
			"You must enable EnforceHTTPS in the domain endpoint options to use advanced security."},
		{"security without node-to-node", body(ebs, `"EncryptionAtRestOptions": {"Enabled": true},
			"DomainEndpointOptions": {"EnforceHTTPS": true},
			"AdvancedSecurityOptions": {"Enabled": true, "InternalUserDatabaseEnabled": true,
				"MasterUserOptions": {"MasterUserName": "admin", "MasterUserPassword": "Passw0rd!x"}}`),
			"You must enable node-to-node encryption to use advanced security."},
		{"security without encryption at rest", body(ebs,
			`"NodeToNodeEncryptionOptions": {"Enabled": true},
			"DomainEndpointOptions": {"EnforceHTTPS": true},
			"AdvancedSecurityOptions": {"Enabled": true, "InternalUserDatabaseEnabled": true,
				"MasterUserOptions": {"MasterUserName": "admin", "MasterUserPassword": "Passw0rd!x"}}`),
			"You must enable encryption at rest to use advanced security."},
		{"internal database without password", body(ebs, secure,
			`"AdvancedSecurityOptions": {"Enabled": true, "InternalUserDatabaseEnabled": true,
				"MasterUserOptions": {"MasterUserName": "admin"}}`),
			"You must provide a master username and password when the internal user database is enabled."},
		{"internal database with an ARN", body(ebs, secure,
			`"AdvancedSecurityOptions": {"Enabled": true, "InternalUserDatabaseEnabled": true,
				"MasterUserOptions": {"MasterUserARN": "arn:aws:iam::123456789012:role/admin"}}`),
			"You must provide a master username and password when the internal user database is enabled."},
		{"master user name without internal database", body(ebs, secure,
			`"AdvancedSecurityOptions": {"Enabled": true,
				"MasterUserOptions": {"MasterUserName": "admin", "MasterUserPassword": "Passw0rd!x"}}`),
			"If you don’t enable the internal user database, you must provide a master user ARN."},
		{"master user ARN and name", body(ebs, secure,
			`"AdvancedSecurityOptions": {"Enabled": true,
				"MasterUserOptions": {"MasterUserARN": "arn:aws:iam::123456789012:role/admin",
					"MasterUserName": "admin"}}`),
			"You must enable the internal user database to use a master username and password."},
		{"security without master user", body(ebs, secure,
			`"AdvancedSecurityOptions": {"Enabled": true}`),
			"If you don’t enable the internal user database, you must provide a master user ARN."},
		{"internal database", body(ebs, secure,
			`"AdvancedSecurityOptions": {"Enabled": true, "InternalUserDatabaseEnabled": true,
				"MasterUserOptions": {"MasterUserName": "admin", "MasterUserPassword": "Passw0rd!x"}}`), ""},
		{"master user ARN", body(ebs, secure,
			`"AdvancedSecurityOptions": {"Enabled": true,
				"MasterUserOptions": {"MasterUserARN": "arn:aws:iam::123456789012:role/admin"}}`), ""},
		{"security disabled", body(ebs, `"AdvancedSecurityOptions": {"Enabled": false}`), ""},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := mustBind(t, awsmodel.OpenSearch(), "CreateDomain", tt.body)
			_, err := domainConfig(input)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("domainConfig: %v, want no error", err)
				}
				return
			}
			var e *osemu.Error
			if !errors.As(err, &e) {
				t.Fatalf("domainConfig: %v, want ValidationException %q", err, tt.want)
			}
			if e.Code != osemu.CodeValidation || e.Message != tt.want {
				t.Errorf("domainConfig: %s %q, want %s %q",
					e.Code, e.Message, osemu.CodeValidation, tt.want)
			}
		})
	}
}

// The legacy API names instance types its own way in messages too.
func TestElasticsearchDomainConfigRules(t *testing.T) {
	tests := []struct {
		body string
		want string
	}{
		{`{"DomainName": "books",
			"ElasticsearchClusterConfig": {"InstanceType": "t2.small.elasticsearch"}}`,
			"EBS storage must be selected for t2.small.elasticsearch"},
		{`{"DomainName": "books", "EBSOptions": {"EBSEnabled": false}}`,
			"EBS storage must be selected for m4.large.elasticsearch"},
		{`{"DomainName": "books", "EBSOptions": {"EBSEnabled": true, "VolumeSize": 10},
			"ElasticsearchClusterConfig": {"InstanceCount": 3, "ZoneAwarenessEnabled": true}}`,
			"You must choose an even number of data nodes for a two Availability Zone deployment"},
	}
	for _, tt := range tests {
		input := mustBind(t, awsmodel.Elasticsearch(), "CreateElasticsearchDomain", tt.body)
		_, err := elasticsearchDomainConfig(input)
		var e *osemu.Error
		if !errors.As(err, &e) || e.Code != osemu.CodeValidation || e.Message != tt.want {
			t.Errorf("elasticsearchDomainConfig(%s) = %v, want ValidationException %q",
				tt.body, err, tt.want)
		}
	}
}
