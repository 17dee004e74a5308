// Package osemu is the domain of an AWS-faithful emulator of the Amazon
// OpenSearch Service configuration API: the resources it manages (packages,
// their versions, domains, package associations, tags), their statuses and
// lifecycles, the AWS error codes it answers with, and the Store contract that
// every storage engine implements.
//
// Subpackages are named after what they wrap: sqlite (the embedded store),
// api (the REST-JSON HTTP API), worker (the asynchronous lifecycle steps),
// source (reading package content from S3), s3server (the embedded S3
// endpoint) and awsmodel (the botocore service model). cmd/osemu wires them.
package osemu

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Version is the osemu release, set at build time with
// -ldflags "-X github.com/osemu/osemu.Version=...".
var Version = "0.1.0-dev"

// DefaultAccountID is the account used when the access key of a request is
// not a 12-digit account ID.
const DefaultAccountID = "000000000000"

// DefaultRegion is the region used when a request carries no SigV4
// credential scope.
const DefaultRegion = "us-east-1"

// Scope is the account and region that own a resource. Every resource is
// isolated by scope: a package created by one account in one region is
// invisible to other accounts and to other regions.
type Scope struct {
	Account string
	Region  string
}

// String returns "account/region", for logs.
func (s Scope) String() string { return s.Account + "/" + s.Region }

// Time is a timestamp that encodes to JSON as a number of seconds since the
// Unix epoch with a millisecond fraction, as AWS REST-JSON services do. The
// Go SDK rejects timestamps encoded as strings.
type Time struct{ time.Time }

// NewTime returns t truncated to milliseconds, the precision AWS keeps.
func NewTime(t time.Time) Time { return Time{t.Truncate(time.Millisecond)} }

// MarshalJSON encodes t as epoch seconds, e.g. 1733327226.123.
func (t Time) MarshalJSON() ([]byte, error) {
	ms := t.UnixMilli()
	return strconv.AppendFloat(nil, float64(ms)/1000, 'f', -1, 64), nil
}

// UnmarshalJSON accepts epoch seconds as a JSON number.
func (t *Time) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("timestamp must be a number of epoch seconds: %w", err)
	}
	sec, frac := math.Modf(f)
	t.Time = time.Unix(int64(sec), int64(math.Round(frac*1000))*int64(time.Millisecond)).UTC()
	return nil
}

// Clock tells the time. Tests inject a fixed or stepping clock.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current time in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }
