package worker

import (
	"context"
	"errors"

	"github.com/osemu/osemu"
)

// associate makes an ASSOCIATING association ACTIVE at the version it was
// moving to, or ASSOCIATION_FAILED when that version is gone.
func (w *Worker) associate(ctx context.Context, step *osemu.Step) error {
	var status osemu.DomainPackageStatus
	err := w.finish(ctx, step, func(tx osemu.Tx, _ *next) error {
		a, err := tx.GetAssociation(step.Scope, step.DomainName, step.PackageID)
		if errors.Is(err, osemu.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if a.Status != osemu.AssocAssociating {
			return nil
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
		status = a.Status
		return tx.PutAssociation(a)
	})
	if err != nil {
		return err
	}
	if status != "" {
		w.log.Info("package association done", "package_id", step.PackageID,
			"domain", step.DomainName, "scope", step.Scope.String(), "status", status)
	}
	return nil
}

// dissociate removes a DISSOCIATING association.
func (w *Worker) dissociate(ctx context.Context, step *osemu.Step) error {
	removed := false
	err := w.finish(ctx, step, func(tx osemu.Tx, _ *next) error {
		a, err := tx.GetAssociation(step.Scope, step.DomainName, step.PackageID)
		if errors.Is(err, osemu.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if a.Status != osemu.AssocDissociating {
			return nil
		}
		removed = true
		return tx.DeleteAssociation(step.Scope, step.DomainName, step.PackageID)
	})
	if err != nil {
		return err
	}
	if removed {
		w.log.Info("package dissociation done", "package_id", step.PackageID,
			"domain", step.DomainName, "scope", step.Scope.String())
	}
	return nil
}

// createDomain finishes creating a domain: it becomes Active.
func (w *Worker) createDomain(ctx context.Context, step *osemu.Step) error {
	done := false
	err := w.finish(ctx, step, func(tx osemu.Tx, _ *next) error {
		d, err := tx.GetDomain(step.Scope, step.DomainName)
		if errors.Is(err, osemu.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if d.State != osemu.DomainCreating {
			return nil
		}
		d.State = osemu.DomainActive
		d.UpdatedAt = w.now()
		done = true
		return tx.UpdateDomain(d)
	})
	if err != nil {
		return err
	}
	if done {
		w.log.Info("domain active", "domain", step.DomainName, "scope", step.Scope.String())
	}
	return nil
}

// deleteDomain removes a Deleting domain with its associations, their
// pending steps, and its tags.
func (w *Worker) deleteDomain(ctx context.Context, step *osemu.Step) error {
	done := false
	err := w.finish(ctx, step, func(tx osemu.Tx, _ *next) error {
		d, err := tx.GetDomain(step.Scope, step.DomainName)
		if errors.Is(err, osemu.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if d.State != osemu.DomainDeleting {
			return nil
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
	if err != nil {
		return err
	}
	if done {
		w.log.Info("domain deleted", "domain", step.DomainName, "scope", step.Scope.String())
	}
	return nil
}
