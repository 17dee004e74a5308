package content

import (
	"archive/zip"
	"bytes"
	"errors"
	"hash/crc32"
	"io/fs"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/osemu/osemu"
)

// goodDescriptor is a valid descriptor for OpenSearch_2.19.
const goodDescriptor = "# Plugin descriptor\n" +
	"description=Analysis for ACME text\n" +
	"version=1.2.0\n" +
	"name=analysis-acme\n" +
	"classname=com.acme.AnalysisAcmePlugin\n" +
	"java.version=21\n" +
	"opensearch.version=2.19.0\n"

// descriptor returns goodDescriptor changed by key, value pairs; an empty
// value removes the key.
func descriptor(changes ...string) string {
	props := map[string]string{
		"description":        "Analysis for ACME text",
		"version":            "1.2.0",
		"name":               "analysis-acme",
		"classname":          "com.acme.AnalysisAcmePlugin",
		"java.version":       "21",
		"opensearch.version": "2.19.0",
	}
	for i := 0; i+1 < len(changes); i += 2 {
		if changes[i+1] == "" {
			delete(props, changes[i])
		} else {
			props[changes[i]] = changes[i+1]
		}
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + props[k] + "\n")
	}
	return b.String()
}

// noise returns n bytes that deflate cannot shrink, the same every run.
func noise(n int) string {
	rng := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return string(b)
}

// forged returns a zip holding files and an entry lib/big.jar whose
// header claims claim bytes uncompressed while it stores body, unchecked.
func forged(tb testing.TB, claim uint64, body []byte, files ...file) []byte {
	tb.Helper()
	return MustBuildZip(tb, func(zw *zip.Writer) error {
		for _, f := range files {
			w, err := zw.Create(f.name)
			if err != nil {
				return err
			}
			if _, err := w.Write([]byte(f.body)); err != nil {
				return err
			}
		}
		fh := stored("lib/big.jar", body)
		fh.UncompressedSize64 = claim
		return WriteRaw(zw, fh, body)
	})
}

func TestCheckPluginProperties(t *testing.T) {
	jar := noise(3000)
	size := func(bodies ...string) *int64 {
		var n int64
		for _, b := range bodies {
			n += int64(len(b))
		}
		return &n
	}
	props := func(description string, size *int64) *osemu.PluginProperties {
		return &osemu.PluginProperties{
			Name:                    "analysis-acme",
			Description:             description,
			Version:                 "1.2.0",
			ClassName:               "com.acme.AnalysisAcmePlugin",
			UncompressedSizeInBytes: size,
		}
	}
	javaStyle := "! written by hand\n" +
		"name : analysis-acme\n" +
		"description = Analysis for \\\n" +
		"      ACME text\n" +
		"version 1.2.0   \n" +
		"classname=com.acme.\\u0041nalysisAcmePlugin\n" +
		"java.version: 21\n" +
		"opensearch.version=2.19.0"
	esDescriptor := descriptor("opensearch.version", "", "elasticsearch.version", "7.10.2")

	tests := []struct {
		name   string
		engine string
		data   []byte
		want   *osemu.PluginProperties
	}{
		{
			"at the root", "OpenSearch_2.19",
			MustZip(t, file{descriptorName, goodDescriptor}, file{"analysis-acme.jar", jar},
				file{"lib/", ""}, file{"lib/dep.jar", "dep"}),
			props("Analysis for ACME text", size(goodDescriptor, jar, "dep")),
		},
		{
			"in a top-level folder", "OpenSearch_2.19",
			MustZip(t, file{"opensearch/", ""}, file{"opensearch/" + descriptorName, goodDescriptor},
				file{"opensearch/analysis-acme.jar", jar}),
			props("Analysis for ACME text", size(goodDescriptor, jar)),
		},
		{
			"java properties syntax", "OpenSearch_2.19",
			MustZip(t, file{descriptorName, javaStyle}),
			props("Analysis for ACME text", size(javaStyle)),
		},
		{
			"elasticsearch patch release", "Elasticsearch_7.10",
			MustZip(t, file{descriptorName, esDescriptor}),
			props("Analysis for ACME text", size(esDescriptor)),
		},
		{
			"later minor of the same major", "OpenSearch_3.1",
			MustZip(t, file{descriptorName, descriptor("opensearch.version", "3.1.0")}),
			props("Analysis for ACME text", size(descriptor("opensearch.version", "3.1.0"))),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Check(input(osemu.PackageTypeZipPlugin, "p.zip", tt.engine, tt.data))
			if err != nil {
				t.Fatalf("got %v, want valid", err)
			}
			if !reflect.DeepEqual(got.PluginProperties, tt.want) {
				t.Errorf("got %+v (size %d), want %+v (size %d)", got.PluginProperties,
					*got.PluginProperties.UncompressedSizeInBytes, tt.want, *tt.want.UncompressedSizeInBytes)
			}
		})
	}
}

func TestCheckPluginVerdicts(t *testing.T) {
	good := MustZip(t, file{descriptorName, goodDescriptor}, file{"a.jar", noise(100)})
	desc := []byte(goodDescriptor)
	withDescriptor := func(d string) []byte { return MustZip(t, file{descriptorName, d}) }
	withRaw := func(fh *zip.FileHeader, raw []byte) []byte {
		return MustBuildZip(t, func(zw *zip.Writer) error { return WriteRaw(zw, fh, raw) })
	}
	withName := func(name string) []byte {
		return MustZip(t, file{descriptorName, goodDescriptor}, file{name, "x"})
	}

	// Headers that do not match the bytes stored.
	badCRC := stored(descriptorName, desc)
	badCRC.CRC32++
	badDeflate := stored(descriptorName, desc)
	badDeflate.Method = zip.Deflate
	unknownMethod := stored(descriptorName, desc)
	unknownMethod.Method = 99
	understated := stored(descriptorName, desc)
	understated.UncompressedSize64 = 10

	tests := []struct {
		name     string
		engine   string // OpenSearch_2.19 when empty
		data     []byte
		wantType string
		wantMsg  string
	}{
		{"text", "", []byte(goodDescriptor), "InvalidZipFile", "not a valid zip file"},
		{"empty file", "", nil, "InvalidZipFile", "not a valid zip file"},
		{"truncated", "", good[:len(good)-10], "InvalidZipFile", "not a valid zip file"},
		{"local header only", "", good[:40], "InvalidZipFile", "not a valid zip file"},

		{"parent path", "", withName("../evil.jar"), "UnsafeZipEntry", `"../evil.jar"`},
		{"absolute path", "", withName("/etc/cron.d/x"), "UnsafeZipEntry", `"/etc/cron.d/x"`},
		{"inner parent path", "", withName("lib/../../x"), "UnsafeZipEntry", `"lib/../../x"`},
		{"backslash path", "", withName(`lib\..\x`), "UnsafeZipEntry", `"lib\\..\\x"`},
		{"drive letter", "", withName("C:/x"), "UnsafeZipEntry", `"C:/x"`},
		{"control character", "", withName("lib/a\tb.jar"), "UnsafeZipEntry", `"lib/a\tb.jar"`},
		{"leftover prefix", "", withName(".removing-x/a.jar"), "UnsafeZipEntry", `".removing-x/a.jar"`},
		{"long component", "", withName(strings.Repeat("a", 201)), "UnsafeZipEntry", "aaaa"},
		{"duplicate entry", "", withName(descriptorName), "DuplicateZipEntry", descriptorName},
		{"file and folder", "", MustZip(t, file{descriptorName, goodDescriptor}, file{"lib", "x"}, file{"lib/y.jar", "y"}),
			"DuplicateZipEntry", `"lib"`},
		{"folder then file", "", MustZip(t, file{descriptorName, goodDescriptor}, file{"lib/y.jar", "y"}, file{"lib", "x"}),
			"DuplicateZipEntry", `"lib"`},

		{"over 1 GiB", "", forged(t, 1<<30, []byte("jar"), file{descriptorName, goodDescriptor}),
			"UncompressedSizeExceeded", "exceeds the maximum of 1073741824 bytes (1 GiB)"},
		{"sizes overflow", "", MustBuildZip(t, func(zw *zip.Writer) error {
			for _, name := range []string{"a", "b"} {
				fh := stored(name, []byte("x"))
				fh.UncompressedSize64 = 1 << 63
				if err := WriteRaw(zw, fh, []byte("x")); err != nil {
					return err
				}
			}
			return nil
		}), "UncompressedSizeExceeded", "18446744073709551615 bytes"},

		{"no descriptor", "", MustZip(t, file{"a.jar", "x"}), "MissingPluginDescriptor",
			"no plugin-descriptor.properties at its root or inside a single top-level folder"},
		{"empty zip", "", MustZip(t), "MissingPluginDescriptor", "no plugin-descriptor.properties"},
		{"two folders deep", "", MustZip(t, file{"opensearch/acme/" + descriptorName, goodDescriptor}),
			"MissingPluginDescriptor", "no plugin-descriptor.properties"},
		{"two top-level folders", "",
			MustZip(t, file{"a/" + descriptorName, goodDescriptor}, file{"b/x.jar", "x"}),
			"MissingPluginDescriptor", "no plugin-descriptor.properties"},
		{"folder beside a root file", "",
			MustZip(t, file{"README", "x"}, file{"a/" + descriptorName, goodDescriptor}),
			"MissingPluginDescriptor", "no plugin-descriptor.properties"},
		{"descriptor is a folder", "", MustZip(t, file{descriptorName + "/", ""}),
			"MissingPluginDescriptor", "no plugin-descriptor.properties"},
		{"differently cased", "", MustZip(t, file{"Plugin-Descriptor.properties", goodDescriptor}),
			"MissingPluginDescriptor", "no plugin-descriptor.properties"},

		{"larger than the cap", "",
			withDescriptor(goodDescriptor + "#" + strings.Repeat("x", MaxDescriptorSize)),
			"InvalidPluginDescriptor",
			"plugin-descriptor.properties is larger than the maximum of 65536 bytes"},
		{"larger than its header says", "", withRaw(understated, desc),
			"InvalidPluginDescriptor", "plugin-descriptor.properties cannot be decompressed"},
		{"checksum mismatch", "", withRaw(badCRC, desc),
			"InvalidPluginDescriptor", "cannot be decompressed (zip: checksum error)"},
		{"corrupt deflate data", "", withRaw(badDeflate, []byte{0xff, 0xff, 0xff, 0xff}),
			"InvalidPluginDescriptor", "cannot be decompressed"},
		{"unknown compression", "", withRaw(unknownMethod, desc), "InvalidPluginDescriptor",
			"cannot be read from the zip file (zip: unsupported compression algorithm)"},
		{"malformed escape", "", withDescriptor(descriptor("description", `caf\u00g9`)),
			"InvalidPluginDescriptor", `line 2: malformed \uxxxx escape "\\u00g9"`},

		{"no name or classname", "", withDescriptor(descriptor("name", "", "classname", "")),
			"InvalidPluginDescriptor",
			"plugin-descriptor.properties is missing the required properties: name, classname."},
		{"blank version", "", withDescriptor(descriptor("version", "   ")),
			"InvalidPluginDescriptor", "missing the required properties: version."},
		{"nothing", "", withDescriptor("# empty\n"), "InvalidPluginDescriptor",
			"missing the required properties: name, description, version, classname, java.version, opensearch.version."},
		{"no description", "", withDescriptor(descriptor("description", "")), "InvalidPluginDescriptor",
			"missing the required properties: description."},
		{"no java.version", "", withDescriptor(descriptor("java.version", "")), "InvalidPluginDescriptor",
			"missing the required properties: java.version."},
		{"name with a slash", "", withDescriptor(descriptor("name", "../../evil")), "InvalidPluginDescriptor",
			"cannot be a plugin's folder name"},
		{"name of a leftover", "", withDescriptor(descriptor("name", ".removing-x")), "InvalidPluginDescriptor",
			"cannot be a plugin's folder name"},
		{"no opensearch.version", "", withDescriptor(descriptor("opensearch.version", "")),
			"InvalidPluginDescriptor", "missing the required properties: opensearch.version."},
		{"elasticsearch.version for OpenSearch", "",
			withDescriptor(descriptor("opensearch.version", "", "elasticsearch.version", "7.10.2")),
			"InvalidPluginDescriptor", "missing the required properties: opensearch.version."},
		{"no version for Elasticsearch", "Elasticsearch_7.10",
			withDescriptor(descriptor("opensearch.version", "")), "InvalidPluginDescriptor",
			"missing the required properties: opensearch.version or elasticsearch.version."},
		{"in the folder, missing name", "",
			MustZip(t, file{"opensearch/" + descriptorName, descriptor("name", "")}),
			"InvalidPluginDescriptor",
			"opensearch/plugin-descriptor.properties is missing the required properties: name."},
		{"two-part version", "", withDescriptor(descriptor("opensearch.version", "2.19")),
			"InvalidPluginDescriptor",
			`opensearch.version, "2.19", is not a version of the form major.minor.patch`},
		{"snapshot version", "", withDescriptor(descriptor("opensearch.version", "2.19.0-SNAPSHOT")),
			"InvalidPluginDescriptor", `"2.19.0-SNAPSHOT", is not a version`},

		{"other minor", "", withDescriptor(descriptor("opensearch.version", "2.17.0")),
			"IncompatibleEngineVersion", "built for OpenSearch 2.17.0 (opensearch.version), " +
				"which does not match the package's engine version OpenSearch_2.19."},
		{"minor that is a prefix", "", withDescriptor(descriptor("opensearch.version", "2.1.0")),
			"IncompatibleEngineVersion", "built for OpenSearch 2.1.0"},
		{"other major", "", withDescriptor(descriptor("opensearch.version", "3.19.0")),
			"IncompatibleEngineVersion", "built for OpenSearch 3.19.0"},
		{"patch release", "", withDescriptor(descriptor("opensearch.version", "2.19.1")),
			"IncompatibleEngineVersion",
			"a plugin for OpenSearch_2.19 must be built for 2.19.0, with patch version 0."},
		{"other Elasticsearch minor", "Elasticsearch_7.10",
			withDescriptor(descriptor("opensearch.version", "", "elasticsearch.version", "7.9.3")),
			"IncompatibleEngineVersion", "built for Elasticsearch 7.9.3 (elasticsearch.version), " +
				"which does not match the package's engine version Elasticsearch_7.10."},
		{"OpenSearch plugin for Elasticsearch", "Elasticsearch_7.10", withDescriptor(goodDescriptor),
			"IncompatibleEngineVersion", "built for OpenSearch 2.19.0 (opensearch.version), " +
				"which does not match the package's engine version Elasticsearch_7.10."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			engine := tt.engine
			if engine == "" {
				engine = "OpenSearch_2.19"
			}
			_, err := Check(input(osemu.PackageTypeZipPlugin, "p.zip", engine, tt.data))
			invalid := MustVerdict(t, err, tt.wantType, tt.wantMsg)
			if !strings.HasPrefix(invalid.Message, "PluginValidationFailureReason : ") {
				t.Errorf("got %q, want the PluginValidationFailureReason prefix", invalid.Message)
			}
		})
	}
}

func TestCheckConfig(t *testing.T) {
	tests := []struct {
		name     string
		data     []byte
		wantType string // "" for valid content
		wantMsg  string
	}{
		{"one file", MustZip(t, file{"acme.yml", "acme.mode: fast\n"}), "", ""},
		{"folders and files", MustZip(t, file{"config/", ""}, file{"config/acme/", ""},
			file{"config/acme/stopwords.txt", "the\n"}), "", ""},
		{"forged size at the cap", forged(t, MaxPluginSize-1, []byte("x"), file{"a", "x"}),
			"CorruptZipEntry", "cannot be decompressed intact"},

		{"not a zip", []byte("acme.mode: fast\n"), "InvalidZipFile", "not a valid zip file"},
		{"empty zip", MustZip(t), "EmptyZipFile", "holds no files"},
		{"folders only", MustZip(t, file{"config/", ""}, file{"config/acme/", ""}),
			"EmptyZipFile", "holds no files"},
		{"unsafe path", MustZip(t, file{"../../etc/opensearch.yml", "x"}),
			"UnsafeZipEntry", `"../../etc/opensearch.yml"`},
		{"over 1 GiB", forged(t, MaxPluginSize, []byte("x"), file{"a", "x"}),
			"UncompressedSizeExceeded", "1073741825 bytes, exceeds the maximum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Check(input(osemu.PackageTypeConfig, "config.zip", "", tt.data))
			if tt.wantType == "" {
				if err != nil {
					t.Fatalf("got %v, want valid", err)
				}
				if got.PluginProperties != nil {
					t.Errorf("got plugin properties %+v, want none", got.PluginProperties)
				}
				return
			}
			invalid := MustVerdict(t, err, tt.wantType, tt.wantMsg)
			if strings.Contains(invalid.Message, "PluginValidationFailureReason") {
				t.Errorf("got %q, want no plugin prefix on a configuration", invalid.Message)
			}
		})
	}
}

// readRange is the span of one ReadAt call.
type readRange struct{ off, end int64 }

// recordingReaderAt records the span of every read.
type recordingReaderAt struct {
	r     *bytes.Reader
	reads []readRange
}

func (r *recordingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	r.reads = append(r.reads, readRange{off, off + int64(len(p))})
	return r.r.ReadAt(p, off)
}

// TestCheckSizesFromHeaders proves that sizes come from the central
// directory: the entry's header claims far more than the 256 KiB it
// stores, which decompressing would expose as an error, and none of its
// bytes are read. A stored entry after it keeps it out of the last KiB,
// which archive/zip reads to find the end of the central directory.
// TestCheckSizesFromHeaders checks that an archive claiming more than the
// cap is refused from its headers, before any entry is decompressed, and
// that one claiming less is read through and refused for data that does
// not match its headers.
func TestCheckSizesFromHeaders(t *testing.T) {
	body := []byte(noise(256 << 10))
	padding := noise(2 << 10)
	tests := []struct {
		name     string
		typ      osemu.PackageType
		claim    uint64
		wantSize int64  // for a valid plugin
		wantType string // "" for valid content
	}{
		{"plugin over 1 GiB", osemu.PackageTypeZipPlugin, 2 << 30, 0, "UncompressedSizeExceeded"},
		{"plugin under 1 GiB", osemu.PackageTypeZipPlugin, 900 << 20, 0, "CorruptZipEntry"},
		{"config over 1 GiB", osemu.PackageTypeConfig, 2 << 30, 0, "UncompressedSizeExceeded"},
		{"config under 1 GiB", osemu.PackageTypeConfig, 900 << 20, 0, "CorruptZipEntry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := MustBuildZip(t, func(zw *zip.Writer) error {
				w, err := zw.Create(descriptorName)
				if err != nil {
					return err
				}
				if _, err := w.Write([]byte(goodDescriptor)); err != nil {
					return err
				}
				fh := stored("lib/big.jar", body)
				fh.UncompressedSize64 = tt.claim
				if err := WriteRaw(zw, fh, body); err != nil {
					return err
				}
				return WriteRaw(zw, stored("padding.txt", []byte(padding)), []byte(padding))
			})

			// Where the stored bytes of lib/big.jar lie.
			zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			big := zr.File[1]
			if big.Name != "lib/big.jar" || big.UncompressedSize64 != tt.claim {
				t.Fatalf("forged entry %s claims %d", big.Name, big.UncompressedSize64)
			}
			start, err := big.DataOffset()
			if err != nil {
				t.Fatal(err)
			}
			end := start + int64(len(body))

			rec := &recordingReaderAt{r: bytes.NewReader(data)}
			in := input(tt.typ, "p.zip", "OpenSearch_2.19", data)
			in.Content = rec
			got, err := Check(in)

			if tt.wantType == "CorruptZipEntry" {
				// Under the cap, the entry is read through, and its data
				// falls short of what its header claims.
				MustVerdict(t, err, tt.wantType, `"lib/big.jar" cannot be decompressed intact`)
				return
			}
			if tt.wantType != "" {
				MustVerdict(t, err, tt.wantType, "exceeds the maximum")
			} else if err != nil {
				t.Fatalf("got %v, want valid", err)
			} else if tt.typ == osemu.PackageTypeZipPlugin {
				if n := got.PluginProperties.UncompressedSizeInBytes; n == nil || *n != tt.wantSize {
					t.Errorf("got size %v, want %d", n, tt.wantSize)
				}
			}
			for _, r := range rec.reads {
				if r.off < end && r.end > start {
					t.Errorf("read [%d, %d) overlaps the entry's data [%d, %d)", r.off, r.end, start, end)
				}
			}
			if len(rec.reads) == 0 {
				t.Error("no reads recorded")
			}
		})
	}
}

func TestSafeEntryPath(t *testing.T) {
	tests := []struct {
		name   string
		want   string
		wantOK bool
	}{
		{"acme.jar", "acme.jar", true},
		{"lib/acme.jar", "lib/acme.jar", true},
		{"lib/", "lib", true},
		{"./lib/acme.jar", "", false},
		{"lib//a/./b", "", false},
		{"lib/./b", "", false},
		{"..acme", "..acme", true},
		{"acme..", "acme..", true},
		{"lib/...", "lib/...", true},
		{"", "", false},
		{".", "", false},
		{"./", "", false},
		{"..", "", false},
		{"../acme.jar", "", false},
		{"lib/..", "", false},
		{"lib/../acme.jar", "", false},
		{"/etc/passwd", "", false},
		{"//server/share", "", false},
		{`lib\acme.jar`, "", false},
		{`..\acme.jar`, "", false},
		{"C:acme.jar", "", false},
		{"c:/acme.jar", "", false},
		{"lib/a\x00.jar", "", false},
	}
	for _, tt := range tests {
		got, ok := SafeEntryPath(tt.name)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("SafeEntryPath(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}

// TestStoredHelper checks the helper the forged zips rely on: a header
// from stored reads back as the writer would have made it.
func TestStoredHelper(t *testing.T) {
	body := []byte("acme")
	data := MustBuildZip(t, func(zw *zip.Writer) error { return WriteRaw(zw, stored("a", body), body) })
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if f := zr.File[0]; f.CRC32 != crc32.ChecksumIEEE(body) || f.UncompressedSize64 != 4 {
		t.Errorf("got CRC %x size %d", f.CRC32, f.UncompressedSize64)
	}
}

func TestSymlinkEntryRefused(t *testing.T) {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	h := &zip.FileHeader{Name: "link", Method: zip.Store}
	h.SetMode(fs.ModeSymlink | 0o777)
	f, err := w.CreateHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("/etc/passwd"))
	w.Close()

	for _, typ := range []osemu.PackageType{osemu.PackageTypeConfig, osemu.PackageTypeZipPlugin} {
		_, err := Check(Input{Type: typ, Key: "c.zip", EngineVersion: "OpenSearch_2.19",
			Content: bytes.NewReader(b.Bytes()), Size: int64(b.Len())})
		var invalid *Invalid
		if !errors.As(err, &invalid) || invalid.Type != "UnsafeZipEntry" || !strings.Contains(invalid.Message, "link") {
			t.Errorf("%s with a symlink: got %v, want UnsafeZipEntry", typ, err)
		}
	}
}
