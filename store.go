package osemu

import (
	"context"
	"io"
	"time"
)

// Store is the contract every storage engine implements (sqlite now,
// postgres later). The service runs its business rules inside View and
// Update transactions, so every engine enforces the same rules; an engine
// only stores, finds and orders rows.
//
// Rows are returned as fresh values: callers may modify them and pass them
// back to an Update method.
type Store interface {
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error

	// Update runs fn in a read-write transaction that commits if fn returns
	// nil. Engines serialize writers or retry fn on serialization failures,
	// so fn must have no effect outside the transaction.
	Update(ctx context.Context, fn func(Tx) error) error

	// ClaimStep leases the lifecycle step that has been due longest (DueAt
	// at or before now, lease free or expired) to owner until now+lease,
	// increments its Attempts and returns it. It returns ErrNotFound when no
	// step is due. Two concurrent claims never return the same step while
	// its lease runs.
	ClaimStep(ctx context.Context, owner string, now time.Time, lease time.Duration) (*Step, error)

	// NextStepDue returns the earliest time a step can be claimed: its
	// DueAt if it is not leased, otherwise when its lease expires, so that a
	// worker also wakes for steps a dead worker left. ok is false when there
	// are no steps.
	NextStepDue(ctx context.Context) (due time.Time, ok bool, err error)

	// Engines may serialize all writers on one connection: Update,
	// WriteBlob and ClaimStep must not be called from inside an Update.

	// WriteBlob stores the content of r and returns a reference to it,
	// with its size and digests. Content is written in chunks, outside any
	// transaction the caller holds; a blob that no row references is
	// garbage.
	//
	// TODO(gc): nothing collects that garbage yet; a process killed during
	// an upload or a copy leaves its chunks behind.
	WriteBlob(ctx context.Context, r io.Reader) (BlobRef, error)

	// OpenBlob returns a reader of a blob's content, which it streams
	// chunk by chunk. It returns ErrNotFound if the blob does not exist.
	OpenBlob(ctx context.Context, id string) (io.ReadCloser, error)

	// Close releases the store's resources.
	Close() error
}

// Tx is a transaction on the store. Methods return ErrNotFound for a
// missing row and ErrExists for a duplicate unique key. A limit of 0 or less
// means no cap.
type Tx interface {
	PackageTx
	DomainTx
	AssociationTx
	StepTx
	ObjectTx

	// GetMeta returns a value of the store's own settings.
	GetMeta(key string) ([]byte, error)

	// PutMetaIfAbsent stores value under key unless the key is set, and
	// returns the value that is stored under key afterwards.
	PutMetaIfAbsent(key string, value []byte) ([]byte, error)

	// DeleteBlob removes a blob's content. Deleting a missing blob is not
	// an error.
	DeleteBlob(id string) error
}

// PackageTx stores packages and their versions.
type PackageTx interface {
	// InsertPackage adds p and sets p.Seq. It returns ErrExists if the ID,
	// or the (scope, name, engine version) triple, is taken.
	InsertPackage(p *Package) error

	// GetPackage returns the package with the ID, whatever its scope.
	GetPackage(id string) (*Package, error)

	// UpdatePackage replaces every field of the package with p.ID except
	// ID, Seq, Scope, Name and CreatedAt.
	UpdatePackage(p *Package) error

	// DeletePackage removes the package and its versions (not their
	// blobs).
	DeletePackage(id string) error

	// FindPackages returns up to q.Limit packages matching q, ordered by
	// Seq, with Seq greater than q.AfterSeq.
	FindPackages(q PackageQuery) ([]*Package, error)

	// CountPackages returns how many packages the scope owns, only of the
	// given types if any are given.
	CountPackages(scope Scope, types ...PackageType) (int, error)

	// InsertPackageVersion adds a version. It returns ErrExists if the
	// package already has that version number.
	InsertPackageVersion(v *PackageVersion) error

	// GetPackageVersion returns one version of a package.
	GetPackageVersion(packageID string, version int) (*PackageVersion, error)

	// ListPackageVersions returns up to limit versions of a package, newest
	// first, with a version number below before (0: from the newest).
	ListPackageVersions(packageID string, before, limit int) ([]*PackageVersion, error)
}

// PackageQuery selects packages. Filters are AND-ed; the values of one
// filter are OR-ed; an empty filter selects everything. Values match
// exactly.
type PackageQuery struct {
	// Scope limits the result to packages owned by the scope; an empty
	// Account or Region does not limit on it.
	Scope Scope

	// Viewer, if set, limits the result to the packages the viewer may
	// see: those it owns, those of its region whose AllowList names its
	// account or GLOBAL, and AWS-owned packages (account AWSOwner, no
	// region), which every viewer sees. Scope is ignored when Viewer is
	// set.
	Viewer *Scope

	IDs            []string
	Names          []string
	Statuses       []PackageStatus
	Types          []PackageType
	EngineVersions []string

	// Owners matches the owning account.
	Owners []string

	// AfterSeq starts the page after the package with this Seq.
	AfterSeq int64

	// Limit caps the number of packages returned; 0 means no cap.
	Limit int
}

// DomainTx stores domains and tags.
type DomainTx interface {
	// InsertDomain adds d. It returns ErrExists if the scope has a domain
	// of that name.
	InsertDomain(d *Domain) error

	// GetDomain returns the scope's domain of that name.
	GetDomain(scope Scope, name string) (*Domain, error)

	// UpdateDomain replaces every field of the domain except its scope,
	// name and CreatedAt.
	UpdateDomain(d *Domain) error

	// DeleteDomain removes a domain.
	DeleteDomain(scope Scope, name string) error

	// ListDomains returns the scope's domains ordered by name.
	ListDomains(scope Scope) ([]*Domain, error)

	// ListTags returns the tags of an ARN ordered by key.
	ListTags(arn string) ([]Tag, error)

	// PutTags adds tags to an ARN, replacing the values of existing keys.
	PutTags(arn string, tags []Tag) error

	// DeleteTags removes the keys from an ARN's tags; missing keys are
	// ignored. No keys removes every tag.
	DeleteTags(arn string, keys []string) error
}

// AssociationTx stores associations between packages and domains.
type AssociationTx interface {
	// PutAssociation inserts a or replaces the association of the same
	// scope, domain and package.
	PutAssociation(a *Association) error

	// GetAssociation returns the association of a package with a domain.
	GetAssociation(scope Scope, domainName, packageID string) (*Association, error)

	// DeleteAssociation removes the association of a package with a domain.
	DeleteAssociation(scope Scope, domainName, packageID string) error

	// ListAssociationsByPackage returns up to limit associations of the
	// package with the scope's domains, ordered by domain name, after the
	// domain named after.
	ListAssociationsByPackage(scope Scope, packageID, after string, limit int) ([]*Association, error)

	// ListAssociationsByDomain returns up to limit associations of the
	// domain, ordered by package ID, after the package ID after.
	ListAssociationsByDomain(scope Scope, domainName, after string, limit int) ([]*Association, error)

	// CountPackageAssociations returns how many domains, in any scope, the
	// package is associated with.
	CountPackageAssociations(packageID string) (int, error)

	// CountDomainAssociations returns how many packages are associated
	// with the domain.
	CountDomainAssociations(scope Scope, domainName string) (int, error)
}

// StepKind is a kind of asynchronous lifecycle step.
type StepKind string

// Lifecycle steps. Each moves one resource from a transitional status to the
// next status and, where there is one, schedules the next step.
const (
	StepPackageCopy     StepKind = "package.copy"
	StepPackageValidate StepKind = "package.validate"
	StepPackageDelete   StepKind = "package.delete"
	StepAssociate       StepKind = "association.associate"
	StepDissociate      StepKind = "association.dissociate"
	StepDomainCreate    StepKind = "domain.create"
	StepDomainDelete    StepKind = "domain.delete"
)

// Step is a pending lifecycle step, stored so that a restart, or another
// replica, resumes it. The resource it acts on is named by Scope, PackageID
// and DomainName; package steps have no DomainName and domain steps no
// PackageID.
type Step struct {
	ID         int64
	Kind       StepKind
	Scope      Scope
	PackageID  string
	DomainName string
	DueAt      time.Time

	// Attempts counts the claims of the step, the current one included.
	Attempts int

	LeaseOwner string
	LeaseUntil time.Time
}

// StepTx stores lifecycle steps.
type StepTx interface {
	// InsertStep adds s and sets s.ID.
	InsertStep(s *Step) error

	// CompleteStep removes a step that owner holds the lease of. It
	// returns ErrLeaseLost if the step is gone or leased to another owner,
	// in which case the caller's transaction must not commit.
	CompleteStep(id int64, owner string) error

	// RenewLease moves the end of the lease owner holds on a step to until:
	// later, to keep the step while it runs longer than a lease; now, to
	// release it for another worker. It returns ErrLeaseLost if the step is
	// gone or leased to another owner.
	RenewLease(id int64, owner string, until time.Time) error

	// DeleteSteps removes every step whose Scope, PackageID and DomainName
	// are exactly these, so that a newer request replaces an older one's
	// pending steps.
	DeleteSteps(scope Scope, packageID, domainName string) error

	// ListSteps returns every step, ordered by ID. It is for tests and
	// diagnostics.
	ListSteps() ([]*Step, error)
}

// Bucket is a bucket of the embedded S3 endpoint. Bucket names are global,
// as in S3.
type Bucket struct {
	Name      string
	CreatedAt time.Time
}

// Object is an object of the embedded S3 endpoint.
type Object struct {
	Bucket     string
	Key        string
	Blob       BlobRef
	Metadata   map[string]string
	ModifiedAt time.Time
}

// Upload is a multipart upload in progress on the embedded S3 endpoint. It
// lives in the store so that a client may send its parts to any replica.
type Upload struct {
	ID        string
	Bucket    string
	Key       string
	Metadata  map[string]string
	CreatedAt time.Time
}

// Part is one part of a multipart upload.
type Part struct {
	UploadID   string
	Number     int
	Blob       BlobRef
	ModifiedAt time.Time
}

// ObjectTx stores the buckets and objects of the embedded S3 endpoint.
type ObjectTx interface {
	// InsertBucket adds a bucket; ErrExists if the name is taken.
	InsertBucket(b *Bucket) error

	// GetBucket returns a bucket.
	GetBucket(name string) (*Bucket, error)

	// DeleteBucket removes a bucket; the caller checks it is empty.
	DeleteBucket(name string) error

	// ListBuckets returns every bucket ordered by name.
	ListBuckets() ([]*Bucket, error)

	// PutObject stores o, replacing the object of the same bucket and key,
	// which it returns (nil if there was none) so the caller can delete its
	// blob.
	PutObject(o *Object) (replaced *Object, err error)

	// GetObject returns an object.
	GetObject(bucket, key string) (*Object, error)

	// DeleteObject removes an object and returns it.
	DeleteObject(bucket, key string) (*Object, error)

	// ListObjects returns up to limit objects of the bucket whose keys
	// start with prefix and sort after after, ordered by key (bytewise).
	ListObjects(bucket, prefix, after string, limit int) ([]*Object, error)

	// InsertUpload adds an upload; ErrExists if the ID is taken.
	InsertUpload(u *Upload) error

	// GetUpload returns an upload.
	GetUpload(id string) (*Upload, error)

	// DeleteUpload removes an upload and its part rows (not their blobs,
	// which the caller deletes) and returns the removed parts.
	DeleteUpload(id string) ([]*Part, error)

	// ListUploads returns up to limit uploads of a bucket whose keys start
	// with prefix, ordered by key then ID, after the (afterKey, afterID)
	// pair (both empty: from the start).
	ListUploads(bucket, prefix, afterKey, afterID string, limit int) ([]*Upload, error)

	// PutPart stores p, replacing the part of the same upload and number,
	// which it returns (nil if none) so the caller can delete its blob.
	// ErrNotFound if the upload does not exist.
	PutPart(p *Part) (replaced *Part, err error)

	// ListParts returns up to limit parts of an upload ordered by number,
	// with a number above after.
	ListParts(uploadID string, after, limit int) ([]*Part, error)
}
