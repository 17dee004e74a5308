package service

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/osemu/osemu"
)

// MaxTagsPerDomain is how many tags a domain can carry, as on AWS.
const MaxTagsPerDomain = 10

// MaxDescribeDomains is how many domains DescribeDomains describes at once.
const MaxDescribeDomains = 5

// CreateDomainInput is what CreateDomain takes.
type CreateDomainInput struct {
	Name          string
	EngineVersion string

	// Config is the rest of the request, kept as the client sent it.
	Config json.RawMessage

	Tags []osemu.Tag
}

// CreateDomain creates a domain, which is Creating until its creation step
// runs. A domain of that name that already exists is returned as it is,
// as AWS does.
func (s *Service) CreateDomain(
	ctx context.Context, scope osemu.Scope, in CreateDomainInput,
) (*osemu.Domain, error) {
	if in.EngineVersion == "" {
		in.EngineVersion = osemu.DefaultEngineVersion
	}
	if !osemu.ValidEngineVersion(in.EngineVersion) {
		return nil, osemu.Errorf(osemu.CodeValidation,
			"Invalid EngineVersion: %s. Valid values are: %s.",
			in.EngineVersion, strings.Join(osemu.EngineVersions, ", "))
	}
	if len(in.Tags) > MaxTagsPerDomain {
		return nil, errTooManyTags()
	}

	now := s.now()
	d := &osemu.Domain{
		Scope:         scope,
		Name:          in.Name,
		EngineVersion: in.EngineVersion,
		State:         osemu.DomainCreating,
		Config:        in.Config,
		Endpoint:      "search-" + in.Name + "-" + s.ids.Hex(26) + "." + scope.Region + ".es.amazonaws.com",
		ChangeID:      s.changeID(),
		CreatedAt:     now,
		UpdatedAt:     now,
	}

	created := false
	err := s.update(ctx, func(tx osemu.Tx, sched *scheduler) error {
		existing, err := tx.GetDomain(scope, in.Name)
		if err == nil {
			d, created = existing, false
			return nil
		}
		if !errors.Is(err, osemu.ErrNotFound) {
			return err
		}

		created = true
		if err := tx.InsertDomain(d); err != nil {
			return err
		}
		if len(in.Tags) > 0 {
			if err := tx.PutTags(d.ARN(), in.Tags); err != nil {
				return err
			}
		}
		return sched.schedule(osemu.StepDomainCreate, scope, "", in.Name)
	})
	if err != nil {
		return nil, err
	}
	if created {
		s.log.Info("domain created", "domain", d.Name, "scope", scope.String())
	}
	return d, nil
}

// changeID returns a GUID for a configuration change.
func (s *Service) changeID() string {
	h := s.ids.Hex(32)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// DescribeDomain returns one of the scope's domains.
func (s *Service) DescribeDomain(
	ctx context.Context, scope osemu.Scope, name string,
) (*osemu.Domain, error) {
	var d *osemu.Domain
	err := s.view(ctx, func(tx osemu.Tx) error {
		var err error
		d, err = tx.GetDomain(scope, name)
		if errors.Is(err, osemu.ErrNotFound) {
			return errDomainNotFound(name)
		}
		return err
	})
	return d, err
}

// DescribeDomains returns those of the named domains that exist, in the
// order of the names.
func (s *Service) DescribeDomains(
	ctx context.Context, scope osemu.Scope, names []string,
) ([]*osemu.Domain, error) {
	if len(names) > MaxDescribeDomains {
		return nil, osemu.Errorf(osemu.CodeValidation, "Please provide a maximum of 5 domain names to describe.")
	}

	var out []*osemu.Domain
	err := s.view(ctx, func(tx osemu.Tx) error {
		for _, name := range names {
			d, err := tx.GetDomain(scope, name)
			if errors.Is(err, osemu.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// ListDomainNames returns the scope's domains, all of them (AWS does not
// paginate this), optionally only those of one engine type.
func (s *Service) ListDomainNames(
	ctx context.Context, scope osemu.Scope, engineType string,
) ([]*osemu.Domain, error) {
	var out []*osemu.Domain
	err := s.view(ctx, func(tx osemu.Tx) error {
		all, err := tx.ListDomains(scope)
		if err != nil {
			return err
		}
		for _, d := range all {
			if engineType == "" || osemu.EngineType(d.EngineVersion) == engineType {
				out = append(out, d)
			}
		}
		return nil
	})
	return out, err
}

// DeleteDomain starts deleting a domain; it is Deleting when this returns
// and gone, with its package associations and tags, once the step is done.
func (s *Service) DeleteDomain(
	ctx context.Context, scope osemu.Scope, name string,
) (*osemu.Domain, error) {
	var d *osemu.Domain
	err := s.update(ctx, func(tx osemu.Tx, sched *scheduler) error {
		var err error
		d, err = tx.GetDomain(scope, name)
		if errors.Is(err, osemu.ErrNotFound) {
			return errDomainNotFound(name)
		}
		if err != nil {
			return err
		}
		if d.State == osemu.DomainDeleting {
			return nil
		}

		d.State = osemu.DomainDeleting
		d.UpdatedAt = s.now()
		if err := tx.UpdateDomain(d); err != nil {
			return err
		}
		return sched.schedule(osemu.StepDomainDelete, scope, "", name)
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("domain deletion started", "domain", name, "scope", scope.String())
	return d, nil
}

// liveDomain returns a domain that packages can be associated with: one
// that exists and is not being deleted.
//
// AWS: a domain that is still being created accepts associations here; AWS
// may refuse them until the domain is active (unverified).
func liveDomain(tx osemu.Tx, scope osemu.Scope, name string) (*osemu.Domain, error) {
	d, err := tx.GetDomain(scope, name)
	if errors.Is(err, osemu.ErrNotFound) || (err == nil && d.State == osemu.DomainDeleting) {
		return nil, errDomainNotFound(name)
	}
	return d, err
}

func errDomainNotFound(name string) error {
	return osemu.Errorf(osemu.CodeResourceNotFound, "Domain not found: %s", name)
}

func errTooManyTags() error {
	return osemu.Errorf(osemu.CodeLimitExceeded,
		"A domain can have at most %d tags.", MaxTagsPerDomain)
}

// AddTags attaches tags to a domain, replacing the values of keys it has.
func (s *Service) AddTags(
	ctx context.Context, scope osemu.Scope, arn string, tags []osemu.Tag,
) error {
	return s.update(ctx, func(tx osemu.Tx, _ *scheduler) error {
		if err := s.checkTaggable(tx, scope, arn); err != nil {
			return err
		}

		have, err := tx.ListTags(arn)
		if err != nil {
			return err
		}
		keys := make(map[string]bool, len(have)+len(tags))
		for _, t := range have {
			keys[t.Key] = true
		}
		for _, t := range tags {
			keys[t.Key] = true
		}
		if len(keys) > MaxTagsPerDomain {
			return errTooManyTags()
		}
		return tx.PutTags(arn, tags)
	})
}

// ListTags returns a domain's tags.
func (s *Service) ListTags(
	ctx context.Context, scope osemu.Scope, arn string,
) ([]osemu.Tag, error) {
	var tags []osemu.Tag
	err := s.view(ctx, func(tx osemu.Tx) error {
		if err := s.checkTaggable(tx, scope, arn); err != nil {
			return err
		}
		var err error
		tags, err = tx.ListTags(arn)
		return err
	})
	return tags, err
}

// RemoveTags removes tags from a domain by key.
func (s *Service) RemoveTags(
	ctx context.Context, scope osemu.Scope, arn string, keys []string,
) error {
	if len(keys) == 0 {
		// Store.DeleteTags reads no keys as "every key"; a request with
		// none removes nothing.
		return nil
	}
	return s.update(ctx, func(tx osemu.Tx, _ *scheduler) error {
		if err := s.checkTaggable(tx, scope, arn); err != nil {
			return err
		}
		return tx.DeleteTags(arn, keys)
	})
}

// checkTaggable accepts the ARN of one of the scope's domains.
func (s *Service) checkTaggable(tx osemu.Tx, scope osemu.Scope, arn string) error {
	prefix := "arn:aws:es:" + scope.Region + ":" + scope.Account + ":domain/"
	name, ok := strings.CutPrefix(arn, prefix)
	if !ok {
		if strings.HasPrefix(arn, "arn:") && strings.Count(arn, ":") >= 5 {
			return osemu.Errorf(osemu.CodeResourceNotFound, "Resource not found: %s", arn)
		}
		return osemu.Errorf(osemu.CodeValidation, "Invalid ARN: %s", arn)
	}
	if _, err := liveDomain(tx, scope, name); err != nil {
		return osemu.Errorf(osemu.CodeResourceNotFound, "Domain not found: %s", name)
	}
	return nil
}
