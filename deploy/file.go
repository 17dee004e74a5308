package deploy

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/osemu/osemu"
)

// WriteDictionary writes a TXT-DICTIONARY's content to
// <domain dir>/analyzers/<packageID>, replacing what is there. The content
// goes to a temporary file beside the target, is flushed to disk and renamed
// over the target, so that a reader sees the old or the new dictionary whole;
// if reading content fails, the old one stays.
func (d *Dir) WriteDictionary(
	scope osemu.Scope, domain, packageID string, content io.Reader,
) error {
	dom, err := domainRel(scope, domain)
	if err != nil {
		return err
	}
	if err := checkName("package ID", packageID); err != nil {
		return err
	}
	dir := filepath.Join(dom, analyzersDir)
	defer d.lockTarget(dom, filepath.Join(dir, packageID))()

	root, err := d.open()
	if err != nil {
		return err
	}
	defer root.Close()

	if err := mkdirs(root, "", dir); err != nil {
		return fmt.Errorf("write dictionary %s: %w", packageID, err)
	}
	if err := d.writeFile(root, dir, packageID, content); err != nil {
		return fmt.Errorf("write dictionary %s: %w", packageID, err)
	}
	return nil
}

// RemoveDictionary removes the dictionary packageID from the domain. A
// missing dictionary is not an error.
func (d *Dir) RemoveDictionary(scope osemu.Scope, domain, packageID string) error {
	dom, err := domainRel(scope, domain)
	if err != nil {
		return err
	}
	if err := checkName("package ID", packageID); err != nil {
		return err
	}
	dir := filepath.Join(dom, analyzersDir)
	defer d.lockTarget(dom, filepath.Join(dir, packageID))()

	root, err := d.open()
	if err != nil {
		return err
	}
	defer root.Close()

	if err := removeFile(root, dir, packageID); err != nil {
		return fmt.Errorf("remove dictionary %s: %w", packageID, err)
	}
	return nil
}

// WriteLicense writes a plugin's licence, a PACKAGE-LICENSE's content, to
// <domain dir>/plugins/<pluginName>/<relPath>, atomically as WriteDictionary
// does. relPath is the plugin's PackageConfiguration.LicenseFilepath, or
// "license.json" or "license.xml" when it has none; it is slash-separated
// and relative to the plugin's directory.
//
// The licence is kept in <domain dir>/licenses/<pluginName>/<relPath> too,
// and InstallPlugin copies it into every version of the plugin it unpacks,
// so that it does not matter which of the two is written first. Until the
// plugin is installed, only that copy is written: a plugins directory entry
// holding just a licence would stop a node from starting, for want of a
// plugin descriptor.
func (d *Dir) WriteLicense(
	scope osemu.Scope, domain, pluginName, relPath string, content io.Reader,
) error {
	dom, err := domainRel(scope, domain)
	if err != nil {
		return err
	}
	if err := checkName("plugin name", pluginName); err != nil {
		return err
	}
	parts, err := splitRel("licence path", relPath)
	if err != nil {
		return err
	}
	plugin := filepath.Join(dom, pluginsDir, pluginName)
	defer d.lockTarget(dom, plugin)()

	root, err := d.open()
	if err != nil {
		return err
	}
	defer root.Close()

	if err := d.writeLicense(root, dom, plugin, pluginName, parts, content); err != nil {
		return fmt.Errorf("write licence of %s: %w", pluginName, err)
	}
	return nil
}

// writeLicense writes the licence at the relative path parts, first to the
// domain's copy, then to the installed plugin.
func (d *Dir) writeLicense(
	root *os.Root, dom, plugin, pluginName string, parts []string, content io.Reader,
) error {
	rel := filepath.Join(parts...)
	kept := filepath.Join(dom, licensesDir, pluginName, rel)
	if err := mkdirs(root, "", filepath.Dir(kept)); err != nil {
		return err
	}
	if err := d.writeFile(root, filepath.Dir(kept), filepath.Base(kept), content); err != nil {
		return err
	}

	fi, err := root.Stat(plugin)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s: not a directory", plugin)
	}

	f, err := root.Open(kept)
	if err != nil {
		return err
	}
	defer f.Close()

	target := filepath.Join(plugin, rel)
	if err := mkdirs(root, plugin, filepath.Dir(rel)); err != nil {
		return err
	}
	return d.writeFile(root, filepath.Dir(target), filepath.Base(target), f)
}

// RemoveLicense removes a plugin's licence at relPath, from the plugin and
// from the domain's copy. A missing licence is not an error. RemovePlugin
// removes all of a plugin's licences.
func (d *Dir) RemoveLicense(scope osemu.Scope, domain, pluginName, relPath string) error {
	dom, err := domainRel(scope, domain)
	if err != nil {
		return err
	}
	if err := checkName("plugin name", pluginName); err != nil {
		return err
	}
	parts, err := splitRel("licence path", relPath)
	if err != nil {
		return err
	}
	plugin := filepath.Join(dom, pluginsDir, pluginName)
	defer d.lockTarget(dom, plugin)()

	root, err := d.open()
	if err != nil {
		return err
	}
	defer root.Close()

	rel := filepath.Join(parts...)
	for _, p := range []string{
		filepath.Join(dom, licensesDir, pluginName, rel),
		filepath.Join(plugin, rel),
	} {
		if err := removeFile(root, filepath.Dir(p), filepath.Base(p)); err != nil {
			return fmt.Errorf("remove licence of %s: %w", pluginName, err)
		}
	}
	return nil
}

// writeFile writes content to dir/name through a temporary file in dir:
// written, made 0644, flushed, then renamed over the target. On any failure
// the temporary file is removed and the target is left as it was. Content
// over the Dir's size limit is refused with ErrTooLarge.
func (d *Dir) writeFile(root *os.Root, dir, name string, content io.Reader) error {
	if err := cleanLeftovers(root, dir, name); err != nil {
		return err
	}

	tmp := filepath.Join(dir, tempName(name))
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}

	n, err := io.Copy(f, io.LimitReader(content, d.maxBytes+1))
	if err == nil && n > d.maxBytes {
		err = fmt.Errorf("%w: more than %d bytes", ErrTooLarge, d.maxBytes)
	}
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		root.Remove(tmp)
		return err
	}
	return syncDir(root, dir)
}

// removeFile removes dir/name and the leftovers of writes to it. A missing
// file, or a missing dir, is not an error.
func removeFile(root *os.Root, dir, name string) error {
	if err := cleanLeftovers(root, dir, name); err != nil {
		return err
	}
	err := root.Remove(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
