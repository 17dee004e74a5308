#!/usr/bin/env bash
# The README's quick start, run with the real aws CLI against osemu, with
# checks of what a faithful server answers. Usage:
#   OSEMU_URL=http://127.0.0.1:4580 cli_flow.sh synonyms.txt stopwords.txt
set -euo pipefail

syn_file=$1
stop_file=$2
: "${OSEMU_URL:?set OSEMU_URL to the osemu address}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

os() { aws --endpoint-url "$OSEMU_URL" opensearch "$@"; }
s3() { aws --endpoint-url "$OSEMU_URL" s3 "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { # expect WHAT GOT WANT
  [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
  echo "ok: $1 = $3"
}

# wait_for WANT CMD...: run CMD until it prints WANT (at most ~20 s).
wait_for() {
  local want=$1 got=""
  shift
  for _ in $(seq 100); do
    got=$("$@")
    [ "$got" = "$want" ] && { echo "ok: reached $want"; return 0; }
    sleep 0.2
  done
  fail "waited for '$want', last got '$got' from: $*"
}

# fails_with CODE CMD...: CMD must fail with the AWS error code.
fails_with() {
  local code=$1 out
  shift
  if out=$("$@" 2>&1); then
    fail "expected $code from: $*; it succeeded: $out"
  fi
  grep -q "($code)" <<<"$out" || fail "expected $code from: $*; got: $out"
  echo "ok: $code from ${*:1:2}"
}

# Upload the dictionaries and read one back byte for byte.
s3 mb s3://dicts
s3 cp "$syn_file" s3://dicts/synonyms.txt
s3 cp "$stop_file" s3://dicts/stopwords.txt
s3 cp s3://dicts/synonyms.txt "$work/synonyms.back"
cmp "$syn_file" "$work/synonyms.back" || fail "S3 round trip changed the synonyms file"
expect "listed objects" "$(s3 ls s3://dicts/ | wc -l)" 2

# Create the packages: COPYING at once, AVAILABLE after the lifecycle.
syn_id=$(os create-package --package-name synonyms --package-type TXT-DICTIONARY \
  --package-source S3BucketName=dicts,S3Key=synonyms.txt \
  --query PackageDetails.PackageID --output text)
[[ $syn_id =~ ^F[0-9]+$ ]] || fail "package ID '$syn_id' is not F and digits"
expect "status after create" "$(os describe-packages --filters "Name=PackageID,Value=$syn_id" \
  --query 'PackageDetailsList[0].PackageStatus' --output text)" COPYING
stop_id=$(os create-package --package-name stopwords --package-type TXT-DICTIONARY \
  --package-source S3BucketName=dicts,S3Key=stopwords.txt \
  --query PackageDetails.PackageID --output text)

pkg_status() {
  os describe-packages --filters "Name=PackageID,Value=$1" \
    --query 'PackageDetailsList[0].[PackageStatus,AvailablePackageVersion]' --output text
}
wait_for "AVAILABLE	v1" pkg_status "$syn_id"
wait_for "AVAILABLE	v1" pkg_status "$stop_id"

# A domain, and both packages associated with it.
os create-domain --domain-name search --engine-version OpenSearch_2.19 >/dev/null
expect "associate" "$(os associate-package --package-id "$syn_id" --domain-name search \
  --query DomainPackageDetails.DomainPackageStatus --output text)" ASSOCIATING
os associate-package --package-id "$stop_id" --domain-name search >/dev/null

assoc_status() {
  os list-packages-for-domain --domain-name search \
    --query "DomainPackageDetailsList[?PackageID=='$1'].[DomainPackageStatus,PackageVersion]" --output text
}
wait_for "ACTIVE	v1" assoc_status "$syn_id"
wait_for "ACTIVE	v1" assoc_status "$stop_id"

expect "list-domains-for-package" "$(os list-domains-for-package --package-id "$syn_id" --max-results 10 \
  --query 'DomainPackageDetailsList[].[DomainName,ReferencePath,DomainPackageStatus]' --output text)" \
  "search	analyzers/$syn_id	ACTIVE"
fails_with ConflictException os associate-package --package-id "$syn_id" --domain-name search

# A new version: the domain keeps v1 until associated again.
s3 cp "$stop_file" s3://dicts/synonyms-v2.txt
os update-package --package-id "$syn_id" --package-source S3BucketName=dicts,S3Key=synonyms-v2.txt \
  --commit-message "second cut" >/dev/null
wait_for "AVAILABLE	v2" pkg_status "$syn_id"
expect "association after update" "$(assoc_status "$syn_id")" "ACTIVE	v1"
os associate-package --package-id "$syn_id" --domain-name search >/dev/null
wait_for "ACTIVE	v2" assoc_status "$syn_id"
expect "history" "$(os get-package-version-history --package-id "$syn_id" \
  --query 'PackageVersionHistoryList[].[PackageVersion,CommitMessage]' --output text | tr '\n' ' ')" \
  "v2	second cut v1	None "

# Deleting a package in use is refused; dissociate, then delete.
fails_with ConflictException os delete-package --package-id "$syn_id"
expect "dissociate" "$(os dissociate-package --package-id "$syn_id" --domain-name search \
  --query DomainPackageDetails.DomainPackageStatus --output text)" DISSOCIATING
wait_for "" assoc_status "$syn_id"
fails_with ValidationException os dissociate-package --package-id "$syn_id" --domain-name search
expect "delete" "$(os delete-package --package-id "$syn_id" \
  --query PackageDetails.PackageStatus --output text)" DELETING
fails_with ResourceNotFoundException os delete-package --package-id "$syn_id"
wait_for "0" bash -c "aws --endpoint-url '$OSEMU_URL' opensearch describe-packages \
  --filters Name=PackageName,Value=synonyms --query 'length(PackageDetailsList)' --output text"

# Bad input is refused with the model's errors.
fails_with ValidationException os create-package --package-name Synonyms --package-type TXT-DICTIONARY \
  --package-source S3BucketName=dicts,S3Key=synonyms.txt
fails_with ValidationException os create-domain --domain-name Test-Domain
fails_with ResourceAlreadyExistsException os create-package --package-name stopwords \
  --package-type TXT-DICTIONARY --package-source S3BucketName=dicts,S3Key=stopwords.txt
fails_with ValidationException os list-domains-for-package --package-id "$stop_id" --max-results 101
fails_with DisabledOperationException os describe-domain-config --domain-name search

echo "cli flow passed"
