package api

import (
	"context"
	"strconv"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/service"
)

// packageDetails is the PackageDetails shape.
type packageDetails struct {
	PackageID                     string                          `json:"PackageID"`
	PackageName                   string                          `json:"PackageName"`
	PackageType                   osemu.PackageType               `json:"PackageType"`
	PackageDescription            string                          `json:"PackageDescription,omitempty"`
	PackageStatus                 osemu.PackageStatus             `json:"PackageStatus"`
	CreatedAt                     osemu.Time                      `json:"CreatedAt"`
	LastUpdatedAt                 osemu.Time                      `json:"LastUpdatedAt"`
	AvailablePackageVersion       string                          `json:"AvailablePackageVersion,omitempty"`
	ErrorDetails                  *osemu.ErrorDetails             `json:"ErrorDetails,omitempty"`
	EngineVersion                 string                          `json:"EngineVersion,omitempty"`
	AvailablePluginProperties     *osemu.PluginProperties         `json:"AvailablePluginProperties,omitempty"`
	AvailablePackageConfiguration *osemu.PackageConfiguration     `json:"AvailablePackageConfiguration,omitempty"`
	AllowListedUserList           []string                        `json:"AllowListedUserList,omitempty"`
	PackageOwner                  string                          `json:"PackageOwner,omitempty"`
	PackageVendingOptions         *osemu.PackageVendingOptions    `json:"PackageVendingOptions,omitempty"`
	PackageEncryptionOptions      *osemu.PackageEncryptionOptions `json:"PackageEncryptionOptions,omitempty"`
}

// newPackageDetails renders a package as the scope sees it.
func newPackageDetails(p *osemu.Package, scope osemu.Scope) packageDetails {
	d := packageDetails{
		PackageID:                     p.ID,
		PackageName:                   p.Name,
		PackageType:                   p.Type,
		PackageDescription:            p.Description,
		PackageStatus:                 p.Status,
		CreatedAt:                     osemu.NewTime(p.CreatedAt),
		LastUpdatedAt:                 osemu.NewTime(p.UpdatedAt),
		ErrorDetails:                  p.ErrorDetails,
		EngineVersion:                 p.EngineVersion,
		AvailablePluginProperties:     p.PluginProperties,
		AvailablePackageConfiguration: p.Configuration,
		PackageOwner:                  p.Scope.Account,
		PackageVendingOptions:         p.VendingOptions,
		PackageEncryptionOptions:      p.EncryptionOptions,
	}
	if p.Version > 0 {
		d.AvailablePackageVersion = osemu.VersionName(p.Version)
	}
	if p.Scope == scope {
		// Only the owner sees whom the package is shared with.
		d.AllowListedUserList = p.AllowList
	}
	return d
}

// domainPackageDetails is the DomainPackageDetails shape.
type domainPackageDetails struct {
	PackageID                 string                          `json:"PackageID"`
	PackageName               string                          `json:"PackageName"`
	PackageType               osemu.PackageType               `json:"PackageType"`
	LastUpdated               osemu.Time                      `json:"LastUpdated"`
	DomainName                string                          `json:"DomainName"`
	DomainPackageStatus       osemu.DomainPackageStatus       `json:"DomainPackageStatus"`
	PackageVersion            string                          `json:"PackageVersion,omitempty"`
	PrerequisitePackageIDList []string                        `json:"PrerequisitePackageIDList,omitempty"`
	ReferencePath             string                          `json:"ReferencePath,omitempty"`
	ErrorDetails              *osemu.ErrorDetails             `json:"ErrorDetails,omitempty"`
	AssociationConfiguration  *osemu.AssociationConfiguration `json:"AssociationConfiguration,omitempty"`
}

func newDomainPackageDetails(a *osemu.Association) domainPackageDetails {
	d := domainPackageDetails{
		PackageID:                 a.PackageID,
		PackageName:               a.PackageName,
		PackageType:               a.PackageType,
		LastUpdated:               osemu.NewTime(a.UpdatedAt),
		DomainName:                a.DomainName,
		DomainPackageStatus:       a.Status,
		PrerequisitePackageIDList: a.Prerequisites,
		ReferencePath:             osemu.ReferencePath(a.PackageType, a.PackageID),
		ErrorDetails:              a.ErrorDetails,
		AssociationConfiguration:  a.Configuration,
	}
	if a.Version > 0 {
		d.PackageVersion = osemu.VersionName(a.Version)
	}
	return d
}

// domainPackageList renders associations; an empty list stays a list.
func domainPackageList(as []*osemu.Association) []domainPackageDetails {
	out := make([]domainPackageDetails, 0, len(as))
	for _, a := range as {
		out = append(out, newDomainPackageDetails(a))
	}
	return out
}

// packageVersionHistory is the PackageVersionHistory shape.
type packageVersionHistory struct {
	PackageVersion       string                      `json:"PackageVersion"`
	CommitMessage        string                      `json:"CommitMessage,omitempty"`
	CreatedAt            osemu.Time                  `json:"CreatedAt"`
	PluginProperties     *osemu.PluginProperties     `json:"PluginProperties,omitempty"`
	PackageConfiguration *osemu.PackageConfiguration `json:"PackageConfiguration,omitempty"`
}

// pageOutput adds NextToken to a listing's output when there is a next
// page; the last page has no NextToken member at all.
func pageOutput(out map[string]any, next string) map[string]any {
	if next != "" {
		out["NextToken"] = next
	}
	return out
}

// pageOf reads the MaxResults and NextToken members of a listing's input.
func pageOf(c *call) (service.Page, error) {
	var in struct {
		MaxResults int
		NextToken  string
	}
	if err := c.decode(&in); err != nil {
		return service.Page{}, err
	}
	return service.Page{MaxResults: in.MaxResults, NextToken: in.NextToken}, nil
}

func (s *Server) createPackage(ctx context.Context, c *call) (any, error) {
	var in struct {
		PackageName              string
		PackageType              osemu.PackageType
		PackageDescription       string
		PackageSource            osemu.S3Location
		PackageConfiguration     *osemu.PackageConfiguration
		EngineVersion            string
		PackageVendingOptions    *osemu.PackageVendingOptions
		PackageEncryptionOptions *osemu.PackageEncryptionOptions
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}

	p, err := s.svc.CreatePackage(ctx, c.scope, service.CreatePackageInput{
		Name:              in.PackageName,
		Type:              in.PackageType,
		Description:       in.PackageDescription,
		Source:            in.PackageSource,
		Configuration:     in.PackageConfiguration,
		EngineVersion:     in.EngineVersion,
		VendingOptions:    in.PackageVendingOptions,
		EncryptionOptions: in.PackageEncryptionOptions,
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"PackageDetails": newPackageDetails(p, c.scope)}, nil
}

func (s *Server) updatePackage(ctx context.Context, c *call) (any, error) {
	var in struct {
		PackageID                string
		PackageSource            osemu.S3Location
		PackageDescription       *string
		CommitMessage            string
		PackageConfiguration     *osemu.PackageConfiguration
		PackageEncryptionOptions *osemu.PackageEncryptionOptions
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}

	p, err := s.svc.UpdatePackage(ctx, c.scope, service.UpdatePackageInput{
		ID:                in.PackageID,
		Source:            in.PackageSource,
		Description:       in.PackageDescription,
		CommitMessage:     in.CommitMessage,
		Configuration:     in.PackageConfiguration,
		EncryptionOptions: in.PackageEncryptionOptions,
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"PackageDetails": newPackageDetails(p, c.scope)}, nil
}

func (s *Server) deletePackage(ctx context.Context, c *call) (any, error) {
	var in struct{ PackageID string }
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	p, err := s.svc.DeletePackage(ctx, c.scope, in.PackageID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"PackageDetails": newPackageDetails(p, c.scope)}, nil
}

func (s *Server) describePackages(ctx context.Context, c *call) (any, error) {
	var in struct {
		Filters []struct {
			Name  string
			Value []string
		}
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	page, err := pageOf(c)
	if err != nil {
		return nil, err
	}

	filters := service.PackageFilters{}
	for i, f := range in.Filters {
		if f.Name == "" {
			return nil, osemu.ValidationError("Value null at 'filters." + strconv.Itoa(i+1) +
				".member.name' failed to satisfy constraint: Member must not be null")
		}
		if f.Value == nil {
			return nil, osemu.ValidationError("Value null at 'filters." + strconv.Itoa(i+1) +
				".member.value' failed to satisfy constraint: Member must not be null")
		}
		filters.Restrict(f.Name, f.Value...)
	}

	if c.legacy {
		// The 2015-01-01 API knows dictionaries only.
		filters.Restrict("PackageType", string(osemu.PackageTypeTxtDictionary))
	}

	found, next, err := s.svc.DescribePackages(ctx, c.scope, filters, page)
	if err != nil {
		return nil, err
	}
	list := make([]packageDetails, 0, len(found))
	for _, p := range found {
		list = append(list, newPackageDetails(p, c.scope))
	}
	return pageOutput(map[string]any{"PackageDetailsList": list}, next), nil
}

func (s *Server) getPackageVersionHistory(ctx context.Context, c *call) (any, error) {
	var in struct{ PackageID string }
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	page, err := pageOf(c)
	if err != nil {
		return nil, err
	}

	versions, next, err := s.svc.GetPackageVersionHistory(ctx, c.scope, in.PackageID, page)
	if err != nil {
		return nil, err
	}
	list := make([]packageVersionHistory, 0, len(versions))
	for _, v := range versions {
		list = append(list, packageVersionHistory{
			PackageVersion:       osemu.VersionName(v.Version),
			CommitMessage:        v.CommitMessage,
			CreatedAt:            osemu.NewTime(v.CreatedAt),
			PluginProperties:     v.PluginProperties,
			PackageConfiguration: v.Configuration,
		})
	}
	return pageOutput(map[string]any{
		"PackageID":                 in.PackageID,
		"PackageVersionHistoryList": list,
	}, next), nil
}

// associationInput is the PackageDetailsForAssociation shape, and the body
// of AssociatePackage.
type associationInput struct {
	PackageID                 string
	PrerequisitePackageIDList []string
	AssociationConfiguration  *osemu.AssociationConfiguration
}

func (a associationInput) item() service.AssociateItem {
	return service.AssociateItem{
		PackageID:     a.PackageID,
		Prerequisites: a.PrerequisitePackageIDList,
		Configuration: a.AssociationConfiguration,
	}
}

func (s *Server) associatePackage(ctx context.Context, c *call) (any, error) {
	var in struct {
		associationInput
		DomainName string
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	a, err := s.svc.AssociatePackage(ctx, c.scope, in.DomainName, in.item())
	if err != nil {
		return nil, err
	}
	return map[string]any{"DomainPackageDetails": newDomainPackageDetails(a)}, nil
}

func (s *Server) associatePackages(ctx context.Context, c *call) (any, error) {
	var in struct {
		PackageList []associationInput
		DomainName  string
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	items := make([]service.AssociateItem, len(in.PackageList))
	for i, p := range in.PackageList {
		items[i] = p.item()
	}
	as, err := s.svc.AssociatePackages(ctx, c.scope, in.DomainName, items)
	if err != nil {
		return nil, err
	}
	return map[string]any{"DomainPackageDetailsList": domainPackageList(as)}, nil
}

func (s *Server) dissociatePackage(ctx context.Context, c *call) (any, error) {
	var in struct{ PackageID, DomainName string }
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	a, err := s.svc.DissociatePackage(ctx, c.scope, in.DomainName, in.PackageID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"DomainPackageDetails": newDomainPackageDetails(a)}, nil
}

func (s *Server) dissociatePackages(ctx context.Context, c *call) (any, error) {
	var in struct {
		PackageList []string
		DomainName  string
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	as, err := s.svc.DissociatePackages(ctx, c.scope, in.DomainName, in.PackageList)
	if err != nil {
		return nil, err
	}
	return map[string]any{"DomainPackageDetailsList": domainPackageList(as)}, nil
}

func (s *Server) listDomainsForPackage(ctx context.Context, c *call) (any, error) {
	var in struct{ PackageID string }
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	page, err := pageOf(c)
	if err != nil {
		return nil, err
	}
	as, next, err := s.svc.ListDomainsForPackage(ctx, c.scope, in.PackageID, page)
	if err != nil {
		return nil, err
	}
	return pageOutput(map[string]any{"DomainPackageDetailsList": domainPackageList(as)}, next), nil
}

func (s *Server) listPackagesForDomain(ctx context.Context, c *call) (any, error) {
	var in struct{ DomainName string }
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	page, err := pageOf(c)
	if err != nil {
		return nil, err
	}
	as, next, err := s.svc.ListPackagesForDomain(ctx, c.scope, in.DomainName, page)
	if err != nil {
		return nil, err
	}
	return pageOutput(map[string]any{"DomainPackageDetailsList": domainPackageList(as)}, next), nil
}

func (s *Server) updatePackageScope(ctx context.Context, c *call) (any, error) {
	var in struct {
		PackageID       string
		Operation       string
		PackageUserList []string
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	_, err := s.svc.UpdatePackageScope(ctx, c.scope, in.PackageID, in.Operation, in.PackageUserList)
	if err != nil {
		return nil, err
	}
	// AWS: the response echoes the users of the request (AWS documents them
	// as "the user IDs that were updated"); DescribePackages shows the
	// resulting AllowListedUserList.
	users := in.PackageUserList
	if users == nil {
		users = []string{}
	}
	return map[string]any{
		"PackageID":       in.PackageID,
		"Operation":       in.Operation,
		"PackageUserList": users,
	}, nil
}
