package service

import (
	"context"
	"errors"
	"slices"

	"github.com/osemu/osemu"
)

// AssociateItem is one package to associate with a domain.
type AssociateItem struct {
	PackageID     string
	Prerequisites []string
	Configuration *osemu.AssociationConfiguration
}

// AssociatePackage associates a package with a domain, or moves an
// association to the package's newest version. The association is
// ASSOCIATING when this returns.
func (s *Service) AssociatePackage(
	ctx context.Context, scope osemu.Scope, domainName string, item AssociateItem,
) (*osemu.Association, error) {
	out, err := s.AssociatePackages(ctx, scope, domainName, []AssociateItem{item})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// AssociatePackages associates several packages with a domain at once: all
// of them, or, if any one cannot be, none.
func (s *Service) AssociatePackages(
	ctx context.Context, scope osemu.Scope, domainName string, items []AssociateItem,
) ([]*osemu.Association, error) {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.PackageID
	}
	out, err := s.batch(ctx, scope, domainName, ids,
		func(tx osemu.Tx, sched *scheduler, i int) (*osemu.Association, error) {
			return s.associate(tx, sched, scope, domainName, items[i])
		},
		func(tx osemu.Tx, _ *scheduler, out []*osemu.Association) error {
			if err := s.checkDomainQuota(tx, scope, domainName); err != nil {
				return err
			}
			return checkPrerequisites(tx, scope, domainName, out)
		})
	if err != nil {
		return nil, err
	}
	for _, a := range out {
		s.log.Info("package association started", "package_id", a.PackageID,
			"domain", domainName, "scope", scope.String(), "version", a.Version)
	}
	return out, nil
}

// batch runs one change per package of a list on a live domain, then a
// check of the whole, in a single transaction, so that either every change
// happens or none does.
func (s *Service) batch(
	ctx context.Context, scope osemu.Scope, domainName string, packageIDs []string,
	change func(tx osemu.Tx, sched *scheduler, i int) (*osemu.Association, error),
	whole func(tx osemu.Tx, sched *scheduler, out []*osemu.Association) error,
) ([]*osemu.Association, error) {
	if len(packageIDs) == 0 {
		return nil, osemu.ValidationError("Value '[]' at 'packageList' failed to satisfy " +
			"constraint: Member must have length greater than or equal to 1")
	}
	if dup := firstDuplicate(packageIDs); dup != "" {
		return nil, osemu.Errorf(osemu.CodeValidation,
			"Package %s appears more than once in the package list.", dup)
	}

	var out []*osemu.Association
	err := s.update(ctx, func(tx osemu.Tx, sched *scheduler) error {
		out = out[:0]
		if _, err := liveDomain(tx, scope, domainName); err != nil {
			return err
		}
		for i := range packageIDs {
			a, err := change(tx, sched, i)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return whole(tx, sched, out)
	})
	return out, err
}

// checkDomainQuota refuses more associations on a domain than the quota.
func (s *Service) checkDomainQuota(tx osemu.Tx, scope osemu.Scope, domainName string) error {
	n, err := tx.CountDomainAssociations(scope, domainName)
	if err != nil {
		return err
	}
	if n > s.quotas.DomainPackages {
		return osemu.Errorf(osemu.CodeLimitExceeded,
			"A domain can have at most %d packages associated; %s would have %d.",
			s.quotas.DomainPackages, domainName, n)
	}
	return nil
}

// checkPrerequisites enforces that the prerequisites of new associations
// exist, and that a licence or configuration package names the plugin it
// belongs to, associated with the domain (or being associated with it in
// the same request).
//
// AWS: (unverified) the code and wording of these refusals.
func checkPrerequisites(
	tx osemu.Tx, scope osemu.Scope, domainName string, out []*osemu.Association,
) error {
	for _, a := range out {
		plugins := 0
		for _, id := range a.Prerequisites {
			p, err := visiblePackage(tx, scope, id)
			if err != nil {
				return err
			}
			if p.Type != osemu.PackageTypeZipPlugin {
				continue
			}
			pa, err := tx.GetAssociation(scope, domainName, id)
			if errors.Is(err, osemu.ErrNotFound) ||
				(err == nil && pa.Status != osemu.AssocActive && pa.Status != osemu.AssocAssociating) {
				return osemu.Errorf(osemu.CodeValidation,
					"Prerequisite package %s is not associated with domain %s. Associate it first, or in the same request.",
					id, domainName)
			}
			if err != nil {
				return err
			}
			plugins++
		}

		needsPlugin := a.PackageType == osemu.PackageTypeLicense || a.PackageType == osemu.PackageTypeConfig
		if needsPlugin && plugins != 1 {
			return osemu.Errorf(osemu.CodeValidation,
				"Package %s is a %s: its PrerequisitePackageIDList must name the one ZIP-PLUGIN package it belongs to.",
				a.PackageID, a.PackageType)
		}
	}
	return nil
}

// associate starts one association inside a transaction.
func (s *Service) associate(
	tx osemu.Tx, sched *scheduler, scope osemu.Scope, domainName string, item AssociateItem,
) (*osemu.Association, error) {
	p, err := visiblePackage(tx, scope, item.PackageID)
	if err != nil {
		return nil, err
	}
	if p.Status != osemu.PackageAvailable {
		// AWS: the exact code and text for associating a package that is
		// not AVAILABLE are unverified.
		return nil, osemu.Errorf(osemu.CodeConflict,
			"Package %s is %s; only an AVAILABLE package can be associated.", p.ID, p.Status)
	}

	a, err := tx.GetAssociation(scope, domainName, p.ID)
	switch {
	case errors.Is(err, osemu.ErrNotFound):
		a = &osemu.Association{
			Scope:       scope,
			DomainName:  domainName,
			PackageID:   p.ID,
			PackageName: p.Name,
			PackageType: p.Type,
		}
	case err != nil:
		return nil, err
	case a.Status == osemu.AssocDissociating:
		return nil, osemu.Errorf(osemu.CodeConflict,
			"Package %s is being dissociated from domain %s. Wait until it is gone, then associate it again.",
			p.ID, domainName)
	case (a.Status == osemu.AssocActive || a.Status == osemu.AssocAssociating) && a.Version == p.Version:
		return nil, osemu.Errorf(osemu.CodeConflict, "Package is already in desired state")
	}

	// A new association, a retry of a failed one, or a move to the newest
	// version: the domain keeps running its old version until the step is
	// done.
	a.Status = osemu.AssocAssociating
	a.Version = p.Version
	a.ErrorDetails = nil
	a.UpdatedAt = s.now()
	if item.Prerequisites != nil {
		a.Prerequisites = item.Prerequisites
	}
	if item.Configuration != nil {
		a.Configuration = item.Configuration
	}
	if err := tx.PutAssociation(a); err != nil {
		return nil, err
	}
	if err := sched.schedule(osemu.StepAssociate, scope, p.ID, domainName); err != nil {
		return nil, err
	}
	return a, nil
}

// DissociatePackage removes a package from a domain. The association is
// DISSOCIATING when this returns, and gone once the step is done.
func (s *Service) DissociatePackage(
	ctx context.Context, scope osemu.Scope, domainName, packageID string,
) (*osemu.Association, error) {
	out, err := s.DissociatePackages(ctx, scope, domainName, []string{packageID})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// DissociatePackages removes several packages from a domain at once: all of
// them, or, if any one cannot be, none.
func (s *Service) DissociatePackages(
	ctx context.Context, scope osemu.Scope, domainName string, packageIDs []string,
) ([]*osemu.Association, error) {
	out, err := s.batch(ctx, scope, domainName, packageIDs,
		func(tx osemu.Tx, sched *scheduler, i int) (*osemu.Association, error) {
			return s.dissociate(tx, sched, scope, domainName, packageIDs[i])
		},
		func(tx osemu.Tx, sched *scheduler, out []*osemu.Association) error {
			if err := checkRequiredStay(tx, scope, domainName, out); err != nil {
				return err
			}
			return s.dissociateDependents(tx, sched, scope, domainName, out)
		})
	if err != nil {
		return nil, err
	}
	for _, a := range out {
		s.log.Info("package dissociation started", "package_id", a.PackageID,
			"domain", domainName, "scope", scope.String())
	}
	return out, nil
}

// dissociate starts one dissociation inside a transaction.
func (s *Service) dissociate(
	tx osemu.Tx, sched *scheduler, scope osemu.Scope, domainName, packageID string,
) (*osemu.Association, error) {
	// A domain's association can always be undone by the domain's owner,
	// also once the package's owner has stopped sharing it.
	a, err := tx.GetAssociation(scope, domainName, packageID)
	if errors.Is(err, osemu.ErrNotFound) {
		if _, err := visiblePackage(tx, scope, packageID); err != nil {
			return nil, err
		}
	}
	if errors.Is(err, osemu.ErrNotFound) || (err == nil && a.Status == osemu.AssocDissociating) {
		// The text Terraform's provider looks for to treat the
		// association as already gone.
		//
		// AWS: an association that is DISSOCIATING counts as not
		// associated (unverified).
		return nil, osemu.Errorf(osemu.CodeValidation, "Package is not associated to this domain")
	}
	if err != nil {
		return nil, err
	}

	a.Status = osemu.AssocDissociating
	a.ErrorDetails = nil
	a.UpdatedAt = s.now()
	if err := tx.PutAssociation(a); err != nil {
		return nil, err
	}
	if err := sched.schedule(osemu.StepDissociate, scope, packageID, domainName); err != nil {
		return nil, err
	}
	return a, nil
}

// checkRequiredStay refuses to take a licence or configuration away from a
// plugin that requires it and stays on the domain.
//
// AWS: (unverified) the code and wording.
func checkRequiredStay(
	tx osemu.Tx, scope osemu.Scope, domainName string, out []*osemu.Association,
) error {
	for _, a := range out {
		if a.PackageType != osemu.PackageTypeLicense && a.PackageType != osemu.PackageTypeConfig {
			continue
		}
		for _, id := range a.Prerequisites {
			pa, err := tx.GetAssociation(scope, domainName, id)
			if errors.Is(err, osemu.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if pa.Status == osemu.AssocDissociating {
				continue
			}
			plugin, err := tx.GetPackage(id)
			if errors.Is(err, osemu.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if requires(plugin, a.PackageType) {
				return osemu.Errorf(osemu.CodeConflict,
					"Plugin %s requires its %s and stays on domain %s; dissociate the plugin to take both away.",
					id, a.PackageType, domainName)
			}
		}
	}
	return nil
}

// requires reports whether a plugin declares a package of type typ
// REQUIRED.
func requires(plugin *osemu.Package, typ osemu.PackageType) bool {
	c := plugin.Configuration
	switch {
	case c == nil:
		return false
	case typ == osemu.PackageTypeLicense:
		return c.LicenseRequirement == "REQUIRED"
	case typ == osemu.PackageTypeConfig:
		return c.ConfigurationRequirement == "REQUIRED"
	}
	return false
}

// dissociateDependents takes the licence and configuration packages of the
// plugins being dissociated along with them.
func (s *Service) dissociateDependents(
	tx osemu.Tx, sched *scheduler, scope osemu.Scope, domainName string, out []*osemu.Association,
) error {
	var plugins []string
	for _, a := range out {
		if a.PackageType == osemu.PackageTypeZipPlugin {
			plugins = append(plugins, a.PackageID)
		}
	}
	if len(plugins) == 0 {
		return nil
	}

	// A domain holds at most the quota of associations: one page is all.
	all, err := tx.ListAssociationsByDomain(scope, domainName, "", 0)
	if err != nil {
		return err
	}
	for _, a := range all {
		if a.Status == osemu.AssocDissociating {
			continue
		}
		for _, pre := range a.Prerequisites {
			if slices.Contains(plugins, pre) {
				if _, err := s.dissociate(tx, sched, scope, domainName, a.PackageID); err != nil {
					return err
				}
				break
			}
		}
	}
	return nil
}

// ListDomainsForPackage returns a page of the scope's domains that the
// package is associated with, ordered by domain name.
func (s *Service) ListDomainsForPackage(
	ctx context.Context, scope osemu.Scope, packageID string, page Page,
) ([]*osemu.Association, string, error) {
	limit, err := page.limit()
	if err != nil {
		return nil, "", err
	}

	want := cursor{Op: "ListDomainsForPackage", Scope: scope.String(), Parent: packageID}
	after := ""
	if page.NextToken != "" {
		c, err := s.tokens.decode(ctx, page.NextToken, want)
		if err != nil {
			return nil, "", err
		}
		after = c.Key
	}

	var found []*osemu.Association
	err = s.view(ctx, func(tx osemu.Tx) error {
		if _, err := visiblePackage(tx, scope, packageID); err != nil {
			return err
		}
		found, err = tx.ListAssociationsByPackage(scope, packageID, after, limit+1)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return s.associationPage(ctx, found, limit, want, func(a *osemu.Association) string { return a.DomainName })
}

// ListPackagesForDomain returns a page of the packages associated with a
// domain, ordered by package ID.
func (s *Service) ListPackagesForDomain(
	ctx context.Context, scope osemu.Scope, domainName string, page Page,
) ([]*osemu.Association, string, error) {
	limit, err := page.limit()
	if err != nil {
		return nil, "", err
	}

	want := cursor{Op: "ListPackagesForDomain", Scope: scope.String(), Parent: domainName}
	after := ""
	if page.NextToken != "" {
		c, err := s.tokens.decode(ctx, page.NextToken, want)
		if err != nil {
			return nil, "", err
		}
		after = c.Key
	}

	var found []*osemu.Association
	err = s.view(ctx, func(tx osemu.Tx) error {
		if _, err := tx.GetDomain(scope, domainName); err != nil {
			if errors.Is(err, osemu.ErrNotFound) {
				return errDomainNotFound(domainName)
			}
			return err
		}
		found, err = tx.ListAssociationsByDomain(scope, domainName, after, limit+1)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return s.associationPage(ctx, found, limit, want, func(a *osemu.Association) string { return a.PackageID })
}

// associationPage cuts a listing fetched with one extra row to the page
// size and issues the token for the rest.
func (s *Service) associationPage(
	ctx context.Context, found []*osemu.Association, limit int, c cursor,
	key func(*osemu.Association) string,
) ([]*osemu.Association, string, error) {
	if len(found) <= limit {
		return found, "", nil
	}
	found = found[:limit]
	c.Key = key(found[limit-1])
	next, err := s.tokens.encode(ctx, c)
	return found, next, err
}

// firstDuplicate returns the first ID that occurs twice in ids, or "".
func firstDuplicate(ids []string) string {
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			return id
		}
		seen[id] = true
	}
	return ""
}
