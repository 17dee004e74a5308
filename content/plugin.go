package content

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/osemu/osemu"
)

// checkPlugin accepts a ZIP-PLUGIN: a zip with safe entry paths, at most
// MaxPluginSize uncompressed, holding a plugin-descriptor.properties that
// names the plugin and the engine version the package is for. It returns
// what the descriptor says and the uncompressed size.
func checkPlugin(in Input) (*osemu.PluginProperties, error) {
	engine, err := parseEngineVersion(in.EngineVersion)
	if err != nil {
		return nil, err
	}

	zr, src, err := openZip(in)
	if err != nil {
		return nil, err
	}

	st, err := scanZip(zr)
	if err != nil {
		return nil, err
	}

	// Find and read the descriptor; the other entries are only read
	// through at the end, to verify them.
	f := findDescriptor(zr.File)
	if f == nil {
		return nil, &Invalid{
			Type: "MissingPluginDescriptor",
			Message: "The zip file has no " + descriptorName + " at its root " +
				"or inside a single top-level folder.",
		}
	}
	props, err := readDescriptor(f, src)
	if err != nil {
		return nil, err
	}

	// Take the fields. OpenSearch refuses to load a plugin whose
	// descriptor lacks name, description, version, classname, the engine's
	// version or java.version.
	get := func(key string) string { return strings.TrimSpace(props[key]) }
	versionKey := "opensearch.version"
	built := get(versionKey)
	if built == "" && engine.name == "Elasticsearch" {
		versionKey = "elasticsearch.version"
		built = get(versionKey)
	}
	var missing []string
	for _, key := range []string{"name", "description", "version", "classname", "java.version"} {
		if get(key) == "" {
			missing = append(missing, key)
		}
	}
	if built == "" {
		if engine.name == "Elasticsearch" {
			missing = append(missing, "opensearch.version or elasticsearch.version")
		} else {
			missing = append(missing, versionKey)
		}
	}
	if len(missing) > 0 {
		return nil, &Invalid{
			Type: "InvalidPluginDescriptor",
			Message: fmt.Sprintf("%s is missing the required properties: %s.",
				f.Name, strings.Join(missing, ", ")),
		}
	}

	if err := engine.accepts(built, versionKey); err != nil {
		return nil, err
	}
	if name := get("name"); !validPluginName(name) {
		return nil, &Invalid{
			Type: "InvalidPluginDescriptor",
			Message: fmt.Sprintf("%s has a name, %q, that cannot be a plugin's folder name: "+
				"use letters, digits, dots, dashes and underscores, up to 200 characters.", f.Name, name),
		}
	}

	if err := verifyEntries(zr, src); err != nil {
		return nil, err
	}

	size := int64(st.size)
	return &osemu.PluginProperties{
		Name:                    get("name"),
		Description:             get("description"),
		Version:                 get("version"),
		ClassName:               get("classname"),
		UncompressedSizeInBytes: &size,
	}, nil
}

// engineVersion is a package's EngineVersion, "OpenSearch_2.19".
type engineVersion struct {
	raw          string
	name         string // "OpenSearch" or "Elasticsearch"
	major, minor int
}

// parseEngineVersion parses a package's EngineVersion. The API layer has
// validated it, so a malformed one is the caller's error, not a verdict.
func parseEngineVersion(v string) (engineVersion, error) {
	name, num, _ := strings.Cut(v, "_")
	major, minor, _ := strings.Cut(num, ".")
	ev := engineVersion{raw: v, name: name}
	var okMajor, okMinor bool
	ev.major, okMajor = parseNumber(major)
	ev.minor, okMinor = parseNumber(minor)
	if (name != "OpenSearch" && name != "Elasticsearch") || !okMajor || !okMinor {
		return ev, fmt.Errorf("content: engine version %q is not OpenSearch_X.Y "+
			"or Elasticsearch_X.Y", v)
	}
	return ev, nil
}

// accepts returns a verdict unless built, the version the descriptor's
// versionKey names ("2.19.0"), fits the engine version: the same major and
// minor, and for OpenSearch a patch version of 0.
//
// AWS: the documented prerequisite is a descriptor version "similar to
// 2.15.0 or 2.x.0. That is, the patch version must be zero", for OpenSearch
// domains. Elasticsearch engines take any patch (unverified: AWS offers
// custom plugins on OpenSearch 2.15 and later only).
func (ev engineVersion) accepts(built, versionKey string) error {
	v, ok := parseVersion(built)
	if !ok {
		return &Invalid{
			Type: "InvalidPluginDescriptor",
			Message: fmt.Sprintf("The plugin descriptor's %s, %q, is not a version "+
				"of the form major.minor.patch.", versionKey, built),
		}
	}
	if v[0] != ev.major || v[1] != ev.minor {
		engine := "OpenSearch"
		if versionKey == "elasticsearch.version" {
			engine = "Elasticsearch"
		}
		return &Invalid{
			Type: "IncompatibleEngineVersion",
			Message: fmt.Sprintf("The plugin was built for %s %s (%s), which does not "+
				"match the package's engine version %s.", engine, built, versionKey, ev.raw),
		}
	}
	if ev.name == "OpenSearch" && v[2] != 0 {
		return &Invalid{
			Type: "IncompatibleEngineVersion",
			Message: fmt.Sprintf("The plugin was built for OpenSearch %s (%s); a plugin "+
				"for %s must be built for %d.%d.0, with patch version 0.",
				built, versionKey, ev.raw, ev.major, ev.minor),
		}
	}
	return nil
}

// parseVersion parses "2.19.0" into its three numbers. OpenSearch itself
// refuses qualifiers such as "-SNAPSHOT" in a descriptor.
func parseVersion(s string) (v [3]int, ok bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return v, false
	}
	for i, p := range parts {
		if v[i], ok = parseNumber(p); !ok {
			return v, false
		}
	}
	return v, true
}

// parseNumber parses a decimal number of digits only, without sign.
func parseNumber(s string) (int, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// validPluginName reports whether a plugin's name can name its folder in a
// node's plugins directory.
func validPluginName(name string) bool {
	if name == "" || len(name) > maxNameBytes || name == "." || name == ".." ||
		strings.HasPrefix(name, ".removing-") {
		return false
	}
	for _, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}
