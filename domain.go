package osemu

import (
	"encoding/json"
	"time"
)

// DomainState is where a domain is in its lifecycle. It drives the
// Created, Processing, Deleted and DomainProcessingStatus members of
// DomainStatus.
type DomainState string

// Domain states: a domain is Creating until its creation step runs, then
// Active; DeleteDomain makes it Deleting until its deletion step removes it.
const (
	DomainCreating DomainState = "Creating"
	DomainActive   DomainState = "Active"
	DomainDeleting DomainState = "Deleting"
)

// Domain is an OpenSearch Service domain: what packages attach to. osemu
// runs no cluster; a domain is its configuration and state.
type Domain struct {
	Scope         Scope
	Name          string
	EngineVersion string
	State         DomainState

	// Config is the domain's configuration as the client gave it to
	// CreateDomain, minus DomainName, EngineVersion and TagList, as JSON.
	// The api package owns its shape.
	Config json.RawMessage

	// Endpoint is the domain's endpoint host, set when creation completes.
	Endpoint string

	// ChangeID identifies the domain's latest configuration change.
	ChangeID string

	CreatedAt time.Time
	UpdatedAt time.Time
}

// DomainID returns the domain's ID, "<account>/<name>".
func (d *Domain) DomainID() string { return d.Scope.Account + "/" + d.Name }

// ARN returns the domain's ARN.
func (d *Domain) ARN() string { return DomainARN(d.Scope, d.Name) }

// DomainARN returns the ARN of the domain name in scope.
func DomainARN(s Scope, name string) string {
	return "arn:aws:es:" + s.Region + ":" + s.Account + ":domain/" + name
}

// DomainPackageStatus is where an association between a package and a domain
// is in its lifecycle.
type DomainPackageStatus string

// Association statuses: ASSOCIATING -> ACTIVE (or ASSOCIATION_FAILED);
// DISSOCIATING ends with the association gone.
const (
	AssocAssociating       DomainPackageStatus = "ASSOCIATING"
	AssocAssociationFailed DomainPackageStatus = "ASSOCIATION_FAILED"
	AssocActive            DomainPackageStatus = "ACTIVE"
	AssocDissociating      DomainPackageStatus = "DISSOCIATING"
	AssocDissociationFail  DomainPackageStatus = "DISSOCIATION_FAILED"
)

// KeyStoreAccessOption is the key-store access an association grants.
type KeyStoreAccessOption struct {
	KeyAccessRoleArn      string `json:"KeyAccessRoleArn,omitempty"`
	KeyStoreAccessEnabled bool   `json:"KeyStoreAccessEnabled"`
}

// AssociationConfiguration is the configuration given at association.
type AssociationConfiguration struct {
	KeyStoreAccessOption *KeyStoreAccessOption `json:"KeyStoreAccessOption,omitempty"`
}

// Association is a package attached to a domain. The package's name and
// type are copied in, since they never change, so that listing needs no
// join.
type Association struct {
	// Scope is the domain's account and region.
	Scope       Scope
	DomainName  string
	PackageID   string
	PackageName string
	PackageType PackageType
	Status      DomainPackageStatus

	// Version is the package version the domain runs, or is moving to
	// while ASSOCIATING.
	Version int

	Prerequisites []string
	Configuration *AssociationConfiguration
	ErrorDetails  *ErrorDetails
	UpdatedAt     time.Time
}

// Tag is a key and value attached to a resource ARN.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}
