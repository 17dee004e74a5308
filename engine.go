package osemu

import "strings"

// EngineVersions lists the engine versions CreateDomain accepts, oldest
// first within each engine.
//
// AWS: the list follows the versions Amazon OpenSearch Service offered for
// new domains in late 2025; a version AWS has since added or retired may be
// missing or present here.
var EngineVersions = []string{
	"Elasticsearch_1.5", "Elasticsearch_2.3",
	"Elasticsearch_5.1", "Elasticsearch_5.3", "Elasticsearch_5.5", "Elasticsearch_5.6",
	"Elasticsearch_6.0", "Elasticsearch_6.2", "Elasticsearch_6.3", "Elasticsearch_6.4",
	"Elasticsearch_6.5", "Elasticsearch_6.7", "Elasticsearch_6.8",
	"Elasticsearch_7.1", "Elasticsearch_7.4", "Elasticsearch_7.7", "Elasticsearch_7.8",
	"Elasticsearch_7.9", "Elasticsearch_7.10",
	"OpenSearch_1.0", "OpenSearch_1.1", "OpenSearch_1.2", "OpenSearch_1.3",
	"OpenSearch_2.3", "OpenSearch_2.5", "OpenSearch_2.7", "OpenSearch_2.9",
	"OpenSearch_2.11", "OpenSearch_2.13", "OpenSearch_2.15", "OpenSearch_2.17",
	"OpenSearch_2.19", "OpenSearch_3.1",
}

// DefaultEngineVersion is what CreateDomain uses when the request names
// none: the latest OpenSearch version, as on AWS.
const DefaultEngineVersion = "OpenSearch_3.1"

// ValidEngineVersion reports whether CreateDomain accepts v.
func ValidEngineVersion(v string) bool {
	for _, ev := range EngineVersions {
		if ev == v {
			return true
		}
	}
	return false
}

// EngineType returns "OpenSearch" or "Elasticsearch" for an engine version.
func EngineType(v string) string {
	if strings.HasPrefix(v, "Elasticsearch_") {
		return "Elasticsearch"
	}
	return "OpenSearch"
}
