package worker

import (
	"context"
	"errors"

	"github.com/osemu/osemu"
)

// stepAssociation returns the association a step acts on if it is still
// in status want; nil when it is gone or has moved on.
func stepAssociation(tx osemu.Tx, step *osemu.Step, want osemu.DomainPackageStatus) (*osemu.Association, error) {
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

// associate makes an ASSOCIATING association ACTIVE at the version it was
// moving to, or ASSOCIATION_FAILED when that version is gone.
func (w *Worker) associate(ctx context.Context, step *osemu.Step) error {
	var done *osemu.Association
	err := w.finish(ctx, step, func(tx osemu.Tx, _ *next) error {
		a, err := stepAssociation(tx, step, osemu.AssocAssociating)
		if a == nil {
			return err
		}

		a.UpdatedAt = w.now()
		a.Status = osemu.AssocActive
		a.ErrorDetails = nil
		if _, err := tx.GetPackageVersion(a.PackageID, a.Version); err != nil {
			if !errors.Is(err, osemu.ErrNotFound) {
				return err
			}
			a.Status = osemu.AssocAssociationFailed
			a.ErrorDetails = &osemu.ErrorDetails{
				ErrorType:    "PackageVersionNotFound",
				ErrorMessage: "Version " + osemu.VersionName(a.Version) + " of the package no longer exists.",
			}
		}
		done = a
		return tx.PutAssociation(a)
	})
	if err == nil && done != nil {
		w.log.Info("package association done", "package_id", step.PackageID,
			"domain", step.DomainName, "scope", step.Scope.String(), "status", done.Status)
	}
	return err
}

// dissociate removes a DISSOCIATING association.
func (w *Worker) dissociate(ctx context.Context, step *osemu.Step) error {
	done := false
	err := w.finish(ctx, step, func(tx osemu.Tx, _ *next) error {
		a, err := stepAssociation(tx, step, osemu.AssocDissociating)
		if a == nil {
			return err
		}
		done = true
		return tx.DeleteAssociation(a.Scope, a.DomainName, a.PackageID)
	})
	if err == nil && done {
		w.log.Info("package dissociation done", "package_id", step.PackageID,
			"domain", step.DomainName, "scope", step.Scope.String())
	}
	return err
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
// pending steps, and its tags.
func (w *Worker) deleteDomain(ctx context.Context, step *osemu.Step) error {
	done := false
	err := w.finish(ctx, step, func(tx osemu.Tx, _ *next) error {
		d, err := stepDomain(tx, step, osemu.DomainDeleting)
		if d == nil {
			return err
		}

		for {
			assocs, err := tx.ListAssociationsByDomain(d.Scope, d.Name, "", 100)
			if err != nil {
				return err
			}
			if len(assocs) == 0 {
				break
			}
			for _, a := range assocs {
				if err := tx.DeleteSteps(a.Scope, a.PackageID, a.DomainName); err != nil {
					return err
				}
				if err := tx.DeleteAssociation(a.Scope, a.DomainName, a.PackageID); err != nil {
					return err
				}
			}
		}
		if err := tx.DeleteTags(d.ARN(), nil); err != nil {
			return err
		}
		done = true
		return tx.DeleteDomain(d.Scope, d.Name)
	})
	if err == nil && done {
		w.log.Info("domain deleted", "domain", step.DomainName, "scope", step.Scope.String())
	}
	return err
}
