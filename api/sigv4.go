package api

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/osemu/osemu"
)

// credential is what osemu reads from a request's SigV4 signature: who
// signs (the access key) and for which region and service.
//
// AWS: signatures are parsed, never verified; any secret key is accepted.
type credential struct {
	AccessKey string
	Region    string
	Service   string
}

// credentialOf returns the credential scope of a request signed with SigV4,
// in the Authorization header or in a presigned URL's X-Amz-Credential. A
// request signed with the legacy S3 signature (V2) counts as an S3 request.
// An unsigned request has an empty credential.
func credentialOf(r *http.Request) credential {
	auth := r.Header.Get("Authorization")
	if rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 "); ok {
		for _, part := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(part), "Credential="); ok {
				return parseScope(v)
			}
		}
		return credential{}
	}
	if rest, ok := strings.CutPrefix(auth, "AWS "); ok {
		key, _, _ := strings.Cut(rest, ":")
		return credential{AccessKey: key, Service: "s3"}
	}
	if v := r.URL.Query().Get("X-Amz-Credential"); v != "" {
		return parseScope(v)
	}
	return credential{}
}

// validRegion matches what osemu accepts as a region: a name that fits in
// an ARN. Real region names (us-east-1, us-gov-west-1) all do.
var validRegion = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// checkCredential refuses what AWS's front door refuses before any
// operation runs: an Authorization header that is not a SigV4 signature,
// a credential scoped to another service, or to no valid region. Unsigned
// requests pass: they act as the default account in the default region.
//
// AWS: unsigned requests are refused with MissingAuthenticationToken; osemu
// accepts them so that curl works without signing.
func checkCredential(r *http.Request, cred credential) error {
	auth := r.Header.Get("Authorization")
	if auth != "" && cred == (credential{}) {
		return osemu.Errorf(osemu.CodeIncompleteSignature,
			"Authorization header requires 'Credential' parameter. Authorization=%.40s", auth)
	}
	if cred.Service != "" && cred.Service != "es" {
		return osemu.Errorf(osemu.CodeInvalidSignature,
			"Credential should be scoped to correct service: 'es'.")
	}
	if cred.Region != "" && !validRegion.MatchString(cred.Region) {
		return osemu.Errorf(osemu.CodeInvalidSignature,
			"Credential should be scoped to a valid region, not '%.40s'.", cred.Region)
	}
	return nil
}

// parseScope splits "AKID/20261204/us-east-1/es/aws4_request".
func parseScope(s string) credential {
	parts := strings.Split(s, "/")
	if len(parts) < 5 {
		return credential{}
	}
	// The access key itself may not contain a slash, but be lenient with
	// what precedes the four scope fields.
	n := len(parts)
	return credential{
		AccessKey: strings.Join(parts[:n-4], "/"),
		Region:    parts[n-3],
		Service:   parts[n-2],
	}
}

// accountOf returns the account an access key belongs to: a 12-digit key
// is that account, anything else is the default account.
//
// AWS: access keys map to accounts through IAM; osemu uses the key itself
// as the account when it looks like one, so tests can act as several
// accounts without any set-up.
func accountOf(accessKey, defaultAccount string) string {
	if len(accessKey) != 12 {
		return defaultAccount
	}
	for _, c := range accessKey {
		if c < '0' || c > '9' {
			return defaultAccount
		}
	}
	return accessKey
}
