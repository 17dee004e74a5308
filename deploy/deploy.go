// Package deploy writes the package versions that domains run to disk, laid
// out the way an OpenSearch node expects them, so that a real node can load
// what osemu associated with a domain (the --deploy-dir option).
//
// The layout under the root given to New:
//
//	<account>/<region>/<domain>/           Dir.DomainDir
//	    analyzers/<package ID>             a TXT-DICTIONARY, as is
//	    plugins/<plugin name>/...          a ZIP-PLUGIN, unpacked, with its licence
//	    config/<plugin name>/...           a PACKAGE-CONFIG, unpacked
//	    licenses/<plugin name>/<path>      osemu's copy of each PACKAGE-LICENSE
//
// Mount the domain directory's parts into an OpenSearch container:
//
//	docker run \
//	  -v <domain dir>/analyzers:/usr/share/opensearch/config/analyzers:ro \
//	  -v <domain dir>/plugins/<name>:/usr/share/opensearch/plugins/<name>:ro \
//	  -v <domain dir>/config/<name>:/usr/share/opensearch/config/<name>:ro \
//	  opensearchproject/opensearch:<version>
//
// and refer to a dictionary by the association's ReferencePath, which is
// relative to the config directory: "synonyms_path": "analyzers/F123456789".
//
// Every write replaces its target by a rename, so a node reads either the
// old or the new version, never half of one. A bind mount of a single file
// keeps showing the file it was made with, so mount the analyzers directory,
// not a dictionary; after an update, reload the analyzers
// (POST /<index>/_reload_search_analyzers for updateable ones) or reopen the
// index. A node loads plugins when it starts: restart the container after a
// plugin or its configuration changes, which also resolves the plugin's bind
// mount again. Mounting the whole plugins directory instead would hide the
// plugins the image ships with.
//
// Files are written 0644 and directories 0755 whatever the umask, so the
// image's opensearch user can read them. Temporary files and directories,
// and old versions on their way out, are named ".removing-osemu-...":
// OpenSearch skips plugins-directory entries named ".removing-*", so a node
// starting in the middle of an install does not take one for a plugin.
// Those an interrupted write leaves behind are removed by the next write to
// the same target.
package deploy

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/osemu/osemu"
)

// MaxSize is the most bytes one write puts on disk: a dictionary, a licence,
// or the sum of a zip's unpacked entries.
//
// AWS: the plugin quota reads "1 GB"; osemu takes it as 1 GiB, as the
// content package does.
const MaxSize = 1 << 30

// maxEntries bounds the entries of a zip, so that an archive of millions of
// empty files cannot exhaust the file system's inodes within MaxSize. Real
// plugins hold a few hundred.
const maxEntries = 1 << 16

// maxNameLen bounds every path component, leaving room within the usual
// 255-byte limit for the temporary name made from it.
const maxNameLen = 200

// Names of the parts of a domain directory.
const (
	analyzersDir = "analyzers"
	pluginsDir   = "plugins"
	configDir    = "config"
	licensesDir  = "licenses"
)

// reservedPrefix starts the names of entries OpenSearch skips when it scans
// its plugins directory; leftoverPrefix, which starts with it, marks
// osemu's temporary files and directories. No name from input may use it.
const (
	reservedPrefix = ".removing-"
	leftoverPrefix = reservedPrefix + "osemu-"
)

// randLen is the number of hex digits between leftoverPrefix and the
// target's name in a temporary name.
const randLen = 16

// Errors of the package, wrapped with the detail.
var (
	// ErrInvalidName is returned for a name from input that cannot be a
	// path component below the root: empty, "." or "..", holding a
	// separator, NUL or another control character, longer than 200 bytes,
	// or starting with ".removing-", which osemu and OpenSearch reserve.
	ErrInvalidName = errors.New("invalid name")

	// ErrBadArchive is returned for a zip that is corrupt or holds an
	// entry that could escape its directory, a symbolic link or another
	// special file, an entry twice, or an entry whose content is not the
	// size its header declares.
	ErrBadArchive = errors.New("refused archive")

	// ErrTooLarge is returned for content over MaxSize, or a zip of more
	// entries than an OpenSearch plugin ever has.
	ErrTooLarge = errors.New("content too large")
)

// Dir is the root of deployed package files. Its methods are safe for
// concurrent use: writes to one target are serialised, writes to different
// targets run in parallel, and RemoveDomain waits for the writes within the
// domain. One process should use one Dir per root, since the locks live in
// the Dir.
type Dir struct {
	root string

	// maxBytes and maxEntries are MaxSize and maxEntries; tests lower them.
	maxBytes   int64
	maxEntries int

	mu    sync.Mutex
	locks map[string]*lockEntry
}

// lockEntry is a lock on one domain or target, counted so that the map
// drops it when no one holds or waits for it.
type lockEntry struct {
	sync.RWMutex
	refs int
}

// New returns the Dir rooted at root, creating root if it does not exist.
func New(root string) (*Dir, error) {
	if root == "" {
		return nil, fmt.Errorf("deploy dir: %w: empty path", ErrInvalidName)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("deploy dir: %w", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("create deploy dir: %w", err)
	}
	return &Dir{
		root:       abs,
		maxBytes:   MaxSize,
		maxEntries: maxEntries,
		locks:      make(map[string]*lockEntry),
	}, nil
}

// DomainDir returns the directory of the domain's deployed packages,
// <root>/<account>/<region>/<domain>, whether or not it exists yet. It
// returns "" if the account, region or domain is not a valid name.
func (d *Dir) DomainDir(scope osemu.Scope, domain string) string {
	rel, err := domainRel(scope, domain)
	if err != nil {
		return ""
	}
	return filepath.Join(d.root, rel)
}

// RemoveDomain removes the domain's directory and everything in it. A
// missing directory is not an error.
func (d *Dir) RemoveDomain(scope osemu.Scope, domain string) error {
	rel, err := domainRel(scope, domain)
	if err != nil {
		return err
	}
	defer d.lockDomain(rel)()

	root, err := d.open()
	if err != nil {
		return err
	}
	defer root.Close()

	if err := removeTree(root, filepath.Dir(rel), domain); err != nil {
		return fmt.Errorf("remove domain %s: %w", rel, err)
	}
	return nil
}

// open returns the root as an os.Root, through which every file operation
// goes: it refuses any path that resolves outside the root, symbolic links
// included, as a second line behind the name checks.
func (d *Dir) open() (*os.Root, error) {
	root, err := os.OpenRoot(d.root)
	if err != nil {
		return nil, fmt.Errorf("open deploy dir: %w", err)
	}
	return root, nil
}

// domainRel returns the domain directory relative to the root.
func domainRel(scope osemu.Scope, domain string) (string, error) {
	if err := checkName("account", scope.Account); err != nil {
		return "", err
	}
	if err := checkName("region", scope.Region); err != nil {
		return "", err
	}
	if err := checkName("domain", domain); err != nil {
		return "", err
	}
	return filepath.Join(scope.Account, scope.Region, domain), nil
}

// checkName returns an ErrInvalidName error if s, the what of a request,
// cannot be one path component below the root.
func checkName(what, s string) error {
	if reason := nameFault(s); reason != "" {
		return fmt.Errorf("%w: %s %q %s", ErrInvalidName, what, s, reason)
	}
	return nil
}

// nameFault says why s cannot be a path component, or returns "".
func nameFault(s string) string {
	switch {
	case s == "":
		return "is empty"
	case s == "." || s == "..":
		return "is a dot component"
	case len(s) > maxNameLen:
		return fmt.Sprintf("is longer than %d bytes", maxNameLen)
	case strings.ContainsAny(s, `/\`):
		return "holds a path separator"
	case strings.HasPrefix(s, reservedPrefix):
		return "starts with the reserved " + reservedPrefix
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return "holds a control character"
		}
	}
	return ""
}

// splitRel splits the slash-separated relative path p into its components
// and returns an ErrInvalidName error, naming p as the what of a request, if
// any could escape: an absolute path, a drive letter, a backslash, or an
// empty, dot or otherwise invalid component. Unlike path.Clean it resolves
// nothing: "a/./b" and "a//b" are refused, not read as "a/b".
func splitRel(what, p string) ([]string, error) {
	fail := func(reason string) ([]string, error) {
		return nil, fmt.Errorf("%w: %s %q %s", ErrInvalidName, what, p, reason)
	}
	switch {
	case p == "":
		return fail("is empty")
	case strings.HasPrefix(p, "/"):
		return fail("is absolute")
	case len(p) >= 2 && p[1] == ':':
		return fail("starts with a drive letter")
	}
	parts := strings.Split(p, "/")
	for _, part := range parts {
		if reason := nameFault(part); reason != "" {
			return fail(fmt.Sprintf("has a component %q that %s", part, reason))
		}
	}
	return parts, nil
}

// acquire returns the lock of key, counting the caller in.
func (d *Dir) acquire(key string) *lockEntry {
	d.mu.Lock()
	defer d.mu.Unlock()
	e := d.locks[key]
	if e == nil {
		e = &lockEntry{}
		d.locks[key] = e
	}
	e.refs++
	return e
}

// release counts the caller out of the lock of key.
func (d *Dir) release(key string, e *lockEntry) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e.refs--
	if e.refs == 0 {
		delete(d.locks, key)
	}
}

// lockTarget holds the domain's lock shared and the target's exclusively,
// in that order, and returns the function that releases both.
func (d *Dir) lockTarget(domain, target string) (unlock func()) {
	dk, tk := "domain:"+domain, "target:"+target
	de := d.acquire(dk)
	de.RLock()
	te := d.acquire(tk)
	te.Lock()
	return func() {
		te.Unlock()
		d.release(tk, te)
		de.RUnlock()
		d.release(dk, de)
	}
}

// lockDomain holds the domain's lock exclusively, waiting for every write
// within it, and returns the function that releases it.
func (d *Dir) lockDomain(domain string) (unlock func()) {
	dk := "domain:" + domain
	de := d.acquire(dk)
	de.Lock()
	return func() {
		de.Unlock()
		d.release(dk, de)
	}
}

// tempName returns a new name for a temporary file or directory beside the
// target name: leftoverPrefix, random hex digits, "-", name. The random part
// keeps concurrent writers apart; its fixed length lets leftoverOf tell
// whose leftover an entry is even when names share a prefix.
func tempName(name string) string {
	var b [randLen / 2]byte
	rand.Read(b[:])
	return leftoverPrefix + hex.EncodeToString(b[:]) + "-" + name
}

// leftoverOf returns the target name that entry, a directory entry's name,
// is a temporary for, and false if it is not a temporary name.
func leftoverOf(entry string) (string, bool) {
	rest, ok := strings.CutPrefix(entry, leftoverPrefix)
	if !ok || len(rest) <= randLen+1 || rest[randLen] != '-' {
		return "", false
	}
	for _, c := range rest[:randLen] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", false
		}
	}
	return rest[randLen+1:], true
}

// cleanLeftovers removes from dir the temporary files and directories of
// the target name that an interrupted write left behind. The caller holds
// the target's lock, so none of them belongs to a write in progress. A
// missing dir has none.
func cleanLeftovers(root *os.Root, dir, name string) error {
	f, err := root.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	entries, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return err
	}

	for _, e := range entries {
		if target, ok := leftoverOf(e.Name()); ok && target == name {
			if err := root.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("remove leftover: %w", err)
			}
		}
	}
	return nil
}

// mkdirs creates the directories of rel below base, which exists, each
// 0755 whatever the umask. Existing directories are left as they are.
func mkdirs(root *os.Root, base, rel string) error {
	p := base
	for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
		if part == "" || part == "." {
			continue
		}
		p = filepath.Join(p, part)

		err := root.Mkdir(p, 0o755)
		if err == nil {
			if err := root.Chmod(p, 0o755); err != nil {
				return err
			}
			continue
		}
		if !errors.Is(err, fs.ErrExist) {
			return err
		}

		fi, err := root.Stat(p)
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return fmt.Errorf("mkdir %s: not a directory", p)
		}
	}
	return nil
}

// syncDir flushes dir's entries to disk, so that a rename within it
// survives a crash.
func syncDir(root *os.Root, dir string) error {
	f, err := root.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// removeTree removes dir/name, a file or a directory, by renaming it to a
// temporary name first, so that no one sees it half removed under its name.
// A missing target is not an error. An old version that fails to go is
// left under its temporary name, for the next write to clean up.
func removeTree(root *os.Root, dir, name string) error {
	if err := cleanLeftovers(root, dir, name); err != nil {
		return err
	}

	old := filepath.Join(dir, tempName(name))
	err := root.Rename(filepath.Join(dir, name), old)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return root.RemoveAll(old)
}
