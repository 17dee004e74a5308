package deploy_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/deploy"
)

var scope = osemu.Scope{Account: "123456789012", Region: "eu-west-1"}

// MustNew returns a Dir rooted in a new temporary directory, and the root.
func MustNew(tb testing.TB) (*deploy.Dir, string) {
	tb.Helper()
	root := filepath.Join(tb.TempDir(), "deploy")
	d, err := deploy.New(root)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return d, root
}

// zipEntry is one entry of a zip that MustZip builds. A name ending in "/"
// is a directory; mode, when set, is the entry's Unix mode.
type zipEntry struct {
	name string
	body string
	mode fs.FileMode
}

// MustZip returns a zip of the entries.
func MustZip(tb testing.TB, entries ...zipEntry) *bytes.Reader {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		fh := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.mode != 0 {
			fh.SetMode(e.mode)
		}
		w, err := zw.CreateHeader(fh)
		if err != nil {
			tb.Fatalf("zip entry %q: %v", e.name, err)
		}
		if _, err := io.WriteString(w, e.body); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return bytes.NewReader(buf.Bytes())
}

// MustRawZip returns a zip of one stored entry whose header declares size
// bytes and the CRC crc, whatever body holds.
func MustRawZip(tb testing.TB, name, body string, size uint64, crc uint32) *bytes.Reader {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name:               name,
		Method:             zip.Store,
		CRC32:              crc,
		CompressedSize64:   uint64(len(body)),
		UncompressedSize64: size,
	})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.WriteString(w, body); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return bytes.NewReader(buf.Bytes())
}

// ReadTree returns the files below dir by slash-separated relative path,
// with their content, and directories with the value "/". It fails the test
// on a file not 0644 or a directory not 0755.
func ReadTree(tb testing.TB, dir string) map[string]string {
	tb.Helper()
	tree := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		fi, err := de.Info()
		if err != nil {
			return err
		}
		switch {
		case de.IsDir():
			tree[rel] = "/"
			if got := fi.Mode().Perm(); got != 0o755 {
				tb.Errorf("%s: got mode %v, want 0755", rel, got)
			}
		case de.Type().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			tree[rel] = string(b)
			if got := fi.Mode().Perm(); got != 0o644 {
				tb.Errorf("%s: got mode %v, want 0644", rel, got)
			}
		default:
			tb.Errorf("%s: got type %v, want a file or directory", rel, de.Type())
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("read %s: %v", dir, err)
	}
	return tree
}

// Names returns the names in dir, sorted; none if dir does not exist.
func Names(tb testing.TB, dir string) []string {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// MustRead returns the content of the file at p.
func MustRead(tb testing.TB, p string) string {
	tb.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// MustInstallPlugin installs the zip of entries as the plugin name of the
// domain "movies".
func MustInstallPlugin(tb testing.TB, d *deploy.Dir, name string, entries ...zipEntry) {
	tb.Helper()
	MustInstallPluginIn(tb, d, "movies", name, entries...)
}

// MustInstallPluginIn installs the zip of entries as the plugin name of the
// domain.
func MustInstallPluginIn(tb testing.TB, d *deploy.Dir, domain, name string, entries ...zipEntry) {
	tb.Helper()
	z := MustZip(tb, entries...)
	if err := d.InstallPlugin(scope, domain, name, z, z.Size()); err != nil {
		tb.Fatalf("InstallPlugin: %v", err)
	}
}

// failingReader yields some content, then fails.
type failingReader struct {
	content io.Reader
	err     error
}

func (r *failingReader) Read(p []byte) (int, error) {
	n, err := r.content.Read(p)
	if err == io.EOF {
		return n, r.err
	}
	return n, err
}

func TestNew(t *testing.T) {
	root := filepath.Join(t.TempDir(), "a", "b")
	d, err := deploy.New(root)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		t.Fatalf("root: got %v, %v; want a directory", fi, err)
	}

	want := filepath.Join(root, "123456789012", "eu-west-1", "movies")
	if got := d.DomainDir(scope, "movies"); got != want {
		t.Errorf("DomainDir: got %q, want %q", got, want)
	}
	if _, err := deploy.New(""); !errors.Is(err, deploy.ErrInvalidName) {
		t.Errorf("New(\"\"): got %v, want ErrInvalidName", err)
	}
}

func TestWriteDictionary(t *testing.T) {
	d, _ := MustNew(t)

	// Every byte value, and more than one buffer's worth.
	var content []byte
	for i := range 300_000 {
		content = append(content, byte(i*7))
	}
	if err := d.WriteDictionary(scope, "movies", "F123456789", bytes.NewReader(content)); err != nil {
		t.Fatalf("WriteDictionary: %v", err)
	}

	// The file is where ReferencePath says, relative to the config directory
	// that the analyzers directory is mounted into.
	ref := osemu.ReferencePath(osemu.PackageTypeTxtDictionary, "F123456789")
	got, err := os.ReadFile(filepath.Join(d.DomainDir(scope, "movies"), ref))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, content) {
		t.Errorf("got %d bytes, want the %d written", len(got), len(content))
	}

	// Modes: ReadTree checks 0644 and 0755 from the account down.
	tree := ReadTree(t, filepath.Dir(filepath.Dir(filepath.Dir(d.DomainDir(scope, "movies")))))
	want := []string{
		"123456789012", "123456789012/eu-west-1", "123456789012/eu-west-1/movies",
		"123456789012/eu-west-1/movies/analyzers",
		"123456789012/eu-west-1/movies/analyzers/F123456789",
	}
	if keys := slices.Sorted(maps.Keys(tree)); !slices.Equal(keys, want) {
		t.Errorf("got %q, want %q", keys, want)
	}
}

func TestWriteDictionaryReplaces(t *testing.T) {
	d, _ := MustNew(t)
	dir := filepath.Join(d.DomainDir(scope, "movies"), "analyzers")

	for _, content := range []string{"big, large\n", "car, automobile\n", "car, automobile\n", ""} {
		if err := d.WriteDictionary(scope, "movies", "F1", strings.NewReader(content)); err != nil {
			t.Fatalf("WriteDictionary: %v", err)
		}
		if got := MustRead(t, filepath.Join(dir, "F1")); got != content {
			t.Errorf("got %q, want %q", got, content)
		}
		if got := Names(t, dir); !slices.Equal(got, []string{"F1"}) {
			t.Errorf("analyzers holds %q, want only F1", got)
		}
	}
}

func TestRemoveDictionary(t *testing.T) {
	d, _ := MustNew(t)
	dir := filepath.Join(d.DomainDir(scope, "movies"), "analyzers")

	// Missing: the domain directory does not even exist yet.
	if err := d.RemoveDictionary(scope, "movies", "F1"); err != nil {
		t.Fatalf("RemoveDictionary of nothing: %v", err)
	}

	for _, id := range []string{"F1", "F12"} {
		if err := d.WriteDictionary(scope, "movies", id, strings.NewReader(id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.RemoveDictionary(scope, "movies", "F1"); err != nil {
		t.Fatalf("RemoveDictionary: %v", err)
	}
	if got := Names(t, dir); !slices.Equal(got, []string{"F12"}) {
		t.Errorf("analyzers holds %q, want only F12", got)
	}
	if err := d.RemoveDictionary(scope, "movies", "F1"); err != nil {
		t.Errorf("RemoveDictionary again: %v", err)
	}
}

// TestWriteDictionaryFails checks that a write whose content fails to read,
// or is too large, leaves the old file intact and nothing else behind.
func TestWriteDictionaryFails(t *testing.T) {
	d, _ := MustNew(t)
	deploy.SetLimits(d, 64, 10)
	dir := filepath.Join(d.DomainDir(scope, "movies"), "analyzers")
	if err := d.WriteDictionary(scope, "movies", "F1", strings.NewReader("old\n")); err != nil {
		t.Fatal(err)
	}

	reset := errors.New("connection reset")
	tests := []struct {
		name    string
		content io.Reader
		want    error
	}{
		{"read error", &failingReader{strings.NewReader("new, half"), reset}, reset},
		{"read error at once", &failingReader{strings.NewReader(""), reset}, reset},
		{"over the limit", strings.NewReader(strings.Repeat("x", 65)), deploy.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := d.WriteDictionary(scope, "movies", "F1", tt.content)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if got := MustRead(t, filepath.Join(dir, "F1")); got != "old\n" {
				t.Errorf("got %q, want the old content", got)
			}
			if got := Names(t, dir); !slices.Equal(got, []string{"F1"}) {
				t.Errorf("analyzers holds %q, want only F1", got)
			}
		})
	}

	// At the limit exactly is fine.
	err := d.WriteDictionary(scope, "movies", "F1", strings.NewReader(strings.Repeat("x", 64)))
	if err != nil {
		t.Errorf("64 bytes: %v", err)
	}
}

// TestLeftovers plants what interrupted writes leave behind and checks that
// the next write to the same target removes its own and no one else's.
func TestLeftovers(t *testing.T) {
	d, _ := MustNew(t)
	dom := d.DomainDir(scope, "movies")
	analyzers := filepath.Join(dom, "analyzers")
	plugins := filepath.Join(dom, "plugins")
	for _, dir := range []string{analyzers, plugins} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	mine, theirs := deploy.TempName("F1"), deploy.TempName("F12")
	for _, name := range []string{mine, theirs} {
		if err := os.WriteFile(filepath.Join(analyzers, name), []byte("half"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.WriteDictionary(scope, "movies", "F1", strings.NewReader("whole")); err != nil {
		t.Fatal(err)
	}
	if got, want := Names(t, analyzers), []string{theirs, "F1"}; !slices.Equal(got, want) {
		t.Errorf("analyzers holds %q, want %q", got, want)
	}

	// A half-unpacked plugin, and an old version whose removal stopped.
	half, old := deploy.TempName("kuromoji"), deploy.TempName("kuromoji")
	other := deploy.TempName("kuromoji-x")
	for _, name := range []string{half, old, other} {
		if err := os.MkdirAll(filepath.Join(plugins, name, "lib"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	MustInstallPlugin(t, d, "kuromoji", file("plugin-descriptor.properties", "name=kuromoji\n"))
	if got, want := Names(t, plugins), []string{other, "kuromoji"}; !slices.Equal(got, want) {
		t.Errorf("plugins holds %q, want %q", got, want)
	}
}

// TestConcurrentWrites races writers of one dictionary against a reader,
// which must only ever see a whole version.
func TestConcurrentWrites(t *testing.T) {
	d, _ := MustNew(t)
	path := filepath.Join(d.DomainDir(scope, "movies"), "analyzers", "F1")
	const writers, size = 8, 200_000
	version := func(i int) string { return strings.Repeat(string(rune('a'+i)), size) }
	whole := func(s string) bool {
		return len(s) == size && strings.Count(s, s[:1]) == size
	}

	var wg sync.WaitGroup
	done := make(chan struct{})
	readErrs := make(chan string, 1)
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			b, err := os.ReadFile(path)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil || !whole(string(b)) {
				select {
				case readErrs <- fmt.Sprintf("read %d bytes, %v", len(b), err):
				default:
				}
			}
		}
	})

	var writeWG sync.WaitGroup
	for i := range writers {
		writeWG.Go(func() {
			for range 5 {
				if err := d.WriteDictionary(scope, "movies", "F1", strings.NewReader(version(i))); err != nil {
					t.Errorf("writer %d: %v", i, err)
				}
			}
		})
	}
	writeWG.Wait()
	close(done)
	wg.Wait()

	select {
	case msg := <-readErrs:
		t.Errorf("a reader saw a partial file: %s", msg)
	default:
	}
	if got := MustRead(t, path); !whole(got) {
		t.Errorf("final file is not one whole version (%d bytes)", len(got))
	}
	if got := Names(t, filepath.Dir(path)); !slices.Equal(got, []string{"F1"}) {
		t.Errorf("analyzers holds %q, want only F1", got)
	}
}

func TestInstallPlugin(t *testing.T) {
	descriptor := "name=kuromoji\nversion=2.19.0\n"
	tests := []struct {
		name    string
		entries []zipEntry
		want    map[string]string
	}{
		{
			name: "flat, nested directories, modes ignored",
			entries: []zipEntry{
				{name: "plugin-descriptor.properties", body: descriptor},
				{name: "lib/", mode: fs.ModeDir | 0o700},
				{name: "lib/kuromoji.jar", body: "jar", mode: 0o600},
				{name: "lib/native/linux/libk.so", body: "so", mode: 0o777},
				{name: "empty/"},
			},
			want: map[string]string{
				"plugin-descriptor.properties": descriptor,
				"lib":                          "/",
				"lib/kuromoji.jar":             "jar",
				"lib/native":                   "/",
				"lib/native/linux":             "/",
				"lib/native/linux/libk.so":     "so",
				"empty":                        "/",
			},
		},
		{
			name: "top-level folder with the descriptor is stripped",
			entries: []zipEntry{
				{name: "opensearch/"},
				{name: "opensearch/plugin-descriptor.properties", body: descriptor},
				{name: "opensearch/lib/kuromoji.jar", body: "jar"},
			},
			want: map[string]string{
				"plugin-descriptor.properties": descriptor,
				"lib":                          "/",
				"lib/kuromoji.jar":             "jar",
			},
		},
		{
			name: "top-level folder without the descriptor is kept",
			entries: []zipEntry{
				{name: "opensearch/lib/plugin-descriptor.properties", body: descriptor},
				{name: "opensearch/README", body: "read me"},
			},
			want: map[string]string{
				"opensearch":        "/",
				"opensearch/README": "read me",
				"opensearch/lib":    "/",
				"opensearch/lib/plugin-descriptor.properties": descriptor,
			},
		},
		{
			name: "two top-level folders are kept",
			entries: []zipEntry{
				{name: "opensearch/plugin-descriptor.properties", body: descriptor},
				{name: "__MACOSX/._x", body: "x"},
			},
			want: map[string]string{
				"opensearch": "/",
				"opensearch/plugin-descriptor.properties": descriptor,
				"__MACOSX":     "/",
				"__MACOSX/._x": "x",
			},
		},
		{
			name:    "empty zip",
			entries: nil,
			want:    map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := MustNew(t)
			MustInstallPlugin(t, d, "kuromoji", tt.entries...)
			plugins := filepath.Join(d.DomainDir(scope, "movies"), "plugins")
			got := ReadTree(t, filepath.Join(plugins, "kuromoji"))
			if !equalTrees(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if got := Names(t, plugins); !slices.Equal(got, []string{"kuromoji"}) {
				t.Errorf("plugins holds %q, want only kuromoji", got)
			}
		})
	}
}

func equalTrees(a, b map[string]string) bool { return maps.Equal(a, b) }

// TestInstallPluginReplaces installs a new version over an old one: nothing
// of the old stays. Installing the same version twice is fine.
func TestInstallPluginReplaces(t *testing.T) {
	d, _ := MustNew(t)
	plugins := filepath.Join(d.DomainDir(scope, "movies"), "plugins")
	v1 := []zipEntry{
		{name: "plugin-descriptor.properties", body: "version=1\n"},
		{name: "lib/old.jar", body: "old"},
	}
	v2 := []zipEntry{
		{name: "plugin-descriptor.properties", body: "version=2\n"},
		{name: "lib/new.jar", body: "new"},
	}
	MustInstallPlugin(t, d, "kuromoji", v1...)
	MustInstallPlugin(t, d, "kuromoji", v2...)
	MustInstallPlugin(t, d, "kuromoji", v2...)

	want := map[string]string{
		"plugin-descriptor.properties": "version=2\n",
		"lib":                          "/",
		"lib/new.jar":                  "new",
	}
	if got := ReadTree(t, filepath.Join(plugins, "kuromoji")); !equalTrees(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got := Names(t, plugins); !slices.Equal(got, []string{"kuromoji"}) {
		t.Errorf("plugins holds %q, want only kuromoji", got)
	}
}

// TestInstallPluginRefused checks zips refused before anything is written:
// the deploy directory stays empty.
func TestInstallPluginRefused(t *testing.T) {
	ok := file("plugin-descriptor.properties", "name=x\n")
	bad := deploy.ErrBadArchive
	tests := []struct {
		name    string
		zip     func(testing.TB) *bytes.Reader
		entries int // the entry limit; 0 for the default
		want    error
	}{
		{"zip slip", entries(ok, file("../evil", "x")), 0, bad},
		{"zip slip nested", entries(ok, file("lib/../../evil", "x")), 0, bad},
		{"dotdot resolving inside", entries(ok, file("lib/../evil", "x")), 0, bad},
		{"dotdot directory", entries(ok, file("../", "")), 0, bad},
		{"absolute", entries(ok, file("/etc/evil", "x")), 0, bad},
		{"drive letter", entries(ok, file("C:/evil", "x")), 0, bad},
		{"backslash", entries(ok, file(`..\evil`, "x")), 0, bad},
		{"dot component", entries(ok, file("lib/./a", "x")), 0, bad},
		{"dot directory", entries(ok, file("./", "")), 0, bad},
		{"empty component", entries(ok, file("lib//a", "x")), 0, bad},
		{"NUL", entries(ok, file("a\x00b", "x")), 0, bad},
		{"reserved prefix", entries(ok, file(".removing-x", "x")), 0, bad},
		{"symlink", entries(ok, link("lib/link", "/etc/passwd")), 0, bad},
		{"symlink to a directory", entries(link("lib", ".."), file("lib/x", "x")), 0, bad},
		{"named pipe", entries(ok, zipEntry{name: "fifo", mode: fs.ModeNamedPipe | 0o644}), 0, bad},
		{"device", entries(ok, zipEntry{name: "dev", mode: fs.ModeDevice | 0o644}), 0, bad},
		{"duplicate file", entries(ok, file("a", "1"), file("a", "2")), 0, bad},
		{"file then below it", entries(ok, file("a", "1"), file("a/b", "2")), 0, bad},
		{"below a file", entries(ok, file("a/b", "1"), file("a", "2")), 0, bad},
		{"directory then file", entries(ok, file("a/", ""), file("a", "2")), 0, bad},
		{"not a zip", func(testing.TB) *bytes.Reader {
			return bytes.NewReader([]byte("PK not really"))
		}, 0, bad},
		{"declared over 1 GiB", func(tb testing.TB) *bytes.Reader {
			return MustRawZip(tb, "big", "x", deploy.MaxSize+1, crc32.ChecksumIEEE([]byte("x")))
		}, 0, deploy.ErrTooLarge},
		{"too many entries", entries(ok, file("a", ""), file("b", "")), 2, deploy.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, root := MustNew(t)
			if tt.entries > 0 {
				deploy.SetLimits(d, deploy.MaxSize, tt.entries)
			}
			z := tt.zip(t)
			for _, install := range []func(osemu.Scope, string, string, io.ReaderAt, int64) error{
				d.InstallPlugin, d.InstallConfig,
			} {
				err := install(scope, "movies", "kuromoji", z, z.Size())
				if !errors.Is(err, tt.want) {
					t.Errorf("got %v, want %v", err, tt.want)
				}
				if strings.HasPrefix(tt.name, "symlink") &&
					!strings.Contains(fmt.Sprint(err), "symbolic link") {
					t.Errorf("got %v, want it to name the symbolic link", err)
				}
			}
			if got := Names(t, root); len(got) != 0 {
				t.Errorf("deploy dir holds %q, want nothing", got)
			}
		})
	}
}

// file returns a file entry, or a directory entry for a name ending in "/".
func file(name, body string) zipEntry { return zipEntry{name: name, body: body} }

// link returns a symbolic link entry.
func link(name, target string) zipEntry {
	return zipEntry{name: name, body: target, mode: fs.ModeSymlink | 0o777}
}

// entries returns a function that builds the zip of the entries.
func entries(e ...zipEntry) func(testing.TB) *bytes.Reader {
	return func(tb testing.TB) *bytes.Reader { return MustZip(tb, e...) }
}

// TestInstallPluginFailsUnpacking checks zips whose faults show only while
// unpacking: the installed version stays, and nothing else is left behind.
func TestInstallPluginFailsUnpacking(t *testing.T) {
	body := "0123456789"
	crc := crc32.ChecksumIEEE([]byte(body))
	tests := []struct {
		name  string
		zip   *bytes.Reader
		limit int64
		want  error
	}{
		{"declares fewer bytes", MustRawZip(t, "a", body, 4, crc), 0, deploy.ErrBadArchive},
		{"declares more bytes", MustRawZip(t, "a", body, 40, crc), 0, deploy.ErrBadArchive},
		{"wrong checksum", MustRawZip(t, "a", body, 10, crc+1), 0, deploy.ErrBadArchive},
		{"over the limit", MustZip(t, file("a", body), file("b", body)), 15, deploy.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := MustNew(t)
			MustInstallPlugin(t, d, "kuromoji", zipEntry{name: "plugin-descriptor.properties", body: "v1"})
			if tt.limit > 0 {
				deploy.SetLimits(d, tt.limit, 100)
			}

			err := d.InstallPlugin(scope, "movies", "kuromoji", tt.zip, tt.zip.Size())
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			plugins := filepath.Join(d.DomainDir(scope, "movies"), "plugins")
			want := map[string]string{"plugin-descriptor.properties": "v1"}
			if got := ReadTree(t, filepath.Join(plugins, "kuromoji")); !equalTrees(got, want) {
				t.Errorf("got %v, want the installed version", got)
			}
			if got := Names(t, plugins); !slices.Equal(got, []string{"kuromoji"}) {
				t.Errorf("plugins holds %q, want only kuromoji", got)
			}
		})
	}
}

// TestInstallPluginSourceFails checks that a zip whose source fails to read
// is not taken for a bad archive, and that the installed version stays.
func TestInstallPluginSourceFails(t *testing.T) {
	d, _ := MustNew(t)
	MustInstallPlugin(t, d, "kuromoji", zipEntry{name: "plugin-descriptor.properties", body: "v1"})

	// Random bytes do not compress: the entry's data fills the zip, with the
	// central directory in its last hundred or so bytes.
	rng := rand.New(rand.NewPCG(1, 2))
	body := make([]byte, 4096)
	for i := range body {
		body[i] = byte(rng.Uint32())
	}
	z := MustZip(t, zipEntry{name: "plugin-descriptor.properties", body: string(body)})
	broken := errors.New("disk on fire")

	for _, below := range []int64{z.Size(), z.Size() - 200} {
		src := &failBelow{r: z, below: below, err: broken}
		err := d.InstallPlugin(scope, "movies", "kuromoji", src, z.Size())
		if !errors.Is(err, broken) || errors.Is(err, deploy.ErrBadArchive) {
			t.Errorf("reads failing below %d: got %v, want the source's error, not ErrBadArchive",
				below, err)
		}
	}

	plugins := filepath.Join(d.DomainDir(scope, "movies"), "plugins")
	got := MustRead(t, filepath.Join(plugins, "kuromoji", "plugin-descriptor.properties"))
	if got != "v1" {
		t.Errorf("got %q, want v1", got)
	}
	if got := Names(t, plugins); !slices.Equal(got, []string{"kuromoji"}) {
		t.Errorf("plugins holds %q, want only kuromoji", got)
	}
}

// failBelow is a ReaderAt that fails every read starting below an offset.
type failBelow struct {
	r     io.ReaderAt
	below int64
	err   error
}

func (f *failBelow) ReadAt(p []byte, off int64) (int, error) {
	if off < f.below {
		return 0, f.err
	}
	return f.r.ReadAt(p, off)
}

// TestConcurrentInstalls races installs of versions of one plugin: one
// version must end up in place, whole, and nothing else.
func TestConcurrentInstalls(t *testing.T) {
	d, _ := MustNew(t)
	plugins := filepath.Join(d.DomainDir(scope, "movies"), "plugins")
	version := func(i int) map[string]string {
		v := fmt.Sprint(i)
		return map[string]string{
			"plugin-descriptor.properties": "version=" + v,
			"lib":                          "/",
			"lib/v" + v + ".jar":           v,
		}
	}

	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			for range 3 {
				z := MustZip(t,
					zipEntry{name: "plugin-descriptor.properties", body: "version=" + fmt.Sprint(i)},
					zipEntry{name: "lib/v" + fmt.Sprint(i) + ".jar", body: fmt.Sprint(i)})
				if err := d.InstallPlugin(scope, "movies", "kuromoji", z, z.Size()); err != nil {
					t.Errorf("install %d: %v", i, err)
				}
			}
		})
	}
	wg.Wait()

	got := ReadTree(t, filepath.Join(plugins, "kuromoji"))
	v := strings.TrimPrefix(got["plugin-descriptor.properties"], "version=")
	var i int
	if _, err := fmt.Sscan(v, &i); err != nil || !equalTrees(got, version(i)) {
		t.Errorf("got %v, want one whole version", got)
	}
	if got := Names(t, plugins); !slices.Equal(got, []string{"kuromoji"}) {
		t.Errorf("plugins holds %q, want only kuromoji", got)
	}
}

func TestRemovePlugin(t *testing.T) {
	d, _ := MustNew(t)
	plugins := filepath.Join(d.DomainDir(scope, "movies"), "plugins")
	if err := d.RemovePlugin(scope, "movies", "kuromoji"); err != nil {
		t.Fatalf("RemovePlugin of nothing: %v", err)
	}

	MustInstallPlugin(t, d, "kuromoji", zipEntry{name: "plugin-descriptor.properties", body: "k"})
	MustInstallPlugin(t, d, "kuromoji-extra", file("plugin-descriptor.properties", "x"))
	if err := d.RemovePlugin(scope, "movies", "kuromoji"); err != nil {
		t.Fatalf("RemovePlugin: %v", err)
	}
	if got := Names(t, plugins); !slices.Equal(got, []string{"kuromoji-extra"}) {
		t.Errorf("plugins holds %q, want only kuromoji-extra", got)
	}
}

// TestLicense writes a licence before and after its plugin is installed,
// through reinstalls and removals.
func TestLicense(t *testing.T) {
	d, _ := MustNew(t)
	dom := d.DomainDir(scope, "movies")
	plugin := filepath.Join(dom, "plugins", "acme")
	descriptor := zipEntry{name: "plugin-descriptor.properties", body: "name=acme\n"}

	// Before the plugin: no plugin directory that would stop a node.
	err := d.WriteLicense(scope, "movies", "acme", "conf/license.xml", strings.NewReader("<v1/>"))
	if err != nil {
		t.Fatalf("WriteLicense: %v", err)
	}
	if got := Names(t, filepath.Join(dom, "plugins")); len(got) != 0 {
		t.Errorf("plugins holds %q, want nothing before the plugin", got)
	}

	// The install brings it in, over the zip's own file of that name.
	MustInstallPlugin(t, d, "acme", descriptor, file("conf/license.xml", "<placeholder/>"))
	want := map[string]string{
		"plugin-descriptor.properties": "name=acme\n",
		"conf":                         "/",
		"conf/license.xml":             "<v1/>",
	}
	if got := ReadTree(t, plugin); !equalTrees(got, want) {
		t.Errorf("after install: got %v, want %v", got, want)
	}

	// A new licence goes into the installed plugin, and survives a reinstall.
	err = d.WriteLicense(scope, "movies", "acme", "conf/license.xml", strings.NewReader("<v2/>"))
	if err != nil {
		t.Fatal(err)
	}
	err = d.WriteLicense(scope, "movies", "acme", "license.json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	MustInstallPlugin(t, d, "acme", descriptor)
	want = map[string]string{
		"plugin-descriptor.properties": "name=acme\n",
		"conf":                         "/",
		"conf/license.xml":             "<v2/>",
		"license.json":                 "{}",
	}
	if got := ReadTree(t, plugin); !equalTrees(got, want) {
		t.Errorf("after reinstall: got %v, want %v", got, want)
	}

	// RemoveLicense takes one licence from both places.
	if err := d.RemoveLicense(scope, "movies", "acme", "license.json"); err != nil {
		t.Fatal(err)
	}
	MustInstallPlugin(t, d, "acme", descriptor)
	delete(want, "license.json")
	if got := ReadTree(t, plugin); !equalTrees(got, want) {
		t.Errorf("after RemoveLicense: got %v, want %v", got, want)
	}

	// RemovePlugin takes the licences along: a later install has none.
	if err := d.RemovePlugin(scope, "movies", "acme"); err != nil {
		t.Fatal(err)
	}
	MustInstallPlugin(t, d, "acme", descriptor)
	want = map[string]string{"plugin-descriptor.properties": "name=acme\n"}
	if got := ReadTree(t, plugin); !equalTrees(got, want) {
		t.Errorf("after RemovePlugin: got %v, want %v", got, want)
	}
	if err := d.RemoveLicense(scope, "movies", "acme", "license.json"); err != nil {
		t.Errorf("RemoveLicense of nothing: %v", err)
	}
}

func TestConfig(t *testing.T) {
	d, _ := MustNew(t)
	config := filepath.Join(d.DomainDir(scope, "movies"), "config")

	z := MustZip(t, file("acme.yml", "a: 1\n"), file("rules/r1.txt", "r1"))
	if err := d.InstallConfig(scope, "movies", "acme", z, z.Size()); err != nil {
		t.Fatalf("InstallConfig: %v", err)
	}
	z = MustZip(t, zipEntry{name: "acme.yml", body: "a: 2\n"})
	if err := d.InstallConfig(scope, "movies", "acme", z, z.Size()); err != nil {
		t.Fatalf("InstallConfig again: %v", err)
	}
	want := map[string]string{"acme.yml": "a: 2\n"}
	if got := ReadTree(t, filepath.Join(config, "acme")); !equalTrees(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}

	if err := d.RemoveConfig(scope, "movies", "acme"); err != nil {
		t.Fatalf("RemoveConfig: %v", err)
	}
	if got := Names(t, config); len(got) != 0 {
		t.Errorf("config holds %q, want nothing", got)
	}
	if err := d.RemoveConfig(scope, "movies", "acme"); err != nil {
		t.Errorf("RemoveConfig of nothing: %v", err)
	}
}

func TestRemoveDomain(t *testing.T) {
	d, _ := MustNew(t)
	for _, domain := range []string{"movies", "movies2"} {
		if err := d.WriteDictionary(scope, domain, "F1", strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
		MustInstallPluginIn(t, d, domain, "kuromoji", file("plugin-descriptor.properties", "k"))
	}
	err := d.WriteLicense(scope, "movies", "kuromoji", "license.json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	other := osemu.Scope{Account: scope.Account, Region: "us-east-1"}
	if err := d.WriteDictionary(other, "movies", "F1", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}

	if err := d.RemoveDomain(scope, "movies"); err != nil {
		t.Fatalf("RemoveDomain: %v", err)
	}
	region := filepath.Dir(d.DomainDir(scope, "movies"))
	if got := Names(t, region); !slices.Equal(got, []string{"movies2"}) {
		t.Errorf("region holds %q, want only movies2", got)
	}
	if _, err := os.Stat(filepath.Join(d.DomainDir(other, "movies"), "analyzers", "F1")); err != nil {
		t.Errorf("the domain of another region: %v", err)
	}
	if err := d.RemoveDomain(scope, "movies"); err != nil {
		t.Errorf("RemoveDomain again: %v", err)
	}
}

// TestNames checks that every name from input is checked before anything is
// written, and that valid names work.
func TestNames(t *testing.T) {
	long := strings.Repeat("a", 201)
	bad := []string{
		"", ".", "..", "a/b", "/abs", "../x", `a\b`, "a\x00b", "a\nb", "\x7f",
		".removing-osemu-0123456789abcdef-x", ".removing-x", long,
	}
	badRel := []string{
		"", ".", "..", "../x", "a/../../b", "a/../b", "/etc/passwd", "a//b", "./a", "a/",
		"a/.", `a\b`, "C:x", "a\x00b", ".removing-x/y",
	}

	type call struct {
		name string
		do   func(d *deploy.Dir, s osemu.Scope, domain, name, rel string) error
	}
	calls := []call{
		{"WriteDictionary", func(d *deploy.Dir, s osemu.Scope, domain, name, _ string) error {
			return d.WriteDictionary(s, domain, name, strings.NewReader("x"))
		}},
		{"RemoveDictionary", func(d *deploy.Dir, s osemu.Scope, domain, name, _ string) error {
			return d.RemoveDictionary(s, domain, name)
		}},
		{"InstallPlugin", func(d *deploy.Dir, s osemu.Scope, domain, name, _ string) error {
			z := MustZip(t, zipEntry{name: "plugin-descriptor.properties", body: "x"})
			return d.InstallPlugin(s, domain, name, z, z.Size())
		}},
		{"RemovePlugin", func(d *deploy.Dir, s osemu.Scope, domain, name, _ string) error {
			return d.RemovePlugin(s, domain, name)
		}},
		{"InstallConfig", func(d *deploy.Dir, s osemu.Scope, domain, name, _ string) error {
			z := MustZip(t, zipEntry{name: "a.yml", body: "x"})
			return d.InstallConfig(s, domain, name, z, z.Size())
		}},
		{"RemoveConfig", func(d *deploy.Dir, s osemu.Scope, domain, name, _ string) error {
			return d.RemoveConfig(s, domain, name)
		}},
		{"WriteLicense", func(d *deploy.Dir, s osemu.Scope, domain, name, rel string) error {
			return d.WriteLicense(s, domain, name, rel, strings.NewReader("x"))
		}},
		{"RemoveLicense", func(d *deploy.Dir, s osemu.Scope, domain, name, rel string) error {
			return d.RemoveLicense(s, domain, name, rel)
		}},
		{"RemoveDomain", func(d *deploy.Dir, s osemu.Scope, domain, _, _ string) error {
			return d.RemoveDomain(s, domain)
		}},
	}

	type args struct {
		scope        osemu.Scope
		domain, name string
		rel          string
	}
	valid := args{scope, "movies", "F1", "license.json"}
	var cases []struct {
		what string
		args args
	}
	add := func(what string, a args) {
		cases = append(cases, struct {
			what string
			args args
		}{what, a})
	}
	for _, b := range bad {
		a := valid
		a.scope.Account = b
		add(fmt.Sprintf("account %q", b), a)
		a = valid
		a.scope.Region = b
		add(fmt.Sprintf("region %q", b), a)
		a = valid
		a.domain = b
		add(fmt.Sprintf("domain %q", b), a)
		a = valid
		a.name = b
		add(fmt.Sprintf("name %q", b), a)
	}
	for _, b := range badRel {
		a := valid
		a.rel = b
		add(fmt.Sprintf("licence path %q", b), a)
	}

	for _, c := range calls {
		for _, tc := range cases {
			usesName := c.name != "RemoveDomain"
			usesRel := strings.HasSuffix(c.name, "License")
			if strings.HasPrefix(tc.what, "name") && !usesName ||
				strings.HasPrefix(tc.what, "licence") && !usesRel {
				continue
			}
			t.Run(c.name+"/"+tc.what, func(t *testing.T) {
				d, root := MustNew(t)
				err := c.do(d, tc.args.scope, tc.args.domain, tc.args.name, tc.args.rel)
				if !errors.Is(err, deploy.ErrInvalidName) {
					t.Errorf("got %v, want ErrInvalidName", err)
				}
				if got := Names(t, root); len(got) != 0 {
					t.Errorf("deploy dir holds %q, want nothing", got)
				}
			})
		}
		t.Run(c.name+"/valid", func(t *testing.T) {
			d, _ := MustNew(t)
			if err := c.do(d, valid.scope, valid.domain, valid.name, valid.rel); err != nil {
				t.Errorf("got %v, want success", err)
			}
		})
	}

	d, _ := MustNew(t)
	for _, b := range bad {
		if got := d.DomainDir(scope, b); got != "" {
			t.Errorf("DomainDir(%q): got %q, want \"\"", b, got)
		}
	}
	names := []string{"F123456789", "pkg-" + strings.Repeat("0f", 20), "analysis-nori", "a.b_c"}
	for _, name := range names {
		if err := d.WriteDictionary(scope, "movies", name, strings.NewReader(name)); err != nil {
			t.Errorf("WriteDictionary %q: %v", name, err)
		}
	}
}
