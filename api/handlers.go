package api

// openSearchHandlers returns the operations of the 2021-01-01 API that osemu
// implements. Every other operation of the model answers
// DisabledOperationException naming it.
func (s *Server) openSearchHandlers() map[string]handler {
	return map[string]handler{
		"CreatePackage":            s.createPackage,
		"UpdatePackage":            s.updatePackage,
		"DeletePackage":            s.deletePackage,
		"DescribePackages":         s.describePackages,
		"GetPackageVersionHistory": s.getPackageVersionHistory,
		"AssociatePackage":         s.associatePackage,
		"AssociatePackages":        s.associatePackages,
		"DissociatePackage":        s.dissociatePackage,
		"DissociatePackages":       s.dissociatePackages,
		"ListDomainsForPackage":    s.listDomainsForPackage,
		"ListPackagesForDomain":    s.listPackagesForDomain,
		"UpdatePackageScope":       s.updatePackageScope,

		"CreateDomain":    domainAPI{}.create(s),
		"DescribeDomain":  domainAPI{}.describe(s),
		"DescribeDomains": domainAPI{}.describeMany(s),
		"ListDomainNames": s.listDomainNames,
		"DeleteDomain":    domainAPI{}.delete(s),

		"AddTags":    s.addTags,
		"ListTags":   s.listTags,
		"RemoveTags": s.removeTags,
	}
}

// elasticsearchHandlers returns the operations of the legacy 2015-01-01 API
// that osemu implements. Its package operations are the same operations on
// the same state; the model narrows their inputs (PackageName of at most 28
// characters, TXT-DICTIONARY only, three DescribePackages filters). Its
// domain operations act on the same domains as the 2021-01-01 ones.
func (s *Server) elasticsearchHandlers() map[string]handler {
	shared := s.openSearchHandlers()
	h := map[string]handler{}
	for _, name := range []string{
		"CreatePackage", "UpdatePackage", "DeletePackage", "DescribePackages",
		"GetPackageVersionHistory", "AssociatePackage", "DissociatePackage",
		"ListDomainsForPackage", "ListPackagesForDomain",
		"ListDomainNames", "AddTags", "ListTags", "RemoveTags",
	} {
		h[name] = shared[name]
	}

	legacy := domainAPI{legacy: true}
	h["CreateElasticsearchDomain"] = legacy.create(s)
	h["DescribeElasticsearchDomain"] = legacy.describe(s)
	h["DescribeElasticsearchDomains"] = legacy.describeMany(s)
	h["DeleteElasticsearchDomain"] = legacy.delete(s)
	return h
}
