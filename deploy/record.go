package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"

	"github.com/osemu/osemu"
)

// recordsDir holds, per domain, what was written for each association. No
// OpenSearch node reads it: it is not one of the directories to mount.
const recordsDir = ".osemu"

// Record is what was written for one association: the version, and the
// names its files went under. Removing or replacing an association's files
// goes by its record, so that a newer version under another plugin name or
// licence path does not leave the old files behind.
type Record struct {
	PackageID string            `json:"PackageID"`
	Type      osemu.PackageType `json:"Type"`
	Version   int               `json:"Version"`

	// Plugin is the plugin's name: of the plugin itself, or of the plugin
	// a licence or configuration belongs to.
	Plugin string `json:"Plugin,omitempty"`

	// LicensePath is where a licence went in its plugin's folder.
	LicensePath string `json:"LicensePath,omitempty"`
}

// ReadRecord returns the record of an association; ok is false when there
// is none.
func (d *Dir) ReadRecord(scope osemu.Scope, domain, packageID string) (r Record, ok bool, err error) {
	dom, err := domainRel(scope, domain)
	if err != nil {
		return r, false, err
	}
	if err := checkName("package ID", packageID); err != nil {
		return r, false, err
	}
	root, err := d.open()
	if err != nil {
		return r, false, err
	}
	defer root.Close()

	f, err := root.Open(filepath.Join(dom, recordsDir, packageID+".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return r, false, nil
	}
	if err != nil {
		return r, false, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return r, false, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, false, fmt.Errorf("read record of %s: %w", packageID, err)
	}
	return r, true, nil
}

// WriteRecord stores the record of an association, atomically.
func (d *Dir) WriteRecord(scope osemu.Scope, domain string, r Record) error {
	dom, err := domainRel(scope, domain)
	if err != nil {
		return err
	}
	if err := checkName("package ID", r.PackageID); err != nil {
		return err
	}
	dir := filepath.Join(dom, recordsDir)
	defer d.lockTarget(dom, filepath.Join(dir, r.PackageID))()

	root, err := d.open()
	if err != nil {
		return err
	}
	defer root.Close()

	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := mkdirs(root, "", dir); err != nil {
		return fmt.Errorf("write record of %s: %w", r.PackageID, err)
	}
	if err := d.writeFile(root, dir, r.PackageID+".json", bytes.NewReader(b)); err != nil {
		return fmt.Errorf("write record of %s: %w", r.PackageID, err)
	}
	return nil
}

// RemoveRecord removes the record of an association; a missing one is not
// an error.
func (d *Dir) RemoveRecord(scope osemu.Scope, domain, packageID string) error {
	dom, err := domainRel(scope, domain)
	if err != nil {
		return err
	}
	if err := checkName("package ID", packageID); err != nil {
		return err
	}
	dir := filepath.Join(dom, recordsDir)
	defer d.lockTarget(dom, filepath.Join(dir, packageID))()

	root, err := d.open()
	if err != nil {
		return err
	}
	defer root.Close()
	if err := removeFile(root, dir, packageID+".json"); err != nil {
		return fmt.Errorf("remove record of %s: %w", packageID, err)
	}
	return nil
}
