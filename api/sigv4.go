package api

import (
	"net/http"
	"strings"
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
