package content

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path"
	"strings"
)

// MaxPluginSize is the largest uncompressed size of a ZIP-PLUGIN or a
// PACKAGE-CONFIG zip: the sum of the sizes its central directory states for
// its entries. Nothing is decompressed to measure it.
//
// AWS: the plugin quota reads "1 GB"; osemu takes it as 1 GiB. (unverified)
// AWS may cap configuration zips differently.
const MaxPluginSize = 1 << 30

// MaxDescriptorSize is the largest plugin-descriptor.properties read; real
// descriptors hold a dozen short lines.
//
// AWS: (unverified) the cap is osemu's, to bound what validation reads.
const MaxDescriptorSize = 64 << 10

// descriptorName is the file that makes a zip an OpenSearch plugin.
const descriptorName = "plugin-descriptor.properties"

// SafeEntryPath returns the cleaned, slash-separated relative path that a
// zip entry named name may be unpacked to, and false for a name that could
// escape the directory it is unpacked into or is ambiguous across systems:
// empty, absolute ("/etc/x"), with a drive letter ("C:x"), with a ".."
// element even where cleaning would resolve it ("a/../b"), with a backslash
// or a NUL byte, or naming the directory itself ("./"). A directory
// entry's trailing slash is dropped ("conf/" is "conf").
//
// Validation refuses archives holding any unsafe name, so the deploy step
// can join each entry's path to its target directory as is. It must still
// write symlink entries as regular files, or refuse them: a path check
// cannot tell where a link points.
func SafeEntryPath(name string) (string, bool) {
	if name == "" || strings.ContainsAny(name, "\\\x00") || strings.HasPrefix(name, "/") {
		return "", false
	}
	if len(name) >= 2 && name[1] == ':' {
		return "", false
	}
	// Empty and dot components, control characters, over-long names and
	// the prefix of OpenSearch's leftovers are refused too, as the deploy
	// step that unpacks the archive later refuses them; a directory's
	// trailing slash is fine.
	for _, elem := range strings.Split(strings.TrimSuffix(name, "/"), "/") {
		if elem == ".." || elem == "." || elem == "" || len(elem) > maxNameBytes ||
			strings.HasPrefix(elem, ".removing-") {
			return "", false
		}
	}
	for _, c := range name {
		if c < 0x20 || c == 0x7f {
			return "", false
		}
	}

	clean := path.Clean(name)
	if clean == "." {
		return "", false
	}
	return clean, true
}

// source is the ReaderAt under a zip reader. It keeps the first read
// failure, because archive/zip reports a failing store and a corrupt
// archive alike and only the second is the package's fault.
type source struct {
	r   io.ReaderAt
	err error
}

// ReadAt implements io.ReaderAt.
func (s *source) ReadAt(p []byte, off int64) (int, error) {
	n, err := s.r.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) && s.err == nil {
		s.err = err
	}
	return n, err
}

// fault returns a read error when the source failed, and the verdict
// otherwise: err came from archive/zip reading a source that worked.
func (s *source) fault(verdict *Invalid) error {
	if s.err != nil {
		return fmt.Errorf("read zip: %w", s.err)
	}
	return verdict
}

// openZip reads the central directory of the zip in in.Content.
func openZip(in Input) (*zip.Reader, *source, error) {
	src := &source{r: in.Content}
	zr, err := zip.NewReader(src, in.Size)

	// Under GODEBUG=zipinsecurepath=0 archive/zip flags unsafe names but
	// still returns the reader; scanZip judges names itself either way.
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, nil, src.fault(&Invalid{
			Type:    "InvalidZipFile",
			Message: "The package is not a valid zip file.",
		})
	}
	return zr, src, nil
}

// zipStats is what a zip's central directory says about its entries.
type zipStats struct {
	// size is the sum of the entries' uncompressed sizes, at most
	// math.MaxUint64 should the headers claim more.
	size  uint64
	files int // entries that are not directories
}

// maxNameBytes is the longest name of one path component the deploy step
// writes.
const maxNameBytes = 200

// MaxZipEntries is the most entries a zip may hold.
//
// AWS: (unverified) the cap is osemu's, the deploy step's.
const MaxZipEntries = 65536

// scanZip refuses entries with unsafe paths, duplicate entries, a file and
// a folder of one path, too many entries, and archives whose entries add up
// to more than MaxPluginSize, reading sizes from the headers only.
func scanZip(zr *zip.Reader) (zipStats, error) {
	var st zipStats
	if len(zr.File) > MaxZipEntries {
		return st, &Invalid{
			Type:    "TooManyZipEntries",
			Message: fmt.Sprintf("The zip file has %d entries; at most %d are allowed.", len(zr.File), MaxZipEntries),
		}
	}
	files := map[string]bool{}
	dirs := map[string]bool{} // given as entries, or implied by an entry's path
	for _, f := range zr.File {
		if err := checkEntryKind(f, files, dirs); err != nil {
			return st, err
		}
		if _, ok := SafeEntryPath(f.Name); !ok {
			return st, &Invalid{
				Type: "UnsafeZipEntry",
				Message: fmt.Sprintf("The zip file has an entry with an unsafe path, %q: "+
					"entry paths must be relative, without \"..\" or backslashes.", f.Name),
			}
		}
		if mode := f.Mode(); mode&fs.ModeType != 0 && !mode.IsDir() {
			return st, &Invalid{
				Type: "UnsafeZipEntry",
				Message: fmt.Sprintf("The zip file has an entry that is not a regular file or directory, %q "+
					"(a symbolic link or a special file).", f.Name),
			}
		}
		if st.size > math.MaxUint64-f.UncompressedSize64 {
			st.size = math.MaxUint64
		} else {
			st.size += f.UncompressedSize64
		}
		if !f.Mode().IsDir() {
			st.files++
		}
	}

	if st.size > MaxPluginSize {
		return st, &Invalid{
			Type: "UncompressedSizeExceeded",
			Message: fmt.Sprintf("The zip file's uncompressed size, %d bytes, exceeds "+
				"the maximum of %d bytes (1 GiB).", st.size, MaxPluginSize),
		}
	}
	return st, nil
}

// verifyEntries reads every file of the archive through, decompressing it
// as a stream, so that an entry whose data does not match its checksum or
// its declared size fails validation here rather than when the archive is
// unpacked on a domain. Nothing is kept in memory.
func verifyEntries(zr *zip.Reader, src *source) error {
	for _, f := range zr.File {
		if f.Mode().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err == nil {
			var n int64
			n, err = io.Copy(io.Discard, rc)
			rc.Close()
			if err == nil && uint64(n) != f.UncompressedSize64 {
				err = fmt.Errorf("%d bytes where the header says %d", n, f.UncompressedSize64)
			}
		}
		if err != nil {
			return src.fault(&Invalid{
				Type: "CorruptZipEntry",
				Message: fmt.Sprintf("The zip file's entry %q cannot be decompressed intact (%v).",
					f.Name, err),
			})
		}
	}
	return nil
}

// checkEntryKind refuses an entry that repeats another, or whose path is
// both a file and a folder, which no unpacking can write.
func checkEntryKind(f *zip.File, files, dirs map[string]bool) *Invalid {
	name, ok := SafeEntryPath(f.Name)
	if !ok {
		return nil // scanZip reports it
	}
	clash := func(p string) *Invalid {
		return &Invalid{Type: "DuplicateZipEntry",
			Message: fmt.Sprintf("The zip file has %q twice, or both as a file and as a folder.", p)}
	}
	if f.Mode().IsDir() {
		if files[name] {
			return clash(name)
		}
		dirs[name] = true
	} else {
		if files[name] || dirs[name] {
			return clash(name)
		}
		files[name] = true
	}
	for parent := path.Dir(name); parent != "."; parent = path.Dir(parent) {
		if files[parent] {
			return clash(parent)
		}
		dirs[parent] = true
	}
	return nil
}

// checkConfig accepts a PACKAGE-CONFIG: a zip of at least one file, with
// safe entry paths, at most MaxPluginSize uncompressed.
//
// AWS: (unverified) what AWS checks in a configuration zip is not
// documented; these are the checks that make it safe to unpack.
func checkConfig(in Input) error {
	zr, src, err := openZip(in)
	if err != nil {
		return err
	}

	st, err := scanZip(zr)
	if err != nil {
		return err
	}
	if err := verifyEntries(zr, src); err != nil {
		return err
	}

	if st.files == 0 {
		return &Invalid{
			Type:    "EmptyZipFile",
			Message: "The configuration zip file holds no files.",
		}
	}
	return nil
}

// findDescriptor returns the plugin descriptor: the entry at the archive
// root, or else the one inside the single top-level folder that holds
// every entry (opensearch/plugin-descriptor.properties). It returns nil
// when there is neither; a descriptor deeper down, or in one of several
// top-level folders, does not count. Names must have passed scanZip.
func findDescriptor(files []*zip.File) *zip.File {
	top, single := "", true
	for _, f := range files {
		name, _ := SafeEntryPath(f.Name)
		if name == descriptorName && !f.Mode().IsDir() {
			return f
		}

		first, _, nested := strings.Cut(name, "/")
		switch {
		case !nested && !f.Mode().IsDir():
			single = false // a file at the root
		case top == "":
			top = first
		case first != top:
			single = false
		}
	}
	if !single || top == "" {
		return nil
	}

	for _, f := range files {
		name, _ := SafeEntryPath(f.Name)
		if name == top+"/"+descriptorName && !f.Mode().IsDir() {
			return f
		}
	}
	return nil
}

// readDescriptor decompresses and parses the descriptor f, and nothing
// else of the archive.
func readDescriptor(f *zip.File, src *source) (map[string]string, error) {
	tooLarge := &Invalid{
		Type: "InvalidPluginDescriptor",
		Message: fmt.Sprintf("%s is larger than the maximum of %d bytes.",
			f.Name, MaxDescriptorSize),
	}
	if f.UncompressedSize64 > MaxDescriptorSize {
		return nil, tooLarge
	}

	rc, err := f.Open()
	if err != nil {
		return nil, src.fault(&Invalid{
			Type:    "InvalidPluginDescriptor",
			Message: fmt.Sprintf("%s cannot be read from the zip file (%v).", f.Name, err),
		})
	}
	defer rc.Close()

	// The header's size may lie; the limit holds whatever it says.
	data, err := io.ReadAll(io.LimitReader(rc, MaxDescriptorSize+1))
	if err != nil {
		return nil, src.fault(&Invalid{
			Type:    "InvalidPluginDescriptor",
			Message: fmt.Sprintf("%s cannot be decompressed (%v).", f.Name, err),
		})
	}
	if len(data) > MaxDescriptorSize {
		return nil, tooLarge
	}

	props, err := parseProperties(decodeProperties(data))
	if err != nil {
		return nil, &Invalid{
			Type:    "InvalidPluginDescriptor",
			Message: fmt.Sprintf("%s is not a valid properties file: %v.", f.Name, err),
		}
	}
	return props, nil
}
