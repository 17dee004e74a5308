package deploy

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/osemu/osemu"
)

// descriptorName is the file that makes a directory an OpenSearch plugin.
const descriptorName = "plugin-descriptor.properties"

// InstallPlugin unpacks a ZIP-PLUGIN's content, a zip of size bytes, into
// <domain dir>/plugins/<pluginName>/, replacing the version there. When
// every entry is within one top-level folder that holds
// plugin-descriptor.properties, the folder is dropped: content validation
// finds the descriptor there too. The licences written for the plugin are copied in.
//
// The whole zip is checked before anything is written, then unpacked entry
// by entry into a temporary directory beside the target, which is swapped in
// by renames: the old version is renamed away, the new one in, and the old
// one removed. A node sees the whole old or the whole new version, or, for
// the instant between the renames, none.
func (d *Dir) InstallPlugin(
	scope osemu.Scope, domain, pluginName string, content io.ReaderAt, size int64,
) error {
	if err := d.install(scope, domain, pluginsDir, pluginName, content, size); err != nil {
		return fmt.Errorf("install plugin %s: %w", pluginName, err)
	}
	return nil
}

// RemovePlugin removes the plugin from the domain, with its licences. A
// missing plugin is not an error.
func (d *Dir) RemovePlugin(scope osemu.Scope, domain, pluginName string) error {
	dom, err := domainRel(scope, domain)
	if err != nil {
		return err
	}
	if err := checkName("plugin name", pluginName); err != nil {
		return err
	}
	defer d.lockTarget(dom, filepath.Join(dom, pluginsDir, pluginName))()

	root, err := d.open()
	if err != nil {
		return err
	}
	defer root.Close()

	if err := removeTree(root, filepath.Join(dom, pluginsDir), pluginName); err != nil {
		return fmt.Errorf("remove plugin %s: %w", pluginName, err)
	}
	if err := removeTree(root, filepath.Join(dom, licensesDir), pluginName); err != nil {
		return fmt.Errorf("remove licences of %s: %w", pluginName, err)
	}
	return nil
}

// InstallConfig unpacks a plugin's PACKAGE-CONFIG content, a zip of size
// bytes, into
// <domain dir>/config/<pluginName>/, where OpenSearch plugins look for their
// configuration, replacing the version there as InstallPlugin does.
func (d *Dir) InstallConfig(
	scope osemu.Scope, domain, pluginName string, content io.ReaderAt, size int64,
) error {
	if err := d.install(scope, domain, configDir, pluginName, content, size); err != nil {
		return fmt.Errorf("install configuration of %s: %w", pluginName, err)
	}
	return nil
}

// RemoveConfig removes a plugin's configuration from the domain. A missing
// configuration is not an error.
func (d *Dir) RemoveConfig(scope osemu.Scope, domain, pluginName string) error {
	dom, err := domainRel(scope, domain)
	if err != nil {
		return err
	}
	if err := checkName("plugin name", pluginName); err != nil {
		return err
	}
	defer d.lockTarget(dom, filepath.Join(dom, configDir, pluginName))()

	root, err := d.open()
	if err != nil {
		return err
	}
	defer root.Close()

	if err := removeTree(root, filepath.Join(dom, configDir), pluginName); err != nil {
		return fmt.Errorf("remove configuration of %s: %w", pluginName, err)
	}
	return nil
}

// install unpacks the zip into <domain dir>/<part>/<name>/.
func (d *Dir) install(
	scope osemu.Scope, domain, part, name string, r io.ReaderAt, size int64,
) error {
	dom, err := domainRel(scope, domain)
	if err != nil {
		return err
	}
	if err := checkName("plugin name", name); err != nil {
		return err
	}

	// Check every entry before the first write.
	entries, err := d.plan(r, size)
	if err != nil {
		return err
	}

	dir := filepath.Join(dom, part)
	defer d.lockTarget(dom, filepath.Join(dir, name))()

	root, err := d.open()
	if err != nil {
		return err
	}
	defer root.Close()

	if err := mkdirs(root, "", dir); err != nil {
		return err
	}
	if err := cleanLeftovers(root, dir, name); err != nil {
		return err
	}

	tmp := filepath.Join(dir, tempName(name))
	if err := root.Mkdir(tmp, 0o755); err != nil {
		return err
	}
	err = root.Chmod(tmp, 0o755)
	if err == nil {
		err = d.unpack(root, tmp, entries)
	}
	if err == nil && part == pluginsDir {
		err = copyLicenses(root, filepath.Join(dom, licensesDir, name), tmp)
	}
	if err == nil {
		err = syncTree(root, tmp)
	}
	if err == nil {
		err = swap(root, dir, name, tmp)
	}
	if err != nil {
		root.RemoveAll(tmp)
	}
	return err
}

// entry is a zip entry checked and ready to unpack.
type entry struct {
	file *zip.File
	path []string // components below the target, the top folder stripped
	dir  bool
}

// plan reads the zip's central directory and checks every entry, reading
// no content: names that stay below the target, regular files and
// directories only, each path once, and a declared total within the limit.
// It returns the entries to unpack, the top-level folder stripped when it
// holds the plugin descriptor.
func (d *Dir) plan(r io.ReaderAt, size int64) ([]entry, error) {
	zr, err := zip.NewReader(r, size)

	// Under GODEBUG=zipinsecurepath=0 archive/zip flags unsafe names but
	// still returns the reader; the checks below judge names either way.
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, archiveError(err)
	}
	if len(zr.File) > d.maxEntries {
		return nil, fmt.Errorf("%w: %d zip entries, more than %d",
			ErrTooLarge, len(zr.File), d.maxEntries)
	}

	var total uint64
	entries := make([]entry, 0, len(zr.File))
	for _, f := range zr.File {
		e, err := checkEntry(f)
		if err != nil {
			return nil, err
		}

		if f.UncompressedSize64 > uint64(d.maxBytes)-total {
			return nil, fmt.Errorf("%w: zip entries declare more than %d bytes",
				ErrTooLarge, d.maxBytes)
		}
		total += f.UncompressedSize64
		entries = append(entries, e)
	}

	entries = stripTop(entries)
	if err := checkOverlap(entries); err != nil {
		return nil, err
	}
	return entries, nil
}

// checkEntry checks one zip entry's name and type.
func checkEntry(f *zip.File) (entry, error) {
	refuse := func(reason string) (entry, error) {
		return entry{}, fmt.Errorf("%w: entry %q %s", ErrBadArchive, f.Name, reason)
	}

	mode := f.Mode()
	dir := mode.IsDir() || strings.HasSuffix(f.Name, "/")
	switch {
	case mode&fs.ModeSymlink != 0:
		return refuse("is a symbolic link")
	case !dir && !mode.IsRegular():
		return refuse("is not a regular file")
	case dir && f.UncompressedSize64 > 0:
		return refuse("is a directory with content")
	}

	name := f.Name
	if dir {
		name = strings.TrimSuffix(name, "/")
	}
	parts, err := splitRel("zip entry", name)
	if err != nil {
		return entry{}, fmt.Errorf("%w: %w", ErrBadArchive, err)
	}
	return entry{file: f, path: parts, dir: dir}, nil
}

// stripTop drops the top-level folder from every entry's path when all
// entries are within it and it holds the plugin descriptor, as in
// opensearch/plugin-descriptor.properties. The folder's own entry goes.
func stripTop(entries []entry) []entry {
	top, descriptor := "", false
	for _, e := range entries {
		switch {
		case len(e.path) == 1 && !e.dir:
			return entries // a file at the root
		case top == "":
			top = e.path[0]
		case e.path[0] != top:
			return entries
		}
		if len(e.path) == 2 && e.path[1] == descriptorName && !e.dir {
			descriptor = true
		}
	}
	if !descriptor {
		return entries
	}

	stripped := make([]entry, 0, len(entries))
	for _, e := range entries {
		if len(e.path) > 1 {
			e.path = e.path[1:]
			stripped = append(stripped, e)
		}
	}
	return stripped
}

// checkOverlap refuses a path that two entries name, unless both are
// directories, and a file that another entry takes for a directory.
func checkOverlap(entries []entry) error {
	isDir := make(map[string]bool, len(entries))
	for _, e := range entries {
		for i := 1; i < len(e.path); i++ {
			parent := path.Join(e.path[:i]...)
			if dir, seen := isDir[parent]; seen && !dir {
				return fmt.Errorf("%w: entry %q is below file %q",
					ErrBadArchive, e.file.Name, parent)
			}
			isDir[parent] = true
		}

		p := path.Join(e.path...)
		if dir, seen := isDir[p]; seen && !(dir && e.dir) {
			return fmt.Errorf("%w: entry %q names %q again", ErrBadArchive, e.file.Name, p)
		}
		isDir[p] = e.dir
	}
	return nil
}

// unpack writes the checked entries below tmp, a new empty directory,
// streaming each from the zip and flushing each file to disk.
func (d *Dir) unpack(root *os.Root, tmp string, entries []entry) error {
	budget := d.maxBytes
	for _, e := range entries {
		rel := filepath.Join(e.path...)
		parent := rel
		if !e.dir {
			parent = filepath.Dir(rel)
		}
		if err := mkdirs(root, tmp, parent); err != nil {
			return err
		}
		if e.dir {
			continue
		}

		n, err := extract(root, filepath.Join(tmp, rel), e.file, budget)
		if err != nil {
			return err
		}
		budget -= n
	}
	return nil
}

// syncTree flushes the entries of dir and of every directory below it to
// disk, so that the renames that swap dir in publish all of it.
func syncTree(root *os.Root, dir string) error {
	walk := func(p string, de fs.DirEntry, err error) error {
		if err != nil || !de.IsDir() {
			return err
		}
		return syncDir(root, filepath.FromSlash(p))
	}
	return fs.WalkDir(root.FS(), filepath.ToSlash(dir), walk)
}

// extract writes the content of the zip entry f to the new file name, 0644,
// and returns its size. It refuses content that is not the size the entry
// declares, or more than budget bytes.
func extract(root *os.Root, name string, f *zip.File, budget int64) (int64, error) {
	declared := f.UncompressedSize64
	if declared > uint64(budget) {
		return 0, fmt.Errorf("%w: zip entries hold more than the limit", ErrTooLarge)
	}

	rc, err := f.Open()
	if err != nil {
		return 0, archiveError(err)
	}
	defer rc.Close()

	out, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, err
	}
	defer out.Close()

	// Read one byte past the declared size: archive/zip checks the size and
	// the CRC only when the entry's reader reaches its end.
	src := &entryReader{r: rc}
	n, err := io.Copy(out, io.LimitReader(src, int64(declared)+1))
	switch {
	case src.err != nil:
		return n, fmt.Errorf("entry %q: %w", f.Name, archiveError(src.err))
	case err != nil:
		return n, err
	case uint64(n) != declared:
		return n, fmt.Errorf("%w: entry %q holds %s bytes, declares %d",
			ErrBadArchive, f.Name, sizeText(n, declared), declared)
	}

	if err := out.Chmod(0o644); err != nil {
		return n, err
	}
	if err := out.Sync(); err != nil {
		return n, err
	}
	return n, out.Close()
}

// sizeText says how many bytes an entry of n bytes read, given that reading
// stopped one past declared.
func sizeText(n int64, declared uint64) string {
	if uint64(n) > declared {
		return "more than " + fmt.Sprint(declared)
	}
	return fmt.Sprint(n)
}

// entryReader keeps the error reading a zip entry, so that extract can tell
// a bad archive from a failing disk.
type entryReader struct {
	r   io.Reader
	err error
}

// Read implements io.Reader.
func (e *entryReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// archiveError wraps err, from archive/zip, as ErrBadArchive when it says
// the zip is malformed; other errors, such as the source failing to read,
// are returned as they are.
func archiveError(err error) error {
	for _, bad := range []error{
		zip.ErrFormat, zip.ErrAlgorithm, zip.ErrChecksum, io.ErrUnexpectedEOF,
	} {
		if errors.Is(err, bad) {
			return fmt.Errorf("%w: %w", ErrBadArchive, err)
		}
	}
	return err
}

// copyLicenses copies the licences kept in src, if any, into the plugin
// being installed in dst, over any file of the same path in the zip.
func copyLicenses(root *os.Root, src, dst string) error {
	if _, err := root.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return nil
	}

	visit := func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if _, ok := leftoverOf(de.Name()); ok {
			if de.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !de.Type().IsRegular() {
			return nil
		}

		rel, err := filepath.Rel(src, filepath.FromSlash(p))
		if err != nil {
			return err
		}
		if err := mkdirs(root, dst, filepath.Dir(rel)); err != nil {
			return err
		}
		return copyFile(root, filepath.FromSlash(p), filepath.Join(dst, rel))
	}
	return fs.WalkDir(root.FS(), filepath.ToSlash(src), visit)
}

// copyFile copies the file src to dst, 0644, flushed to disk.
func copyFile(root *os.Root, src, dst string) error {
	in, err := root.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()

	out, err := root.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()

	if _, err := io.Copy(out, in); err != nil {
		return err
	}
	if err := out.Chmod(0o644); err != nil {
		return err
	}
	if err := out.Sync(); err != nil {
		return err
	}
	return out.Close()
}

// swap puts the directory tmp in place of dir/name: the old version, if
// any, is renamed to a temporary name, tmp renamed in, and the old version
// removed. If tmp cannot be renamed in, the old version is put back.
func swap(root *os.Root, dir, name, tmp string) error {
	target := filepath.Join(dir, name)
	old := ""
	_, err := root.Lstat(target)
	switch {
	case err == nil:
		old = filepath.Join(dir, tempName(name))
		if err := root.Rename(target, old); err != nil {
			return err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}

	if err := root.Rename(tmp, target); err != nil {
		if old != "" {
			root.Rename(old, target)
		}
		return err
	}
	if err := syncDir(root, dir); err != nil {
		return err
	}

	// An old version that fails to go is a leftover like any other, for
	// the next write to clean up; the new version is in place.
	if old != "" {
		root.RemoveAll(old)
	}
	return nil
}
