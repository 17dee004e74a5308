package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/awsmodel"
)

// This file turns a CreateDomain request into the configuration osemu
// stores, checks the rules AWS applies to that configuration beyond the
// model's constraints, and renders a stored domain as the DomainStatus of
// the 2021-01-01 API and the ElasticsearchDomainStatus of the 2015-01-01 API.
//
// osemu runs no cluster: a domain is its configuration. DomainStatus is built
// from the defaults a fresh AWS domain reports, overlaid with what the
// configuration sets, so that a client sees every member it would see on AWS.

// Defaults a new AWS domain reports for what its configuration leaves out.
const (
	// AWS: (unverified) for the 2015-01-01 API AWS answered a domain created
	// with no configuration at all with "EBS storage must be selected for
	// m4.large.elasticsearch", so m4.large was the default data node type
	// there; the 2021-01-01 API is assumed to keep it.
	defaultInstanceType = "m4.large.search"

	// AWS: (unverified) gp2 and 10 GiB, the smallest volume, are what osemu
	// reports when neither an instance type nor EBS options were given (see
	// checkStorage).
	defaultVolumeType = "gp2"
	defaultVolumeSize = 10

	// gp3 volumes come with a baseline of 3,000 IOPS and 125 MiB/s, which
	// AWS reports when the request names none.
	gp3BaselineIops       = 3000
	gp3BaselineThroughput = 125

	// AWS: (unverified) the TLS policy of a new domain whose request names
	// none; AWS has moved new domains to TLS 1.2.
	defaultTLSPolicy = "Policy-Min-TLS-1-2-2019-07"

	// Domains created since February 2023 have the off-peak window enabled,
	// and it starts at 22:00 unless the request says otherwise.
	// AWS: (unverified) the 22:00 start.
	defaultOffPeakHour = 22

	// serviceSoftwareRelease is the service software release osemu reports
	// for every domain, as in "OpenSearch_2_19_R20250630".
	// AWS: each engine version has its own release history; osemu reports
	// one release for all and never offers an update.
	serviceSoftwareRelease = "R20250630"

	noUpdateDescription = "There is no software update available for this domain."
)

// Instance type suffixes of the two APIs: r5.large.search in 2021-01-01 is
// r5.large.elasticsearch in 2015-01-01. osemu stores the former.
const (
	searchSuffix        = ".search"
	elasticsearchSuffix = ".elasticsearch"
)

// instanceStoreFamilies are the instance families of the model's enum with
// local storage; every other data node type needs EBS.
var instanceStoreFamilies = map[string]bool{
	"m3": true, "r3": true, "i2": true, "d2": true, "i3": true, "r6gd": true,
}

// configExcluded are the CreateDomain members that are not configuration:
// the domain's name and engine version are columns of their own, and tags
// live in the tag store.
var configExcluded = []string{"DomainName", "EngineVersion", "TagList"}

// domainConfig returns the configuration to store for a CreateDomain input,
// a generic tree keyed by model member names that has passed the model's
// validation: every member except DomainName, EngineVersion and TagList, as
// JSON. It first checks the rules AWS applies on top of the model, answering
// a broken rule with a ValidationException.
//
// The master user's password is not stored: DomainStatus never shows it and
// osemu runs no cluster that would need it.
func domainConfig(input map[string]any) (json.RawMessage, error) {
	return storeConfig(input, false)
}

// elasticsearchDomainConfig is domainConfig for a CreateElasticsearchDomain
// input of the 2015-01-01 API. It stores the configuration in the shape of
// the 2021-01-01 API (ClusterConfig, "*.search" instance types), so that a
// domain renders the same through either API. ElasticsearchVersion is left
// out like EngineVersion; the caller turns it into an engine version.
func elasticsearchDomainConfig(input map[string]any) (json.RawMessage, error) {
	in := copyMap(input)
	delete(in, "ElasticsearchVersion")

	if cc, ok := in["ElasticsearchClusterConfig"].(map[string]any); ok {
		cc = copyMap(cc)
		for _, k := range []string{"InstanceType", "DedicatedMasterType", "WarmType"} {
			if t, ok := cc[k].(string); ok {
				cc[k] = strings.TrimSuffix(t, elasticsearchSuffix) + searchSuffix
			}
		}
		in["ClusterConfig"] = cc
	}
	delete(in, "ElasticsearchClusterConfig")
	return storeConfig(in, true)
}

// storeConfig checks a CreateDomain input of either API, already in the
// 2021-01-01 shape, and returns what to store. legacy names instance types
// the way the 2015-01-01 API does in messages.
func storeConfig(input map[string]any, legacy bool) (json.RawMessage, error) {
	cfg := make(map[string]any, len(input))
	for k, v := range input {
		cfg[k] = normalizeValue(v)
	}
	for _, k := range configExcluded {
		delete(cfg, k)
	}

	if err := checkDomainConfig(cfg, legacy); err != nil {
		return nil, err
	}

	dropMasterPassword(cfg)
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encode domain config: %w", err)
	}
	return raw, nil
}

// dropMasterPassword removes the master user's password from cfg, a copy
// of the input (see normalizeValue).
func dropMasterPassword(cfg map[string]any) {
	mu := mapOf(mapOf(cfg, "AdvancedSecurityOptions"), "MasterUserOptions")
	delete(mu, "MasterUserPassword")
	if mu != nil && len(mu) == 0 {
		delete(cfg["AdvancedSecurityOptions"].(map[string]any), "MasterUserOptions")
	}
}

// checkDomainConfig checks the rules AWS applies to a new domain's
// configuration beyond the model's constraints. legacy names instance types
// the way the 2015-01-01 API does in messages.
func checkDomainConfig(cfg map[string]any, legacy bool) error {
	checks := []func(map[string]any, bool) error{
		checkCluster, checkStorage, checkVPC, checkAutoTune, checkSecurity, checkAccessPolicies,
	}
	for _, check := range checks {
		if err := check(cfg, legacy); err != nil {
			return err
		}
	}
	return nil
}

// checkAccessPolicies refuses an access policy that is not a JSON object.
//
// AWS: (unverified) wording; AWS also checks the policy's grammar, which
// osemu does not.
func checkAccessPolicies(cfg map[string]any, _ bool) error {
	policy, _ := cfg["AccessPolicies"].(string)
	if strings.TrimSpace(policy) == "" {
		return nil
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		return invalid("The access policy is not a valid JSON policy document: %v", err)
	}
	return nil
}

// invalid returns a ValidationException with a fixed message.
func invalid(format string, args ...any) error {
	return osemu.Errorf(osemu.CodeValidation, format, args...)
}

// checkCluster checks the data, master and warm nodes and zone awareness.
func checkCluster(cfg map[string]any, legacy bool) error {
	cc := mapOf(cfg, "ClusterConfig")

	// AWS: (unverified) wording; the model sets no minimum on InstanceCount.
	if n, ok := intOf(cc["InstanceCount"]); ok && n < 1 {
		return invalid("Instance count must be at least 1.")
	}

	// AWS: (unverified) wording of both messages.
	if boolOf(cc, "DedicatedMasterEnabled") {
		if _, ok := cc["DedicatedMasterType"]; !ok {
			return invalid("Dedicated master type must be specified " +
				"when dedicated master nodes are enabled.")
		}
		if _, ok := cc["DedicatedMasterCount"]; !ok {
			return invalid("Dedicated master count must be specified " +
				"when dedicated master nodes are enabled.")
		}
	}

	if boolOf(cc, "ZoneAwarenessEnabled") {
		azs := availabilityZoneCount(cc)
		if azs != 2 && azs != 3 {
			return invalid("NumberOfAvailabilityZones should be either 2 or 3")
		}
		if n := instanceCount(cc); azs == 2 && n%2 != 0 {
			return invalid("You must choose an even number of data nodes " +
				"for a two Availability Zone deployment")
		}
	}

	// UltraWarm needs its node type and count, and dedicated master nodes.
	// AWS: (unverified) wording of the three messages.
	if boolOf(cc, "WarmEnabled") {
		if _, ok := cc["WarmType"]; !ok {
			return invalid("Warm type must be specified when warm nodes are enabled.")
		}
		if _, ok := cc["WarmCount"]; !ok {
			return invalid("Warm count must be specified when warm nodes are enabled.")
		}
		if !boolOf(cc, "DedicatedMasterEnabled") {
			return invalid("UltraWarm requires dedicated master nodes.")
		}
	}

	// Cold storage sits behind UltraWarm.
	// AWS: (unverified) wording.
	if boolOf(mapOf(cc, "ColdStorageOptions"), "Enabled") && !boolOf(cc, "WarmEnabled") {
		return invalid("Cold storage requires UltraWarm to be enabled.")
	}
	return nil
}

// checkStorage checks the EBS options against the data node type.
func checkStorage(cfg map[string]any, legacy bool) error {
	ebs, given := cfg["EBSOptions"].(map[string]any)
	enabled := boolOf(ebs, "EBSEnabled")

	if given && enabled {
		// AWS: (unverified) a VolumeSize of 0 counts as not provided.
		if n, ok := intOf(ebs["VolumeSize"]); !ok || n <= 0 {
			return invalid("Volume size must be provided when EBS is enabled.")
		}
	}
	if given && !enabled {
		for _, k := range []string{"VolumeType", "VolumeSize", "Iops", "Throughput"} {
			if _, ok := ebs[k]; ok {
				return invalid("EBSEnabled must be set to true to use any of the EBS options.")
			}
		}
	}

	// AWS: a request that names neither an instance type nor EBS options
	// fails on AWS for want of EBS storage on the default type; osemu gives
	// such a domain a default EBS volume instead, so that the shortest
	// CreateDomain call works.
	cc := mapOf(cfg, "ClusterConfig")
	typ, named := cc["InstanceType"].(string)
	if !named && !given {
		return nil
	}
	if !named {
		typ = defaultInstanceType
	}
	if !enabled && !instanceStoreFamilies[instanceFamily(typ)] {
		return invalid("EBS storage must be selected for %s", displayType(typ, legacy))
	}
	return nil
}

// checkVPC checks that a VPC domain has one subnet per Availability Zone.
func checkVPC(cfg map[string]any, legacy bool) error {
	vpc, ok := cfg["VPCOptions"].(map[string]any)
	if !ok {
		return nil
	}
	subnets, _ := vpc["SubnetIds"].([]any)
	cc := mapOf(cfg, "ClusterConfig")

	if !boolOf(cc, "ZoneAwarenessEnabled") {
		if len(subnets) != 1 {
			return invalid("You must specify exactly one subnet.")
		}
		return nil
	}

	// The zone count is 2 or 3 here: checkCluster ran first.
	azs := availabilityZoneCount(cc)
	if int64(len(subnets)) != azs {
		word := map[int64]string{2: "two", 3: "three"}[azs]
		return invalid("You must specify exactly %s subnets because you’ve set zone count to %s.",
			word, word)
	}
	return nil
}

// checkAutoTune refuses Auto-Tune on burstable instance types.
func checkAutoTune(cfg map[string]any, legacy bool) error {
	at := mapOf(cfg, "AutoTuneOptions")
	if at["DesiredState"] != "ENABLED" {
		return nil
	}
	if !autoTuneSupportsType(dataInstanceType(cfg)) {
		return invalid("Autotune is not supported in t2/t3 instance types. " +
			"Disable autotune or change your instance type.")
	}
	return nil
}

// checkSecurity checks what fine-grained access control needs: HTTPS,
// encryption in transit and at rest, and a master user.
func checkSecurity(cfg map[string]any, legacy bool) error {
	aso := mapOf(cfg, "AdvancedSecurityOptions")
	if !boolOf(aso, "Enabled") {
		return nil
	}

	if !boolOf(mapOf(cfg, "DomainEndpointOptions"), "EnforceHTTPS") {
		return invalid("You must enable EnforceHTTPS in the domain endpoint options " +
			"to use advanced security.")
	}
	// AWS: (unverified) wording of the next two messages.
	if !boolOf(mapOf(cfg, "NodeToNodeEncryptionOptions"), "Enabled") {
		return invalid("You must enable node-to-node encryption to use advanced security.")
	}
	if !boolOf(mapOf(cfg, "EncryptionAtRestOptions"), "Enabled") {
		return invalid("You must enable encryption at rest to use advanced security.")
	}

	mu := mapOf(aso, "MasterUserOptions")
	_, hasName := mu["MasterUserName"]
	_, hasPassword := mu["MasterUserPassword"]
	_, hasARN := mu["MasterUserARN"]
	if boolOf(aso, "InternalUserDatabaseEnabled") {
		if !hasName || !hasPassword {
			return invalid("You must provide a master username and password " +
				"when the internal user database is enabled.")
		}
		return nil
	}
	if !hasARN {
		return invalid("If you don’t enable the internal user database, " +
			"you must provide a master user ARN.")
	}
	// AWS: (unverified) wording.
	if hasName || hasPassword {
		return invalid("You must enable the internal user database " +
			"to use a master username and password.")
	}
	return nil
}

// domainStatus renders a domain as the DomainStatus of the 2021-01-01 API,
// as CreateDomain, DescribeDomain, DescribeDomains and DeleteDomain return
// it.
func domainStatus(d *osemu.Domain) (map[string]any, error) {
	cfg, err := storedConfig(d)
	if err != nil {
		return nil, err
	}
	return renderDomainStatus(d, cfg, time.Now()), nil
}

// elasticsearchDomainStatus renders a domain as the ElasticsearchDomainStatus
// of the 2015-01-01 API: DomainStatus with ElasticsearchVersion and
// ElasticsearchClusterConfig, "*.elasticsearch" instance types, and only the
// members the older shape has.
func elasticsearchDomainStatus(d *osemu.Domain) (map[string]any, error) {
	cfg, err := storedConfig(d)
	if err != nil {
		return nil, err
	}
	return legacyStatus(renderDomainStatus(d, cfg, time.Now())), nil
}

// legacyStatus turns a DomainStatus into an ElasticsearchDomainStatus.
func legacyStatus(st map[string]any) map[string]any {
	// The legacy API names Elasticsearch versions without their engine
	// ("7.10") and OpenSearch versions in full ("OpenSearch_2.19").
	if ev, ok := st["EngineVersion"].(string); ok {
		st["ElasticsearchVersion"] = strings.TrimPrefix(ev, "Elasticsearch_")
	}
	delete(st, "EngineVersion")

	if cc, ok := st["ClusterConfig"].(map[string]any); ok {
		for _, k := range []string{"InstanceType", "DedicatedMasterType", "WarmType"} {
			if t, ok := cc[k].(string); ok {
				cc[k] = displayType(t, true)
			}
		}
		st["ElasticsearchClusterConfig"] = cc
	}
	delete(st, "ClusterConfig")

	shape := awsmodel.Elasticsearch().Shape("ElasticsearchDomainStatus")
	out, _ := pruneToShape(st, shape).(map[string]any)
	return out
}

// pruneToShape drops from v every key the shape does not have, and every
// structure left empty by that, so that a value of the newer API fits the
// older one.
func pruneToShape(v any, sh *awsmodel.Shape) any {
	if sh == nil {
		return v
	}
	switch sh.Type {
	case awsmodel.TypeStructure:
		obj, ok := v.(map[string]any)
		if !ok || sh.Document {
			return v
		}
		out := make(map[string]any, len(obj))
		for k, mv := range obj {
			m := sh.Member(k)
			if m == nil {
				continue
			}
			pv := pruneToShape(mv, m.Shape)
			if sub, ok := pv.(map[string]any); ok && len(sub) == 0 &&
				m.Shape.Type == awsmodel.TypeStructure {
				continue
			}
			out[k] = pv
		}
		return out

	case awsmodel.TypeList:
		list, ok := v.([]any)
		if !ok {
			return v
		}
		out := make([]any, len(list))
		for i, e := range list {
			out[i] = pruneToShape(e, sh.Elem)
		}
		return out

	case awsmodel.TypeMap:
		obj, ok := v.(map[string]any)
		if !ok {
			return v
		}
		out := make(map[string]any, len(obj))
		for k, e := range obj {
			out[k] = pruneToShape(e, sh.Value)
		}
		return out

	default:
		return v
	}
}

// storedConfig decodes a domain's stored configuration, numbers kept as
// json.Number.
func storedConfig(d *osemu.Domain) (map[string]any, error) {
	cfg := map[string]any{}
	if len(bytes.TrimSpace(d.Config)) == 0 {
		return cfg, nil
	}
	dec := json.NewDecoder(bytes.NewReader(d.Config))
	dec.UseNumber()
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("domain %s: decode stored config: %w", d.Name, err)
	}
	if cfg == nil {
		cfg = map[string]any{}
	}
	return cfg, nil
}

// renderDomainStatus builds the DomainStatus of d from its configuration,
// with now deciding time-dependent states.
func renderDomainStatus(d *osemu.Domain, cfg map[string]any, now time.Time) map[string]any {
	creating := d.State == osemu.DomainCreating
	st := map[string]any{
		"DomainId":               d.DomainID(),
		"DomainName":             d.Name,
		"ARN":                    d.ARN(),
		"Created":                true,
		"Deleted":                d.State == osemu.DomainDeleting,
		"Processing":             d.State != osemu.DomainActive,
		"UpgradeProcessing":      false,
		"DomainProcessingStatus": string(d.State),
		"EngineVersion":          d.EngineVersion,
		"AccessPolicies":         "",
		"IPAddressType":          "ipv4",

		// AWS reports the list empty while no configuration change is
		// pending.
		"ModifyingProperties": []any{},
	}

	// Options a new domain reports with defaults, overlaid with the
	// configured ones.
	defaults := map[string]map[string]any{
		"SnapshotOptions":             {"AutomatedSnapshotStartHour": 0},
		"CognitoOptions":              {"Enabled": false},
		"NodeToNodeEncryptionOptions": {"Enabled": false},
		"SoftwareUpdateOptions":       {"AutoSoftwareUpdateEnabled": false},

		// AWS: (unverified) new domains report the default deployment
		// strategy.
		"DeploymentStrategyOptions": {"DeploymentStrategy": "Default"},
	}
	for key, def := range defaults {
		st[key] = overlay(def, cfg, key)
	}

	// Options converted from their input shape or derived from others.
	st["ClusterConfig"] = clusterConfigStatus(cfg)
	st["EBSOptions"] = ebsStatus(cfg)
	st["EncryptionAtRestOptions"] = encryptionAtRestStatus(d, cfg)
	st["AdvancedOptions"] = advancedOptionsStatus(d, cfg)
	st["ServiceSoftwareOptions"] = serviceSoftwareStatus(d)
	st["DomainEndpointOptions"] = domainEndpointStatus(cfg)
	st["AdvancedSecurityOptions"] = advancedSecurityStatus(cfg)
	st["AutoTuneOptions"] = autoTuneStatus(d, cfg, creating)
	st["ChangeProgressDetails"] = changeProgressStatus(d, creating)
	st["OffPeakWindowOptions"] = offPeakWindowStatus(cfg)

	// Members shown as given, or only when given.
	if p, ok := cfg["AccessPolicies"].(string); ok {
		st["AccessPolicies"] = p
	}
	if t, ok := cfg["IPAddressType"].(string); ok {
		st["IPAddressType"] = t
	}
	if lp, ok := cfg["LogPublishingOptions"].(map[string]any); ok && len(lp) > 0 {
		st["LogPublishingOptions"] = deepCopy(lp)
	}
	if ic := identityCenterStatus(d, cfg); ic != nil {
		st["IdentityCenterOptions"] = ic
	}
	if ai := aimlStatus(d, cfg, creating); ai != nil {
		st["AIMLOptions"] = ai
	}
	if sp := snapshotPauseStatus(cfg, now); sp != nil {
		st["AutomatedSnapshotPauseOptions"] = sp
	}

	vpc, inVPC := cfg["VPCOptions"].(map[string]any)
	if inVPC {
		st["VPCOptions"] = vpcStatus(d, vpc)
	}
	endpointStatus(st, d, inVPC)
	return st
}

// endpointStatus sets the domain's endpoints once it has been created: a
// public domain has Endpoint (and EndpointV2 when dual-stack), a VPC domain
// has Endpoints["vpc"].
func endpointStatus(st map[string]any, d *osemu.Domain, inVPC bool) {
	if d.Endpoint == "" || d.State == osemu.DomainCreating {
		return
	}
	if inVPC {
		host := "vpc-" + strings.TrimPrefix(d.Endpoint, "search-")
		st["Endpoints"] = map[string]any{"vpc": host}
		return
	}
	st["Endpoint"] = d.Endpoint

	// AWS: (unverified) the dual-stack endpoint is the same host under
	// aos.<region>.on.aws. DomainEndpointV2HostedZoneId is left out: osemu
	// does not know the per-region hosted zones.
	esSuffix := "." + d.Scope.Region + ".es.amazonaws.com"
	if st["IPAddressType"] == "dualstack" && strings.HasSuffix(d.Endpoint, esSuffix) {
		st["EndpointV2"] = strings.TrimSuffix(d.Endpoint, esSuffix) +
			".aos." + d.Scope.Region + ".on.aws"
	}
}

// clusterConfigStatus is the ClusterConfig of a new domain overlaid with
// the configured one.
func clusterConfigStatus(cfg map[string]any) map[string]any {
	cc := overlay(map[string]any{
		"InstanceType":              defaultInstanceType,
		"InstanceCount":             1,
		"DedicatedMasterEnabled":    false,
		"ZoneAwarenessEnabled":      false,
		"WarmEnabled":               false,
		"ColdStorageOptions":        map[string]any{"Enabled": false},
		"MultiAZWithStandbyEnabled": false,
	}, cfg, "ClusterConfig")

	// Zone awareness without a zone count means two zones.
	if boolOf(cc, "ZoneAwarenessEnabled") {
		if _, ok := cc["ZoneAwarenessConfig"]; !ok {
			cc["ZoneAwarenessConfig"] = map[string]any{"AvailabilityZoneCount": 2}
		}
	}
	return cc
}

// ebsStatus is the domain's EBS options with AWS's defaults filled in.
func ebsStatus(cfg map[string]any) map[string]any {
	ebs, ok := cfg["EBSOptions"].(map[string]any)
	if !ok {
		// See checkStorage: instance storage, or the default EBS volume.
		if t, ok := mapOf(cfg, "ClusterConfig")["InstanceType"].(string); ok &&
			instanceStoreFamilies[instanceFamily(t)] {
			return map[string]any{"EBSEnabled": false}
		}
		return map[string]any{
			"EBSEnabled": true,
			"VolumeType": defaultVolumeType,
			"VolumeSize": defaultVolumeSize,
		}
	}

	out := deepCopy(ebs).(map[string]any)
	if !boolOf(out, "EBSEnabled") {
		out["EBSEnabled"] = false
		return out
	}
	if _, ok := out["VolumeType"]; !ok {
		out["VolumeType"] = defaultVolumeType
	}
	if out["VolumeType"] == "gp3" {
		if _, ok := out["Iops"]; !ok {
			out["Iops"] = gp3BaselineIops
		}
		if _, ok := out["Throughput"]; !ok {
			out["Throughput"] = gp3BaselineThroughput
		}
	}
	return out
}

// encryptionAtRestStatus reports encryption at rest, naming the KMS key
// AWS uses when the request names none: the account's AWS managed key for
// OpenSearch Service.
func encryptionAtRestStatus(d *osemu.Domain, cfg map[string]any) map[string]any {
	out := overlay(map[string]any{"Enabled": false}, cfg, "EncryptionAtRestOptions")
	if boolOf(out, "Enabled") {
		if _, ok := out["KmsKeyId"]; !ok {
			// AWS: (unverified) the key ID is a made-up but stable UUID.
			out["KmsKeyId"] = "arn:aws:kms:" + d.Scope.Region + ":" + d.Scope.Account +
				":key/" + guid("aws/es", d.Scope.Account, d.Scope.Region)
		}
	}
	return out
}

// advancedOptionsStatus is the default advanced options of the domain's
// engine overlaid with the configured ones: AWS reports its defaults even
// when the request sets others.
func advancedOptionsStatus(d *osemu.Domain, cfg map[string]any) map[string]any {
	out := map[string]any{"rest.action.multi.allow_explicit_index": "true"}
	if osemu.EngineType(d.EngineVersion) == "OpenSearch" {
		out["override_main_response_version"] = "false"
	}
	for k, v := range mapOf(cfg, "AdvancedOptions") {
		out[k] = v
	}
	return out
}

// serviceSoftwareStatus reports up-to-date service software.
func serviceSoftwareStatus(d *osemu.Domain) map[string]any {
	return map[string]any{
		"CurrentVersion":      serviceSoftwareVersion(d.EngineVersion),
		"NewVersion":          "",
		"UpdateAvailable":     false,
		"Cancellable":         false,
		"UpdateStatus":        "COMPLETED",
		"Description":         noUpdateDescription,
		"AutomatedUpdateDate": osemu.NewTime(time.Unix(0, 0)),
		"OptionalDeployment":  true,
	}
}

// serviceSoftwareVersion names the service software of an engine version,
// e.g. OpenSearch_2.19 -> OpenSearch_2_19_R20250630.
func serviceSoftwareVersion(engineVersion string) string {
	return strings.ReplaceAll(engineVersion, ".", "_") + "_" + serviceSoftwareRelease
}

// domainEndpointStatus is the endpoint options with AWS's defaults.
func domainEndpointStatus(cfg map[string]any) map[string]any {
	return overlay(map[string]any{
		"EnforceHTTPS":          false,
		"TLSSecurityPolicy":     defaultTLSPolicy,
		"CustomEndpointEnabled": false,
	}, cfg, "DomainEndpointOptions")
}

// advancedSecurityStatus converts AdvancedSecurityOptionsInput into the
// AdvancedSecurityOptions output. The master user (name, ARN, password) and
// SAML's master user and backend role are never shown.
func advancedSecurityStatus(cfg map[string]any) map[string]any {
	in := mapOf(cfg, "AdvancedSecurityOptions")
	out := map[string]any{
		"Enabled":                     boolOf(in, "Enabled"),
		"InternalUserDatabaseEnabled": boolOf(in, "InternalUserDatabaseEnabled"),
		"AnonymousAuthEnabled":        boolOf(in, "AnonymousAuthEnabled"),
	}

	if saml, ok := in["SAMLOptions"].(map[string]any); ok {
		// SessionTimeoutMinutes defaults to 60, as documented.
		o := pick(saml, "Enabled", "Idp", "SubjectKey", "RolesKey", "SessionTimeoutMinutes")
		if _, ok := o["SessionTimeoutMinutes"]; !ok && boolOf(saml, "Enabled") {
			o["SessionTimeoutMinutes"] = 60
		}
		if len(o) > 0 {
			out["SAMLOptions"] = o
		}
	}
	if jwt, ok := in["JWTOptions"].(map[string]any); ok {
		if o := pick(jwt, "Enabled", "SubjectKey", "RolesKey", "JwksUrl", "PublicKey"); len(o) > 0 {
			out["JWTOptions"] = o
		}
	}
	if iam, ok := in["IAMFederationOptions"].(map[string]any); ok {
		if o := pick(iam, "Enabled", "SubjectKey", "RolesKey"); len(o) > 0 {
			out["IAMFederationOptions"] = o
		}
	}
	return out
}

// identityCenterStatus converts IdentityCenterOptionsInput into the
// IdentityCenterOptions output, adding the application and identity store
// AWS creates for API access. nil when the request has none.
func identityCenterStatus(d *osemu.Domain, cfg map[string]any) map[string]any {
	in, ok := cfg["IdentityCenterOptions"].(map[string]any)
	if !ok {
		return nil
	}
	out := pick(in, "EnabledAPIAccess", "IdentityCenterInstanceARN",
		"IdentityCenterInstanceRegion", "SubjectKey", "RolesKey")

	// AWS: the application and identity store IDs are made up but stable,
	// derived from the instance and the domain.
	inst, _ := in["IdentityCenterInstanceARN"].(string)
	if boolOf(in, "EnabledAPIAccess") && inst != "" {
		instanceID := inst[strings.LastIndex(inst, "/")+1:]
		out["IdentityCenterApplicationARN"] = "arn:aws:sso::" + d.Scope.Account +
			":application/" + instanceID + "/apl-" + hashHex(16, inst, d.ARN())
		out["IdentityStoreId"] = "d-" + hashHex(10, inst)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// autoTuneStatus converts AutoTuneOptionsInput into AutoTuneOptionsOutput.
// Auto-Tune is on by default where AWS supports it, and reported as being
// enabled until the domain is active.
func autoTuneStatus(d *osemu.Domain, cfg map[string]any, creating bool) map[string]any {
	in := mapOf(cfg, "AutoTuneOptions")
	desired, ok := in["DesiredState"].(string)
	if !ok {
		desired = "DISABLED"
		if autoTuneSupportsType(dataInstanceType(cfg)) && autoTuneSupportsEngine(d.EngineVersion) {
			desired = "ENABLED"
		}
	}

	state := "DISABLED"
	if desired == "ENABLED" {
		state = "ENABLED"
		if creating {
			state = "ENABLE_IN_PROGRESS"
		}
	}
	return map[string]any{
		"State":            state,
		"UseOffPeakWindow": boolOf(in, "UseOffPeakWindow"),
	}
}

// changeProgressStatus reports the domain's latest configuration change:
// its creation, applied while the domain is being created.
func changeProgressStatus(d *osemu.Domain, creating bool) map[string]any {
	status := "Completed"
	if creating {
		status = "ApplyingChanges"
	}
	out := map[string]any{
		"ConfigChangeStatus": status,
		"InitiatedBy":        "CUSTOMER",
		"StartTime":          osemu.NewTime(d.CreatedAt),
		"LastUpdatedTime":    osemu.NewTime(d.UpdatedAt),
	}
	if d.ChangeID != "" {
		out["ChangeId"] = d.ChangeID
	}
	return out
}

// offPeakWindowStatus reports the off-peak window, enabled by default.
func offPeakWindowStatus(cfg map[string]any) map[string]any {
	out := overlay(map[string]any{"Enabled": true}, cfg, "OffPeakWindowOptions")
	if boolOf(out, "Enabled") {
		if _, ok := out["OffPeakWindow"]; !ok {
			out["OffPeakWindow"] = map[string]any{
				"WindowStartTime": map[string]any{"Hours": defaultOffPeakHour, "Minutes": 0},
			}
		}
	}
	return out
}

// aimlStatus converts AIMLOptionsInput into AIMLOptionsOutput. Domains of
// OpenSearch 2.13 and later report natural language query generation even
// when the request does not mention it. nil when there is nothing to report.
func aimlStatus(d *osemu.Domain, cfg map[string]any, creating bool) map[string]any {
	in, given := cfg["AIMLOptions"].(map[string]any)
	if !given && !supportsNLQ(d.EngineVersion) {
		return nil
	}

	out := map[string]any{}
	nlq, nlqGiven := in["NaturalLanguageQueryGenerationOptions"].(map[string]any)
	if nlqGiven || supportsNLQ(d.EngineVersion) {
		// AWS: (unverified) a domain that never asked for it reports
		// DISABLED and NOT_ENABLED.
		desired, ok := nlq["DesiredState"].(string)
		if !ok {
			desired = "DISABLED"
		}
		current := "NOT_ENABLED"
		if desired == "ENABLED" {
			current = "ENABLE_COMPLETE"
			if creating {
				current = "ENABLE_IN_PROGRESS"
			}
		}
		out["NaturalLanguageQueryGenerationOptions"] = map[string]any{
			"DesiredState": desired,
			"CurrentState": current,
		}
	}
	for _, k := range []string{"S3VectorsEngine", "ServerlessVectorAcceleration"} {
		if v, ok := in[k].(map[string]any); ok && len(v) > 0 {
			out[k] = deepCopy(v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// snapshotPauseStatus converts AutomatedSnapshotPauseRequestOptions into
// AutomatedSnapshotPauseOptions, whose State says where now falls in the
// pause window. nil when the request has none.
func snapshotPauseStatus(cfg map[string]any, now time.Time) map[string]any {
	in, ok := cfg["AutomatedSnapshotPauseOptions"].(map[string]any)
	if !ok {
		return nil
	}
	out := pick(in, "Enabled", "StartTime", "EndTime")
	out["Enabled"] = boolOf(in, "Enabled")

	// AWS: (unverified) a pause without a start starts at once, and one
	// without an end lasts until it is disabled.
	state := "Disabled"
	if boolOf(in, "Enabled") {
		t := float64(now.UnixMilli()) / 1000
		start, hasStart := floatOf(in["StartTime"])
		end, hasEnd := floatOf(in["EndTime"])
		switch {
		case hasStart && t < start:
			state = "Scheduled"
		case hasEnd && t >= end:
			state = "Completed"
		default:
			state = "Active"
		}
	}
	out["State"] = state
	return out
}

// vpcStatus converts VPCOptions into VPCDerivedInfo. osemu knows no real
// VPC: the VPC, the default security group and the Availability Zones are
// derived from the subnets.
func vpcStatus(d *osemu.Domain, vpc map[string]any) map[string]any {
	subnets := stringsOf(vpc["SubnetIds"])
	first := ""
	if len(subnets) > 0 {
		first = subnets[0]
	}

	// AWS: the VPC ID and the Availability Zones are made up but stable:
	// the VPC from the first subnet, one zone per subnet in order
	// (<region>a, <region>b, ...).
	vpcID := "vpc-" + hashHex(17, d.Scope.Account, d.Scope.Region, first)
	zones := make([]any, len(subnets))
	for i := range subnets {
		zones[i] = d.Scope.Region + string(rune('a'+i%26))
	}

	// Without security groups AWS uses the VPC's default one.
	groups := stringsOf(vpc["SecurityGroupIds"])
	if len(groups) == 0 {
		groups = []string{"sg-" + hashHex(17, vpcID, "default")}
	}

	out := map[string]any{
		"VPCId":             vpcID,
		"SubnetIds":         anyList(subnets),
		"AvailabilityZones": zones,
		"SecurityGroupIds":  anyList(groups),
	}
	if e, ok := vpc["EgressEnabled"].(bool); ok {
		out["EgressEnabled"] = e
	}
	return out
}

// dataInstanceType is the domain's data node type, given or default.
func dataInstanceType(cfg map[string]any) string {
	if t, ok := mapOf(cfg, "ClusterConfig")["InstanceType"].(string); ok {
		return t
	}
	return defaultInstanceType
}

// autoTuneSupportsType reports whether Auto-Tune runs on an instance type:
// not on the burstable t2 and t3.
func autoTuneSupportsType(instanceType string) bool {
	f := instanceFamily(instanceType)
	return f != "t2" && f != "t3"
}

// autoTuneSupportsEngine reports whether Auto-Tune runs on an engine
// version: every OpenSearch version, and Elasticsearch from 6.7.
func autoTuneSupportsEngine(engineVersion string) bool {
	if osemu.EngineType(engineVersion) == "OpenSearch" {
		return true
	}
	return versionAtLeast(engineVersion, 6, 7)
}

// supportsNLQ reports whether an engine version offers natural language
// query generation: OpenSearch 2.13 and later.
func supportsNLQ(engineVersion string) bool {
	return osemu.EngineType(engineVersion) == "OpenSearch" && versionAtLeast(engineVersion, 2, 13)
}

// versionAtLeast reports whether an engine version such as "OpenSearch_2.13"
// is at least major.minor.
func versionAtLeast(engineVersion string, major, minor int) bool {
	v := engineVersion[strings.IndexByte(engineVersion, '_')+1:]
	majText, minText, _ := strings.Cut(v, ".")
	a, err1 := strconv.Atoi(majText)
	b, err2 := strconv.Atoi(minText)
	if err1 != nil || err2 != nil {
		return false
	}
	return a > major || a == major && b >= minor
}

// instanceFamily returns the family of an instance type: r6gd.large.search
// -> r6gd.
func instanceFamily(instanceType string) string {
	f, _, _ := strings.Cut(instanceType, ".")
	return f
}

// displayType names an instance type the way the API at hand does.
func displayType(instanceType string, legacy bool) string {
	if !legacy {
		return instanceType
	}
	return strings.TrimSuffix(instanceType, searchSuffix) + elasticsearchSuffix
}

// availabilityZoneCount is the zone count of a zone-aware cluster, 2 unless
// configured.
func availabilityZoneCount(cc map[string]any) int64 {
	if n, ok := intOf(mapOf(cc, "ZoneAwarenessConfig")["AvailabilityZoneCount"]); ok {
		return n
	}
	return 2
}

// instanceCount is the cluster's data node count, 1 unless configured.
func instanceCount(cc map[string]any) int64 {
	if n, ok := intOf(cc["InstanceCount"]); ok {
		return n
	}
	return 1
}

// overlay returns defaults with the members of cfg[key] laid over them.
func overlay(defaults map[string]any, cfg map[string]any, key string) map[string]any {
	for k, v := range mapOf(cfg, key) {
		defaults[k] = deepCopy(v)
	}
	return defaults
}

// pick returns copies of the named members of m that are set.
func pick(m map[string]any, keys ...string) map[string]any {
	out := make(map[string]any, len(keys))
	for _, k := range keys {
		if v, ok := m[k]; ok && v != nil {
			out[k] = deepCopy(v)
		}
	}
	return out
}

// mapOf returns m[key] as an object, or nil (which reads as empty).
func mapOf(m map[string]any, key string) map[string]any {
	v, _ := m[key].(map[string]any)
	return v
}

// boolOf reports whether m[key] is true.
func boolOf(m map[string]any, key string) bool {
	b, _ := m[key].(bool)
	return b
}

// intOf returns a JSON number as an integer.
func intOf(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, true
		}
		f, err := x.Float64()
		if err != nil || f != math.Trunc(f) {
			return 0, false
		}
		return int64(f), true
	case float64:
		return int64(x), x == math.Trunc(x)
	case int:
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}

// floatOf returns a JSON number as a float.
func floatOf(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}

// stringsOf returns the strings of a JSON list.
func stringsOf(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// anyList turns strings into a JSON list.
func anyList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// copyMap returns a shallow copy of m.
func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// deepCopy copies a generic JSON value, so that rendering never shares maps
// or lists with the decoded configuration.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	default:
		return v
	}
}

// normalizeValue deep-copies an input value, turning timestamps into epoch
// seconds so that they are stored, and later rendered, as JSON numbers.
func normalizeValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		ms := x.UnixMilli()
		return json.Number(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64))
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalizeValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeValue(e)
		}
		return out
	default:
		return v
	}
}

// hashHex returns n lowercase hex digits derived from parts: stable made-up
// identifiers.
func hashHex(n int, parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:])[:n]
}

// guid returns a stable made-up GUID derived from parts.
func guid(parts ...string) string {
	h := hashHex(32, parts...)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
