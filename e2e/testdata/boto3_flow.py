"""The package lifecycle through boto3 against osemu, with checks of what a
faithful server answers. Usage:

    OSEMU_URL=http://127.0.0.1:4580 python3 boto3_flow.py synonyms.txt stopwords.txt
"""

import datetime
import os
import sys
import time

import boto3
import botocore.config
from botocore.exceptions import ClientError

URL = os.environ["OSEMU_URL"]
CONFIG = botocore.config.Config(retries={"max_attempts": 1})


def client(service, key="AKIDEXAMPLE", region="us-east-1"):
    return boto3.client(
        service,
        endpoint_url=URL,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key="secret",
        config=CONFIG,
    )


def check(what, got, want):
    if got != want:
        sys.exit(f"FAIL: {what}: got {got!r}, want {want!r}")
    print(f"ok: {what}")


def fails_with(what, status, code, fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        check(f"{what}: code", e.response["Error"]["Code"], code)
        check(f"{what}: status", e.response["ResponseMetadata"]["HTTPStatusCode"], status)
        return e.response["Error"]["Message"]
    sys.exit(f"FAIL: {what}: succeeded, want {status} {code}")


def wait_for(what, want, fn, timeout=20):
    deadline = time.time() + timeout
    got = None
    while time.time() < deadline:
        got = fn()
        if got == want:
            print(f"ok: {what} reached {want!r}")
            return
        time.sleep(0.2)
    sys.exit(f"FAIL: {what}: waited for {want!r}, last got {got!r}")


def main():
    syn_file, stop_file = sys.argv[1], sys.argv[2]
    s3 = client("s3")
    es = client("opensearch")

    s3.create_bucket(Bucket="dicts")
    s3.upload_file(syn_file, "dicts", "synonyms.txt")
    s3.upload_file(stop_file, "dicts", "stopwords.txt")
    with open(syn_file, "rb") as f:
        want = f.read()
    got = s3.get_object(Bucket="dicts", Key="synonyms.txt")["Body"].read()
    check("synonyms round trip through S3", got == want, True)
    check("synonyms have non-ASCII lines", any(b > 127 for b in want), True)

    def create(name, key):
        out = es.create_package(
            PackageName=name,
            PackageType="TXT-DICTIONARY",
            PackageSource={"S3BucketName": "dicts", "S3Key": key},
            PackageDescription=f"{name} from wamerican",
        )
        return out["PackageDetails"]

    syn = create("synonyms", "synonyms.txt")
    stop = create("stopwords", "stopwords.txt")
    check("create status", syn["PackageStatus"], "COPYING")
    check("no PackageSource echoed", "PackageSource" in syn, False)
    check("CreatedAt is a timestamp", isinstance(syn["CreatedAt"], datetime.datetime), True)

    def package(pid):
        out = es.describe_packages(Filters=[{"Name": "PackageID", "Value": [pid]}])
        return out["PackageDetailsList"][0]

    for p in (syn, stop):
        wait_for(p["PackageName"], ("AVAILABLE", "v1"),
                 lambda: (lambda d: (d["PackageStatus"], d.get("AvailablePackageVersion")))(package(p["PackageID"])))

    # Twelve domains, the synonyms on all of them, listed in pages of five.
    domains = [f"search-{i:02d}" for i in range(12)]
    for d in domains:
        es.create_domain(DomainName=d, EngineVersion="OpenSearch_2.19")
        out = es.associate_package(PackageID=syn["PackageID"], DomainName=d)
        check(f"associate {d}", out["DomainPackageDetails"]["DomainPackageStatus"], "ASSOCIATING")

    def all_domains(pid, page_size):
        seen, pages, token = [], 0, None
        while True:
            kwargs = {"PackageID": pid, "MaxResults": page_size}
            if token:
                kwargs["NextToken"] = token
            out = es.list_domains_for_package(**kwargs)
            pages += 1
            seen += [(e["DomainName"], e["DomainPackageStatus"]) for e in out["DomainPackageDetailsList"]]
            token = out.get("NextToken")
            if not token:
                return seen, pages

    wait_for("associations", [(d, "ACTIVE") for d in domains],
             lambda: all_domains(syn["PackageID"], 100)[0])
    seen, pages = all_domains(syn["PackageID"], 5)
    check("pages of five", pages, 3)
    check("every domain once", [d for d, _ in seen], domains)

    entry = es.list_domains_for_package(PackageID=syn["PackageID"], MaxResults=1)["DomainPackageDetailsList"][0]
    check("ReferencePath", entry["ReferencePath"], "analyzers/" + syn["PackageID"])
    check("PackageVersion", entry["PackageVersion"], "v1")
    check("no ErrorDetails", "ErrorDetails" in entry, False)
    check("LastUpdated is a timestamp", isinstance(entry["LastUpdated"], datetime.datetime), True)

    fresh = es.list_domains_for_package(PackageID=stop["PackageID"])
    check("fresh package has an empty list", fresh["DomainPackageDetailsList"], [])
    check("fresh package has no NextToken", "NextToken" in fresh, False)

    fails_with("associate twice", 409, "ConflictException",
               es.associate_package, PackageID=syn["PackageID"], DomainName=domains[0])
    fails_with("unknown package", 409, "ResourceNotFoundException",
               es.list_domains_for_package, PackageID="F999999999")
    fails_with("MaxResults 101", 400, "ValidationException",
               es.list_domains_for_package, PackageID=syn["PackageID"], MaxResults=101)
    fails_with("forged token", 400, "ValidationException",
               es.list_domains_for_package, PackageID=syn["PackageID"], NextToken="bm90LWEtdG9rZW4")
    msg = fails_with("bad name", 400, "ValidationException", es.create_package,
                     PackageName="syn_a", PackageType="TXT-DICTIONARY",
                     PackageSource={"S3BucketName": "dicts", "S3Key": "synonyms.txt"})
    check("bad name message", msg.startswith("1 validation error detected: Value 'syn_a' at 'packageName'"), True)
    fails_with("missing domain", 409, "ResourceNotFoundException",
               es.associate_package, PackageID=syn["PackageID"], DomainName="nowhere")

    # Another account sees nothing of this one.
    other = client("opensearch", key="222222222222")
    check("other account's packages", other.describe_packages()["PackageDetailsList"], [])

    # Batch dissociation, then deletion.
    es.associate_package(PackageID=stop["PackageID"], DomainName=domains[0])
    wait_for("stopwords active", ["ACTIVE"], lambda: [
        e["DomainPackageStatus"] for e in es.list_packages_for_domain(DomainName=domains[0])["DomainPackageDetailsList"]
        if e["PackageID"] == stop["PackageID"]])
    fails_with("batch with an unknown package", 409, "ResourceNotFoundException", es.dissociate_packages,
               PackageList=[stop["PackageID"], "F999999999"], DomainName=domains[0])
    check("nothing dissociated", len(es.list_packages_for_domain(DomainName=domains[0])["DomainPackageDetailsList"]), 2)
    out = es.dissociate_packages(PackageList=[stop["PackageID"], syn["PackageID"]], DomainName=domains[0])
    check("batch dissociation", [e["DomainPackageStatus"] for e in out["DomainPackageDetailsList"]],
          ["DISSOCIATING", "DISSOCIATING"])
    wait_for("domain emptied", [], lambda: es.list_packages_for_domain(DomainName=domains[0])["DomainPackageDetailsList"])
    es.delete_package(PackageID=stop["PackageID"])
    fails_with("delete twice", 409, "ResourceNotFoundException", es.delete_package, PackageID=stop["PackageID"])

    print("boto3 flow passed")


if __name__ == "__main__":
    main()
