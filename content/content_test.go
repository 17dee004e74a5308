package content

import (
	"archive/zip"
	"bytes"
	"errors"
	"hash/crc32"
	"io"
	"strings"
	"testing"

	"github.com/osemu/osemu"
)

// input returns the Input that checks data as a package of type typ.
func input(typ osemu.PackageType, key, engine string, data []byte) Input {
	return Input{
		Type:          typ,
		Key:           key,
		EngineVersion: engine,
		Content:       bytes.NewReader(data),
		Size:          int64(len(data)),
	}
}

// MustVerdict fails tb unless err is an *Invalid of type wantType whose
// message mentions wantMsg, and returns it.
func MustVerdict(tb testing.TB, err error, wantType, wantMsg string) *Invalid {
	tb.Helper()
	var invalid *Invalid
	if !errors.As(err, &invalid) {
		tb.Fatalf("got %v, want an *Invalid %s", err, wantType)
	}
	if invalid.Type != wantType || !strings.Contains(invalid.Message, wantMsg) {
		tb.Errorf("got %s %q, want %s mentioning %q", invalid.Type, invalid.Message, wantType, wantMsg)
	}
	if d := invalid.Details(); d.ErrorType != wantType || d.ErrorMessage != invalid.Message {
		tb.Errorf("Details() = %+v", d)
	}
	if got, want := invalid.Error(), wantType+": "+invalid.Message; got != want {
		tb.Errorf("Error() = %q, want %q", got, want)
	}
	return invalid
}

// MustReadError fails tb unless err is a read error, not a verdict, that
// wraps errReset.
func MustReadError(tb testing.TB, err error) {
	tb.Helper()
	var invalid *Invalid
	if err == nil || errors.As(err, &invalid) {
		tb.Fatalf("got %v, want a read error that is not a verdict", err)
	}
	if !errors.Is(err, errReset) {
		tb.Errorf("got %v, want the reader's error wrapped", err)
	}
}

// file is an entry of a test zip; a name ending in "/" is a directory.
type file struct {
	name, body string
}

// MustZip returns a zip archive holding files, deflated.
func MustZip(tb testing.TB, files ...file) []byte {
	tb.Helper()
	return MustBuildZip(tb, func(zw *zip.Writer) error {
		for _, f := range files {
			w, err := zw.Create(f.name)
			if err != nil {
				return err
			}
			if _, err := io.WriteString(w, f.body); err != nil {
				return err
			}
		}
		return nil
	})
}

// MustBuildZip returns the zip archive that build writes.
func MustBuildZip(tb testing.TB, build func(zw *zip.Writer) error) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	if err := build(zw); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// WriteRaw adds an entry whose header says what fh says, sizes and
// checksum included, and whose stored bytes are raw, unchecked.
func WriteRaw(zw *zip.Writer, fh *zip.FileHeader, raw []byte) error {
	w, err := zw.CreateRaw(fh)
	if err != nil {
		return err
	}
	_, err = w.Write(raw)
	return err
}

// stored returns the header of an uncompressed entry holding body, as the
// writer would compute it.
func stored(name string, body []byte) *zip.FileHeader {
	return &zip.FileHeader{
		Name:               name,
		Method:             zip.Store,
		CRC32:              crc32.ChecksumIEEE(body),
		CompressedSize64:   uint64(len(body)),
		UncompressedSize64: uint64(len(body)),
	}
}

var errReset = errors.New("connection reset")

// failingReaderAt fails every read at an offset below from, and reads r
// beyond.
type failingReaderAt struct {
	r    io.ReaderAt
	from int64
}

func (f failingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < f.from {
		return 0, errReset
	}
	return f.r.ReadAt(p, off)
}

func TestCheckDictionary(t *testing.T) {
	// A multi-byte character straddling the reader's 64 KiB buffer.
	straddle := strings.Repeat("a", 64<<10-1) + "é\n"

	tests := []struct {
		name     string
		content  string
		wantType string // "" for valid content
		wantMsg  string
	}{
		{"ascii", "car, automobile\nthe\n", "", ""},
		{"accents", "café, coffee shop\nAtatürk\n", "", ""},
		{"bom", "\ufeffcar, automobile\n", "", ""},
		{"empty", "", "", ""},
		{"straddling rune", straddle, "", ""},
		{"latin-1 byte", "ok\nok\ncaf\xe9\n", "InvalidEncoding", "line 3 (byte offset 9)"},
		{"truncated rune", "ok\n\xc3", "InvalidEncoding", "line 2 (byte offset 3)"},
		{"nul byte", "a\x00b", "InvalidContent", "line 1 (byte offset 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input(osemu.PackageTypeTxtDictionary, "synonyms.txt", "", []byte(tt.content))
			got, err := Check(in)
			if tt.wantType == "" {
				if err != nil {
					t.Fatalf("got %v, want valid", err)
				}
				if got == nil || got.PluginProperties != nil {
					t.Errorf("got result %+v, want one without plugin properties", got)
				}
				return
			}
			MustVerdict(t, err, tt.wantType, tt.wantMsg)
		})
	}
}

func TestCheckDictionaryReadsSize(t *testing.T) {
	// Only Size bytes are content: the NUL byte beyond them is not read.
	in := input(osemu.PackageTypeTxtDictionary, "d.txt", "", []byte("car\n\x00"))
	in.Size = 4
	if _, err := Check(in); err != nil {
		t.Fatalf("got %v, want valid", err)
	}
}

func TestCheckReadError(t *testing.T) {
	// The jar puts the descriptor more than 1 KiB before the end, out of
	// reach of the reads that find the central directory.
	plugin := MustZip(t, file{descriptorName, goodDescriptor}, file{"p.jar", noise(4096)})
	tests := []struct {
		name string
		typ  osemu.PackageType
		key  string
		data []byte
		from int64 // reads below fail
	}{
		{"dictionary", osemu.PackageTypeTxtDictionary, "d.txt", []byte("car\n"), 1 << 40},
		{"licence", osemu.PackageTypeLicense, "l.json", []byte("{}"), 1 << 40},
		{"plugin directory", osemu.PackageTypeZipPlugin, "p.zip", plugin, 1 << 40},
		{"config directory", osemu.PackageTypeConfig, "c.zip", plugin, 1 << 40},

		// The central directory is at the end and reads; the descriptor
		// at offset 0 does not.
		{"plugin descriptor", osemu.PackageTypeZipPlugin, "p.zip", plugin, 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input(tt.typ, tt.key, "OpenSearch_2.19", tt.data)
			in.Content = failingReaderAt{r: bytes.NewReader(tt.data), from: tt.from}
			_, err := Check(in)
			MustReadError(t, err)
		})
	}
}

func TestCheckBadInput(t *testing.T) {
	data := MustZip(t, file{descriptorName, goodDescriptor})
	tests := []struct {
		name string
		in   Input
	}{
		{"unknown type", input("TXT-THESAURUS", "t.txt", "", []byte("a"))},
		{"no engine version", input(osemu.PackageTypeZipPlugin, "p.zip", "", data)},
		{"malformed engine version", input(osemu.PackageTypeZipPlugin, "p.zip", "OpenSearch_2", data)},
		{"other engine", input(osemu.PackageTypeZipPlugin, "p.zip", "Solr_9.1", data)},
		{"no content", Input{Type: osemu.PackageTypeTxtDictionary}},
		{"negative size", Input{Type: osemu.PackageTypeTxtDictionary, Content: bytes.NewReader(nil), Size: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Check(tt.in)
			var invalid *Invalid
			if err == nil || errors.As(err, &invalid) {
				t.Errorf("got %v, want an error that is not a verdict", err)
			}
		})
	}
}
