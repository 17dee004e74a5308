package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/deploy"
)

// stepAssociation returns the association a step acts on if it is still
// in status want; nil when it is gone or has moved on.
func stepAssociation(
	tx osemu.Tx, step *osemu.Step, want osemu.DomainPackageStatus,
) (*osemu.Association, error) {
	a, err := tx.GetAssociation(step.Scope, step.DomainName, step.PackageID)
	if errors.Is(err, osemu.ErrNotFound) || (err == nil && a.Status != want) {
		return nil, nil
	}
	return a, err
}

// stepDomain returns the domain a step acts on if it is still in state
// want; nil when it is gone or has moved on.
func stepDomain(tx osemu.Tx, step *osemu.Step, want osemu.DomainState) (*osemu.Domain, error) {
	d, err := tx.GetDomain(step.Scope, step.DomainName)
	if errors.Is(err, osemu.ErrNotFound) || (err == nil && d.State != want) {
		return nil, nil
	}
	return d, err
}

// target is what an association step acts on, read in one transaction.
type target struct {
	assoc   *osemu.Association
	pkg     *osemu.Package
	version *osemu.PackageVersion
	domain  *osemu.Domain

	// plugin is, for a licence or configuration package, the plugin it
	// belongs to, and pluginVersion the version of it the domain runs.
	plugin        *osemu.Package
	pluginVersion *osemu.PackageVersion
	pluginStatus  osemu.DomainPackageStatus
}

// loadTarget reads an association in status want with its package, the
// version it is at, its domain and, for licences and configurations,
// their plugin. It returns nil when the association has moved on.
func (w *Worker) loadTarget(
	ctx context.Context, step *osemu.Step, want osemu.DomainPackageStatus,
) (*target, error) {
	var t *target
	err := w.store.View(ctx, func(tx osemu.Tx) error {
		a, err := stepAssociation(tx, step, want)
		if a == nil {
			return err
		}
		t = &target{assoc: a}
		if t.pkg, err = optional(tx.GetPackage(a.PackageID)); err != nil {
			return err
		}
		if t.version, err = optional(tx.GetPackageVersion(a.PackageID, a.Version)); err != nil {
			return err
		}
		if t.domain, err = optional(tx.GetDomain(a.Scope, a.DomainName)); err != nil {
			return err
		}
		return t.loadPlugin(tx)
	})
	return t, err
}

// loadPlugin finds the plugin a licence or configuration belongs to: the
// ZIP-PLUGIN among its prerequisites, at the version the domain runs.
func (t *target) loadPlugin(tx osemu.Tx) error {
	if t.pkg == nil || (t.pkg.Type != osemu.PackageTypeLicense && t.pkg.Type != osemu.PackageTypeConfig) {
		return nil
	}
	for _, id := range t.assoc.Prerequisites {
		p, err := optional(tx.GetPackage(id))
		if err != nil {
			return err
		}
		if p == nil || p.Type != osemu.PackageTypeZipPlugin {
			continue
		}
		t.plugin = p

		// The plugin's association may be gone already when both are
		// dissociated: its files then went with the plugin's current
		// version.
		version := p.Version
		pa, err := optional(tx.GetAssociation(t.assoc.Scope, t.assoc.DomainName, id))
		if err != nil {
			return err
		}
		if pa != nil {
			version = pa.Version
			t.pluginStatus = pa.Status
		} else if t.assoc.Status == osemu.AssocAssociating {
			return nil
		}
		t.pluginVersion, err = optional(tx.GetPackageVersion(id, version))
		return err
	}
	return nil
}

// optional turns ErrNotFound into a nil row.
func optional[T any](v *T, err error) (*T, error) {
	if errors.Is(err, osemu.ErrNotFound) {
		return nil, nil
	}
	return v, err
}

// failure returns the ErrorDetails of an association that cannot run.
//
// AWS: the ErrorType strings AWS writes for ASSOCIATION_FAILED are not
// documented; osemu names the cause (EngineVersionMismatch,
// MissingRequiredPackage, PluginNameConflict, DeployFailed, ...)
// (unverified).
func failure(typ, format string, args ...any) *osemu.ErrorDetails {
	return &osemu.ErrorDetails{ErrorType: typ, ErrorMessage: fmt.Sprintf(format, args...)}
}

// associate makes an ASSOCIATING association ACTIVE at the version it was
// moving to, having deployed that version if osemu deploys, or
// ASSOCIATION_FAILED with the reason it cannot run on the domain.
func (w *Worker) associate(ctx context.Context, step *osemu.Step) error {
	t, err := w.loadTarget(ctx, step, osemu.AssocAssociating)
	if err != nil {
		return err
	}
	if t == nil {
		return w.skip(ctx, step)
	}

	// A licence or configuration waits for its plugin's own step, so that
	// the two end the same way.
	if t.pluginStatus == osemu.AssocAssociating {
		return w.finish(ctx, step, func(_ osemu.Tx, next *next) error {
			next.due = w.now().Add(max(w.delay/4, 10*time.Millisecond))
			return next.schedule(osemu.StepAssociate, step.Scope, step.PackageID, step.DomainName)
		})
	}

	var problem *osemu.ErrorDetails
	err = w.store.View(ctx, func(tx osemu.Tx) error {
		var err error
		problem, err = w.checkTarget(tx, t)
		return err
	})
	if err != nil {
		return err
	}
	if problem == nil && w.deploy != nil {
		problem = w.install(ctx, t)
	}

	var done *osemu.Association
	err = w.finish(ctx, step, func(tx osemu.Tx, _ *next) error {
		a, err := stepAssociation(tx, step, osemu.AssocAssociating)
		if a == nil || a.Version != t.assoc.Version {
			return err
		}
		a.UpdatedAt = w.now()
		a.Status = osemu.AssocActive
		a.ErrorDetails = problem
		if problem != nil {
			a.Status = osemu.AssocAssociationFailed
		}
		done = a
		return tx.PutAssociation(a)
	})
	if done == nil && w.deploy != nil && problem == nil {
		// What this run wrote did not commit: a newer request superseded
		// it. If that request took the package away, take the files away
		// too, as its own step may have run before these were written.
		w.undoInstall(ctx, step, t)
	}
	if err == nil && done != nil {
		w.log.Info("package association done", "package_id", step.PackageID,
			"domain", step.DomainName, "scope", step.Scope.String(), "status", done.Status)
	}
	return err
}

// undoInstall removes the files an association step wrote without
// committing, when the association is gone or going.
func (w *Worker) undoInstall(ctx context.Context, step *osemu.Step, t *target) {
	// The step's context may be what ended it (its lease was lost).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	var gone bool
	err := w.store.View(ctx, func(tx osemu.Tx) error {
		a, err := optional(tx.GetAssociation(step.Scope, step.DomainName, step.PackageID))
		gone = a == nil || a.Status == osemu.AssocDissociating
		return err
	})
	if err != nil || !gone {
		return
	}
	if err := w.uninstall(t); err != nil {
		w.log.Warn("undeploy failed", "package_id", step.PackageID, "domain", step.DomainName, "error", err)
	}
}

// checkTarget says why an association cannot run on its domain, or nil.
func (w *Worker) checkTarget(tx osemu.Tx, t *target) (*osemu.ErrorDetails, error) {
	a, p := t.assoc, t.pkg
	switch {
	case p == nil || t.version == nil:
		return failure("PackageVersionNotFound", "Version %s of package %s no longer exists.",
			osemu.VersionName(a.Version), a.PackageID), nil
	case t.domain == nil:
		return failure("DomainNotFound", "Domain %s no longer exists.", a.DomainName), nil
	case p.Type == osemu.PackageTypeZipPlugin && p.EngineVersion != t.domain.EngineVersion:
		return failure("EngineVersionMismatch",
			"Plugin %s is built for %s, but domain %s runs %s. Associate a plugin built for %s.",
			p.ID, p.EngineVersion, a.DomainName, t.domain.EngineVersion, t.domain.EngineVersion), nil
	}

	if p.Type == osemu.PackageTypeLicense || p.Type == osemu.PackageTypeConfig {
		if t.plugin == nil || t.pluginVersion == nil || t.pluginStatus == "" {
			return failure("PrerequisiteNotAssociated",
				"The plugin this %s belongs to is not associated with domain %s.", p.Type, a.DomainName), nil
		}
		if t.pluginStatus != osemu.AssocActive && t.pluginStatus != osemu.AssocAssociating {
			return failure("PrerequisiteFailed", "Plugin %s, which this %s belongs to, is %s on domain %s.",
				t.plugin.ID, p.Type, t.pluginStatus, a.DomainName), nil
		}
		return nil, nil
	}

	if p.Type == osemu.PackageTypeZipPlugin {
		if clash, err := pluginNameClash(tx, t); clash != nil || err != nil {
			return clash, err
		}
	}

	// A plugin that requires a licence or a configuration needs one
	// associated beside it.
	if p.Type == osemu.PackageTypeZipPlugin && p.Configuration != nil {
		required := map[osemu.PackageType]bool{
			osemu.PackageTypeLicense: p.Configuration.LicenseRequirement == "REQUIRED",
			osemu.PackageTypeConfig:  p.Configuration.ConfigurationRequirement == "REQUIRED",
		}
		for typ, need := range required {
			if !need {
				continue
			}
			ok, err := hasDependent(tx, a, typ)
			if err != nil {
				return nil, err
			}
			if !ok {
				return failure("MissingRequiredPackage",
					"Plugin %s requires a %s package; associate one with %s in its PrerequisitePackageIDList.",
					p.ID, typ, p.ID), nil
			}
		}
	}
	return nil, nil
}

// pluginNameClash refuses a plugin whose name another plugin on the domain
// already has: a node cannot load two plugins of one name.
func pluginNameClash(tx osemu.Tx, t *target) (*osemu.ErrorDetails, error) {
	name := pluginName(t.pkg, t.version)
	all, err := tx.ListAssociationsByDomain(t.assoc.Scope, t.assoc.DomainName, "", 0)
	if err != nil {
		return nil, err
	}
	for _, o := range all {
		if o.PackageID == t.pkg.ID || o.PackageType != osemu.PackageTypeZipPlugin ||
			(o.Status != osemu.AssocActive && o.Status != osemu.AssocAssociating) {
			continue
		}
		op, err := optional(tx.GetPackage(o.PackageID))
		if err != nil || op == nil {
			return nil, err
		}
		ov, err := optional(tx.GetPackageVersion(o.PackageID, o.Version))
		if err != nil {
			return nil, err
		}
		if pluginName(op, ov) == name {
			return failure("PluginNameConflict",
				"Domain %s already has plugin %s, named %s too; a domain cannot run two plugins of one name.",
				t.assoc.DomainName, o.PackageID, name), nil
		}
	}
	return nil, nil
}

// hasDependent reports whether the domain has a package of type typ that
// names the plugin association a as its prerequisite and is not leaving.
func hasDependent(tx osemu.Tx, a *osemu.Association, typ osemu.PackageType) (bool, error) {
	all, err := tx.ListAssociationsByDomain(a.Scope, a.DomainName, "", 0)
	if err != nil {
		return false, err
	}
	for _, o := range all {
		if o.PackageType == typ && slices.Contains(o.Prerequisites, a.PackageID) &&
			(o.Status == osemu.AssocActive || o.Status == osemu.AssocAssociating) {
			return true, nil
		}
	}
	return false, nil
}

// install writes the version an association runs where a node reads it,
// first removing what an older version of the association left under other
// names. A failure fails the association.
func (w *Worker) install(ctx context.Context, t *target) *osemu.ErrorDetails {
	a, p, v := t.assoc, t.pkg, t.version
	if p.Scope.Account == osemu.AWSOwner {
		// AWS's optional plugins ship with OpenSearch; nothing to write.
		return nil
	}

	f, remove, err := w.spool(ctx, v.Blob.ID)
	if err != nil {
		return failure("DeployFailed", "Version %s of package %s could not be read: %v",
			osemu.VersionName(v.Version), p.ID, err)
	}
	defer remove()

	rec := deploy.Record{PackageID: p.ID, Type: p.Type, Version: v.Version}
	switch p.Type {
	case osemu.PackageTypeZipPlugin:
		rec.Plugin = pluginName(p, v)
	case osemu.PackageTypeLicense:
		rec.Plugin = pluginName(t.plugin, t.pluginVersion)
		rec.LicensePath = licensePath(t.plugin, f)
	case osemu.PackageTypeConfig:
		rec.Plugin = pluginName(t.plugin, t.pluginVersion)
	}

	old, ok, err := w.deploy.ReadRecord(a.Scope, a.DomainName, p.ID)
	if err == nil && ok && (old.Plugin != rec.Plugin || old.LicensePath != rec.LicensePath) {
		err = w.removeFiles(a.Scope, a.DomainName, old)
	}
	if err == nil {
		err = w.writeFiles(a.Scope, a.DomainName, rec, f, v.Blob.Size)
	}
	if err == nil {
		err = w.deploy.WriteRecord(a.Scope, a.DomainName, rec)
	}
	if err != nil {
		w.log.Warn("deploy failed", "package_id", p.ID, "domain", a.DomainName, "error", err)
		return failure("DeployFailed", "Package %s could not be written to the deploy directory: %v", p.ID, err)
	}
	return nil
}

// writeFiles writes what a record names from content.
func (w *Worker) writeFiles(
	scope osemu.Scope, domain string, rec deploy.Record, content io.ReaderAt, size int64,
) error {
	switch rec.Type {
	case osemu.PackageTypeTxtDictionary:
		return w.deploy.WriteDictionary(scope, domain, rec.PackageID, io.NewSectionReader(content, 0, size))
	case osemu.PackageTypeZipPlugin:
		return w.deploy.InstallPlugin(scope, domain, rec.Plugin, content, size)
	case osemu.PackageTypeLicense:
		license := io.NewSectionReader(content, 0, size)
		return w.deploy.WriteLicense(scope, domain, rec.Plugin, rec.LicensePath, license)
	case osemu.PackageTypeConfig:
		return w.deploy.InstallConfig(scope, domain, rec.Plugin, content, size)
	}
	return nil
}

// removeFiles removes what a record names.
func (w *Worker) removeFiles(scope osemu.Scope, domain string, rec deploy.Record) error {
	switch rec.Type {
	case osemu.PackageTypeTxtDictionary:
		return w.deploy.RemoveDictionary(scope, domain, rec.PackageID)
	case osemu.PackageTypeZipPlugin:
		return w.deploy.RemovePlugin(scope, domain, rec.Plugin)
	case osemu.PackageTypeLicense:
		return w.deploy.RemoveLicense(scope, domain, rec.Plugin, rec.LicensePath)
	case osemu.PackageTypeConfig:
		return w.deploy.RemoveConfig(scope, domain, rec.Plugin)
	}
	return nil
}

// uninstall removes the files of an association that is going, as its
// record names them. It runs before the association's row goes, so a crash
// in between repeats it rather than forgetting it.
func (w *Worker) uninstall(t *target) error {
	a := t.assoc
	if w.deploy == nil {
		return nil
	}
	rec, ok, err := w.deploy.ReadRecord(a.Scope, a.DomainName, a.PackageID)
	if err != nil || !ok {
		return err
	}
	if err := w.removeFiles(a.Scope, a.DomainName, rec); err != nil {
		return err
	}
	return w.deploy.RemoveRecord(a.Scope, a.DomainName, a.PackageID)
}

// pluginName is the name a plugin's files go under: its descriptor's name,
// or the package's name when there is none.
func pluginName(p *osemu.Package, v *osemu.PackageVersion) string {
	if v != nil && v.PluginProperties != nil && v.PluginProperties.Name != "" {
		return v.PluginProperties.Name
	}
	return p.Name
}

// licensePath is where a plugin's licence goes in its folder: the path the
// plugin's configuration names, else license.json or license.xml as the
// content looks.
func licensePath(plugin *osemu.Package, content io.ReaderAt) string {
	if plugin.Configuration != nil && plugin.Configuration.LicenseFilepath != "" {
		return plugin.Configuration.LicenseFilepath
	}
	if content == nil {
		return "license.json"
	}
	head := make([]byte, 64)
	n, _ := content.ReadAt(head, 0)
	if bytes.HasPrefix(bytes.TrimSpace(head[:n]), []byte("<")) {
		return "license.xml"
	}
	return "license.json"
}

// dissociate removes a DISSOCIATING association, and its deployed files.
func (w *Worker) dissociate(ctx context.Context, step *osemu.Step) error {
	t, err := w.loadTarget(ctx, step, osemu.AssocDissociating)
	if err != nil {
		return err
	}
	if t == nil {
		return w.skip(ctx, step)
	}

	// The files go first: should the process die before the row goes, the
	// step runs again and finds nothing left to remove.
	if err := w.uninstall(t); err != nil {
		return fmt.Errorf("remove deployed files: %w", err)
	}

	done := false
	err = w.finish(ctx, step, func(tx osemu.Tx, _ *next) error {
		a, err := stepAssociation(tx, step, osemu.AssocDissociating)
		if a == nil {
			return err
		}
		done = true
		return tx.DeleteAssociation(a.Scope, a.DomainName, a.PackageID)
	})
	if err != nil || !done {
		return err
	}
	w.log.Info("package dissociation done", "package_id", step.PackageID,
		"domain", step.DomainName, "scope", step.Scope.String())
	return nil
}

// createDomain finishes creating a domain: it becomes Active.
func (w *Worker) createDomain(ctx context.Context, step *osemu.Step) error {
	done := false
	err := w.finish(ctx, step, func(tx osemu.Tx, _ *next) error {
		d, err := stepDomain(tx, step, osemu.DomainCreating)
		if d == nil {
			return err
		}
		d.State = osemu.DomainActive
		d.UpdatedAt = w.now()
		done = true
		return tx.UpdateDomain(d)
	})
	if err == nil && done {
		w.log.Info("domain active", "domain", step.DomainName, "scope", step.Scope.String())
	}
	return err
}

// deleteDomain removes a Deleting domain with its associations, their
// pending steps, its tags and its deployed files.
func (w *Worker) deleteDomain(ctx context.Context, step *osemu.Step) error {
	// The files go first, as for dissociations; nothing but this step
	// ever acts on a domain being deleted.
	if w.deploy != nil {
		var deleting *osemu.Domain
		err := w.store.View(ctx, func(tx osemu.Tx) (err error) {
			deleting, err = stepDomain(tx, step, osemu.DomainDeleting)
			return err
		})
		if err != nil {
			return err
		}
		if deleting != nil {
			if err := w.deploy.RemoveDomain(step.Scope, step.DomainName); err != nil {
				return fmt.Errorf("remove deployed files: %w", err)
			}
		}
	}

	done := false
	err := w.finish(ctx, step, func(tx osemu.Tx, _ *next) error {
		d, err := stepDomain(tx, step, osemu.DomainDeleting)
		if d == nil {
			return err
		}

		assocs, err := tx.ListAssociationsByDomain(d.Scope, d.Name, "", 0)
		if err != nil {
			return err
		}
		for _, a := range assocs {
			if err := tx.DeleteSteps(a.Scope, a.PackageID, a.DomainName); err != nil {
				return err
			}
			if err := tx.DeleteAssociation(a.Scope, a.DomainName, a.PackageID); err != nil {
				return err
			}
		}
		if err := tx.DeleteTags(d.ARN(), nil); err != nil {
			return err
		}
		done = true
		return tx.DeleteDomain(d.Scope, d.Name)
	})
	if err != nil || !done {
		return err
	}
	w.log.Info("domain deleted", "domain", step.DomainName, "scope", step.Scope.String())
	return nil
}
