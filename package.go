package osemu

import (
	"strconv"
	"strings"
	"time"
)

// PackageType is the kind of content a package holds.
type PackageType string

// Package types of the 2021-01-01 API.
const (
	PackageTypeTxtDictionary PackageType = "TXT-DICTIONARY"
	PackageTypeZipPlugin     PackageType = "ZIP-PLUGIN"
	PackageTypeLicense       PackageType = "PACKAGE-LICENSE"
	PackageTypeConfig        PackageType = "PACKAGE-CONFIG"
)

// PackageStatus is where a package is in its lifecycle.
type PackageStatus string

// Package statuses. A package moves COPYING -> VALIDATING -> AVAILABLE when
// created or updated, or stops in COPY_FAILED or VALIDATION_FAILED with
// ErrorDetails; DELETING ends with the package gone.
const (
	PackageCopying          PackageStatus = "COPYING"
	PackageCopyFailed       PackageStatus = "COPY_FAILED"
	PackageValidating       PackageStatus = "VALIDATING"
	PackageValidationFailed PackageStatus = "VALIDATION_FAILED"
	PackageAvailable        PackageStatus = "AVAILABLE"
	PackageDeleting         PackageStatus = "DELETING"
	PackageDeleted          PackageStatus = "DELETED"
	PackageDeleteFailed     PackageStatus = "DELETE_FAILED"
)

// AWSOwner is the owner account of the AWS-owned optional plugins (G
// packages), which every account in every region sees.
const AWSOwner = "AWS"

// GlobalUser in a package's AllowList shares it with every account of its
// region.
const GlobalUser = "GLOBAL"

// InProgress reports whether a lifecycle step is pending for the status.
func (s PackageStatus) InProgress() bool {
	return s == PackageCopying || s == PackageValidating || s == PackageDeleting
}

// ErrorDetails says why a package or an association failed.
type ErrorDetails struct {
	ErrorType    string `json:"ErrorType,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

// S3Location names an S3 object that package content is read from.
type S3Location struct {
	Bucket string `json:"S3BucketName,omitempty"`
	Key    string `json:"S3Key,omitempty"`
}

// PackageConfiguration is the configuration a plugin package declares:
// whether it needs a licence or a configuration package.
type PackageConfiguration struct {
	LicenseRequirement                    string `json:"LicenseRequirement"`
	LicenseFilepath                       string `json:"LicenseFilepath,omitempty"`
	ConfigurationRequirement              string `json:"ConfigurationRequirement"`
	RequiresRestartForConfigurationUpdate *bool  `json:"RequiresRestartForConfigurationUpdate,omitempty"`
}

// PluginProperties describes a ZIP-PLUGIN package's content.
type PluginProperties struct {
	Name                    string `json:"Name,omitempty"`
	Description             string `json:"Description,omitempty"`
	Version                 string `json:"Version,omitempty"`
	ClassName               string `json:"ClassName,omitempty"`
	UncompressedSizeInBytes *int64 `json:"UncompressedSizeInBytes,omitempty"`
}

// PackageVendingOptions says whether a package may be vended to other
// accounts.
type PackageVendingOptions struct {
	VendingEnabled bool `json:"VendingEnabled"`
}

// PackageEncryptionOptions says whether package content is encrypted.
type PackageEncryptionOptions struct {
	KmsKeyIdentifier  string `json:"KmsKeyIdentifier,omitempty"`
	EncryptionEnabled bool   `json:"EncryptionEnabled"`
}

// Package is a custom package: a dictionary, a plugin, or a plugin's licence
// or configuration, with the versions of its content.
type Package struct {
	// ID is the package ID: F + digits for dictionaries, G + digits for
	// AWS-owned plugins, pkg- + 40 hex for custom plugins.
	ID string

	// Seq orders packages by creation for pagination; the store assigns it.
	Seq int64

	// Scope is the owner's account and region. AWS-owned packages have
	// the account AWSOwner and no region.
	Scope Scope

	Name          string
	Type          PackageType
	Description   string
	Status        PackageStatus
	ErrorDetails  *ErrorDetails
	EngineVersion string

	// Version is the number of the newest available version (v1 is 1); 0
	// until the first import succeeds.
	Version int

	Configuration     *PackageConfiguration
	PluginProperties  *PluginProperties
	VendingOptions    *PackageVendingOptions
	EncryptionOptions *PackageEncryptionOptions

	// AllowList holds the 12-digit accounts, or GlobalUser, that the owner
	// shares the package with (UpdatePackageScope).
	AllowList []string

	// Pending is the import in flight (create or update) while the package
	// is COPYING or VALIDATING, and nil otherwise.
	Pending *PendingImport

	CreatedAt time.Time
	UpdatedAt time.Time
}

// PendingImport is the content a create or update is bringing in.
type PendingImport struct {
	Source        S3Location            `json:"Source"`
	CommitMessage string                `json:"CommitMessage,omitempty"`
	Configuration *PackageConfiguration `json:"Configuration,omitempty"`

	// Blob is the copied content, set when the copy step is done.
	Blob *BlobRef `json:"Blob,omitempty"`
}

// VersionName returns the AWS name of version n: "v1", "v2", ...
func VersionName(n int) string { return "v" + strconv.Itoa(n) }

// ParseVersionName parses "v3" into 3; ok is false for anything else.
func ParseVersionName(s string) (n int, ok bool) {
	if !strings.HasPrefix(s, "v") {
		return 0, false
	}
	n, err := strconv.Atoi(s[1:])
	return n, err == nil && n > 0
}

// PackageVersion is one version of a package's content. Every successful
// create or update adds one; they are kept for as long as the package.
type PackageVersion struct {
	PackageID        string
	Version          int
	CommitMessage    string
	CreatedAt        time.Time
	Blob             BlobRef
	PluginProperties *PluginProperties
	Configuration    *PackageConfiguration
}

// BlobRef names stored content and says what it holds.
type BlobRef struct {
	ID     string `json:"ID"`
	Size   int64  `json:"Size"`
	SHA256 string `json:"SHA256"`
	MD5    string `json:"MD5"`
}

// ReferencePath returns the path a domain finds an associated package at,
// what users put in synonyms_path or stopwords_path. Only dictionaries have
// one.
//
// AWS: only TXT-DICTIONARY packages are documented with a ReferencePath;
// other types have none here (unverified).
func ReferencePath(typ PackageType, id string) string {
	if typ != PackageTypeTxtDictionary {
		return ""
	}
	return "analyzers/" + id
}
