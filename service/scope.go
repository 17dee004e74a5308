package service

import (
	"context"
	"slices"

	"github.com/osemu/osemu"
)

// Scope operations of UpdatePackageScope.
const (
	ScopeAdd      = "ADD"
	ScopeOverride = "OVERRIDE"
	ScopeRemove   = "REMOVE"
)

// UpdatePackageScope changes whom a package is shared with: ADD puts
// accounts (or GLOBAL, every account of the region) on its allow list,
// REMOVE takes them off, OVERRIDE replaces the list. Only the owner may.
// Accounts on the list see the package in DescribePackages and can
// associate it with their domains; associations they already have stay
// when they are taken off.
func (s *Service) UpdatePackageScope(
	ctx context.Context, scope osemu.Scope, id, op string, users []string,
) ([]string, error) {
	var allow []string
	err := s.update(ctx, func(tx osemu.Tx, _ *scheduler) error {
		p, err := visiblePackage(tx, scope, id)
		if err != nil {
			return err
		}
		if p.Scope != scope {
			// The model lists no AccessDeniedException for this
			// operation, unlike UpdatePackage and DeletePackage.
			return osemu.Errorf(osemu.CodeValidation,
				"Operation not allowed. Only the owner of package %s can change whom it is shared with.", id)
		}

		switch op {
		case ScopeAdd:
			for _, u := range users {
				if !slices.Contains(p.AllowList, u) {
					p.AllowList = append(p.AllowList, u)
				}
			}
		case ScopeRemove:
			p.AllowList = slices.DeleteFunc(p.AllowList, func(u string) bool {
				return slices.Contains(users, u)
			})
		case ScopeOverride:
			p.AllowList = nil
			for _, u := range users {
				if !slices.Contains(p.AllowList, u) {
					p.AllowList = append(p.AllowList, u)
				}
			}
		default:
			return osemu.ValidationError("Value '" + op + "' at 'operation' failed to satisfy " +
				"constraint: Member must satisfy enum value set: [ADD, OVERRIDE, REMOVE]")
		}
		if len(p.AllowList) == 0 {
			p.AllowList = nil
		}

		p.UpdatedAt = s.now()
		allow = p.AllowList
		return tx.UpdatePackage(p)
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("package scope updated", "package_id", id, "scope", scope.String(),
		"operation", op, "allow_list", allow)
	return allow, nil
}
