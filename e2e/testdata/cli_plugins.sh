#!/usr/bin/env bash
# Plugins, licences, configurations, sharing and AWS packages with the real
# aws CLI, as the README shows them. Usage:
#   OSEMU_URL=... DEPLOY_DIR=... cli_plugins.sh
# against an osemu started with --aws-packages --deploy-dir "$DEPLOY_DIR".
set -euo pipefail
: "${OSEMU_URL:?}" "${DEPLOY_DIR:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

osaws() { aws --endpoint-url "$OSEMU_URL" "$@"; }
as() { local key=$1; shift; AWS_ACCESS_KEY_ID=$key osaws "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; echo "ok: $1 = $3"; }
wait_for() {
  local want=$1 got=""
  shift
  for _ in $(seq 100); do
    got=$("$@") && [ "$got" = "$want" ] && { echo "ok: reached $want"; return 0; }
    sleep 0.2
  done
  fail "waited for '$want', last got '$got' from: $*"
}
fails_with() {
  local code=$1 out
  shift
  if out=$("$@" 2>&1); then fail "expected $code from: $*; it succeeded: $out"; fi
  grep -q "($code)" <<<"$out" || fail "expected $code from: $*; got: $out"
  echo "ok: $code"
}

# A third-party plugin built for OpenSearch 2.19, its licence and config.
mkdir plugin
printf 'name=vendor-plugin\ndescription=Vendor analysis\nversion=1.0.0\nclassname=com.vendor.Plugin\njava.version=21\nopensearch.version=2.19.0\n' \
  > plugin/plugin-descriptor.properties
printf 'jar' > plugin/vendor.jar
(cd plugin && python3 -m zipfile -c ../vendor-plugin.zip plugin-descriptor.properties vendor.jar)
echo '{"licensee": "ci"}' > vendor-license.json
mkdir conf && echo 'mode: strict' > conf/vendor.yml
(cd conf && python3 -m zipfile -c ../vendor-config.zip vendor.yml)

osaws s3 mb s3://pkgs
for f in vendor-plugin.zip vendor-license.json vendor-config.zip; do osaws s3 cp "$f" "s3://pkgs/$f"; done

plugin=$(osaws opensearch create-package --package-name vendor-plugin --package-type ZIP-PLUGIN \
  --engine-version OpenSearch_2.19 --package-source S3BucketName=pkgs,S3Key=vendor-plugin.zip \
  --package-configuration LicenseRequirement=REQUIRED,LicenseFilepath=licenses/vendor.json,ConfigurationRequirement=OPTIONAL \
  --query PackageDetails.PackageID --output text)
[[ $plugin =~ ^pkg-[0-9a-f]{40}$ ]] || fail "plugin ID $plugin"
license=$(osaws opensearch create-package --package-name vendor-license --package-type PACKAGE-LICENSE \
  --package-source S3BucketName=pkgs,S3Key=vendor-license.json --query PackageDetails.PackageID --output text)
config=$(osaws opensearch create-package --package-name vendor-config --package-type PACKAGE-CONFIG \
  --package-source S3BucketName=pkgs,S3Key=vendor-config.zip --query PackageDetails.PackageID --output text)
fails_with ValidationException osaws opensearch create-package --package-name no-engine --package-type ZIP-PLUGIN \
  --package-source S3BucketName=pkgs,S3Key=vendor-plugin.zip

status() {
  osaws opensearch describe-packages --filters "Name=PackageID,Value=$1" \
    --query 'PackageDetailsList[0].PackageStatus' --output text
}
for id in "$plugin" "$license" "$config"; do wait_for AVAILABLE status "$id"; done
expect "plugin properties" "$(osaws opensearch describe-packages --filters "Name=PackageID,Value=$plugin" \
  --query 'PackageDetailsList[0].AvailablePluginProperties.[Name,Version,ClassName]' --output text)" \
  "vendor-plugin	1.0.0	com.vendor.Plugin"

# The README's associate-packages line.
osaws opensearch create-domain --domain-name search --engine-version OpenSearch_2.19 >/dev/null
osaws opensearch associate-packages --domain-name search --package-list \
  PackageID=$plugin PackageID=$license,PrerequisitePackageIDList=$plugin \
  PackageID=$config,PrerequisitePackageIDList=$plugin >/dev/null
domain_status() {
  osaws opensearch list-packages-for-domain --domain-name search \
    --query 'sort(DomainPackageDetailsList[].DomainPackageStatus)' --output text
}
wait_for "ACTIVE	ACTIVE	ACTIVE" domain_status
d=$DEPLOY_DIR/000000000000/us-east-1/search
grep -q 'name=vendor-plugin' "$d/plugins/vendor-plugin/plugin-descriptor.properties" || fail "plugin not deployed"
grep -q 'licensee' "$d/plugins/vendor-plugin/licenses/vendor.json" || fail "licence not deployed"
grep -q 'strict' "$d/config/vendor-plugin/vendor.yml" || fail "config not deployed"
echo "ok: deployed under $d"

osaws opensearch dissociate-package --package-id "$plugin" --domain-name search >/dev/null
wait_for "" domain_status
[ ! -e "$d/plugins/vendor-plugin" ] || fail "plugin still deployed after dissociation"

# Sharing with account 222222222222.
fails_with ResourceNotFoundException as 222222222222 opensearch list-domains-for-package --package-id "$plugin"
osaws opensearch update-package-scope --package-id "$plugin" --operation ADD \
  --package-user-list 222222222222 >/dev/null
expect "B sees the owner" "$(as 222222222222 opensearch describe-packages \
  --filters "Name=PackageID,Value=$plugin" --query 'PackageDetailsList[0].PackageOwner' --output text)" 000000000000
fails_with AccessDeniedException as 222222222222 opensearch delete-package --package-id "$plugin"
osaws opensearch update-package-scope --package-id "$plugin" --operation REMOVE \
  --package-user-list 222222222222 >/dev/null
expect "B after REMOVE" "$(as 222222222222 opensearch describe-packages \
  --filters "Name=PackageID,Value=$plugin" --query 'length(PackageDetailsList)' --output text)" 0

# AWS's optional plugins.
g=$(osaws opensearch describe-packages --filters Name=PackageOwner,Value=AWS \
  Name=PackageName,Value=analysis-nori Name=EngineVersion,Value=OpenSearch_2.19 \
  --query 'PackageDetailsList[0].PackageID' --output text)
[[ $g =~ ^G[0-9]+$ ]] || fail "no G package for analysis-nori: $g"
fails_with ValidationException osaws opensearch delete-package --package-id "$g"

echo "cli plugins flow passed"
