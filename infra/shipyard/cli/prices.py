"""Unit prices for `shipyard cost`, from AWS's Price List API (boto3's `pricing` client,
`get_products` with filters), kept as a snapshot with its date and source.

Each price is one query: a service code, exact-match filters, and the product's usage type,
matched whole after an optional region prefix. It must leave exactly one on-demand price
(the first tier where a price is tiered). A query that finds none, or several different
ones, fails naming the price and the region: a guess would be a wrong estimate.

Usage types are matched whole because the same filters return siblings whose names end
alike at other prices: `TS-LoadBalancerUsage` (trust stores), `Outposts-LCUUsage`,
`ReservedLCUUsage`, `Intra-AWS-DNS-Queries` (free alias queries), each region's Resolver
`USE1-DNS-Queries`, and `ShieldProtected-` WAF rows. Checked against recorded Price List
records; docs/cost.md lists what each query expects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shipyard.aws import Aws, aws_errors
from shipyard.errors import UserError

SNAPSHOT = Path(__file__).with_name("prices.json")
SOURCE = "AWS Price List API (pricing.get_products, on-demand terms)"
# The Price List API answers from these regions only; prices for every region come from it.
PRICING_REGION = "us-east-1"
# Where the Price List API answers from us-east-1: not China (its own endpoint) nor the
# isolated partitions.
PARTITIONS = ("aws", "aws-us-gov")
# The instance types whose hours are kept: the shipped stacks' and the default.
INSTANCE_TYPES = ("t3.small", "t3.medium")


# How the Price List prefixes a regional usage type: none (most of us-east-1), `EU-`, a
# billing code such as `USE1-` or `APN1-`, or the region's own name (KMS: `us-east-1-KMS-Keys`).
BILLING_PREFIX = r"EU|[A-Z]{3}\d"


@dataclass(frozen=True)
class Query:
    """One unit price: what to ask the Price List API, and which of its answers it is."""

    key: str
    service: str
    filters: dict[str, str]
    usage: str  # the product's usagetype, without its region prefix
    regional: bool = True
    also: tuple[str, ...] = ()  # other names of the same price, where sources disagree

    def request(self, region: str) -> dict[str, Any]:
        filters = dict(self.filters)
        if self.regional:
            filters["regionCode"] = region
        return {
            "ServiceCode": self.service,
            "FormatVersion": "aws_v1",
            "Filters": [
                {"Type": "TERM_MATCH", "Field": field, "Value": value}
                for field, value in sorted(filters.items())
            ],
        }

    def matches(self, attributes: dict[str, str], region: str) -> bool:
        prefix = f"(?:(?:{BILLING_PREFIX}|{re.escape(region)})-)?" if self.regional else ""
        names = "|".join(re.escape(name) for name in (self.usage, *self.also))
        return re.fullmatch(f"{prefix}(?:{names})", attributes.get("usagetype", "")) is not None


def ec2_hours(instance_type: str) -> Query:
    return Query(
        f"ec2:{instance_type}", "AmazonEC2",
        {"instanceType": instance_type, "operatingSystem": "Linux", "tenancy": "Shared",
         "preInstalledSw": "NA", "capacitystatus": "Used",
         "licenseModel": "No License required"},
        f"BoxUsage:{instance_type}",
    )  # fmt: skip


# Outposts, Wavelength and Local Zone rows are not "AWS Region".
ALB_IN_REGION = {"productFamily": "Load Balancer-Application", "locationType": "AWS Region"}
QUERIES: tuple[Query, ...] = (
    Query("fargate-vcpu-hour", "AmazonECS", {}, "Fargate-vCPU-Hours:perCPU"),
    Query("fargate-gb-hour", "AmazonECS", {}, "Fargate-GB-Hours"),
    *(ec2_hours(instance_type) for instance_type in INSTANCE_TYPES),
    Query("ebs-gp3-gb-month", "AmazonEC2", {"volumeApiName": "gp3"}, "EBS:VolumeUsage.gp3"),
    Query("alb-hour", "AWSELB", ALB_IN_REGION, "LoadBalancerUsage"),
    Query("alb-lcu-hour", "AWSELB", ALB_IN_REGION, "LCUUsage"),
    Query("nat-hour", "AmazonEC2", {"productFamily": "NAT Gateway"}, "NatGateway-Hours"),
    Query("nat-gb", "AmazonEC2", {"productFamily": "NAT Gateway"}, "NatGateway-Bytes"),
    Query("public-ipv4-hour", "AmazonVPC", {}, "PublicIPv4:InUseAddress"),
    Query("waf-web-acl-month", "awswaf", {}, "WebACLV2"),
    Query("waf-rule-month", "awswaf", {}, "RuleV2"),
    # The base request price (up to 1,500 WCU): recorded answers and bills name it Tier0
    # and Tier1, at the same $0.60 a million. Either is taken; two prices would fail.
    Query("waf-request", "awswaf", {}, "RequestV2-Tier0", also=("RequestV2-Tier1",)),
    Query("cw-alarm-month", "AmazonCloudWatch", {}, "CW:AlarmMonitorUsage"),
    Query("cw-logs-ingest-gb", "AmazonCloudWatch", {}, "DataProcessing-Bytes"),
    Query("cw-logs-storage-gb-month", "AmazonCloudWatch", {}, "TimedStorage-ByteHrs"),
    Query("secret-month", "AWSSecretsManager", {}, "AWSSecretsManager-Secrets"),
    Query("kms-key-month", "awskms", {}, "KMS-Keys"),
    Query("s3-standard-gb-month", "AmazonS3", {"volumeType": "Standard"}, "TimedStorage-ByteHrs"),
    # Public hosted zones' queries are global: no region, no prefix.
    Query("route53-query", "AmazonRoute53", {"productFamily": "DNS Query"}, "DNS-Queries",
          regional=False),
    Query("ecr-gb-month", "AmazonECR", {}, "TimedStorage-ByteHrs"),
)  # fmt: skip


@dataclass(frozen=True)
class Price:
    usd: float
    unit: str  # as the Price List API names it: Hrs, GB-Mo, GB, Requests, Queries...


@dataclass(frozen=True)
class Snapshot:
    as_of: str
    source: str
    regions: dict[str, dict[str, Price]]

    def price(self, region: str, key: str) -> Price:
        if region not in self.regions:
            raise UserError(
                f"the price snapshot ({self.as_of}) has no prices for {region}: the Price "
                f"List API answers for the {' and '.join(PARTITIONS)} partitions only"
            )
        found = self.regions[region].get(key)
        if found is None:
            raise UserError(
                f"the price snapshot ({self.as_of}) has no {key} for {region}: the Price List "
                "API offered none there when it was made; refresh it with `shipyard cost "
                "--refresh-prices` where AWS credentials reach the API"
            )
        return found


def load(path: Path | None = None) -> Snapshot:
    path = path or SNAPSHOT
    if not path.is_file():
        raise UserError(
            f"no price snapshot at {path}: make it with `shipyard cost --refresh-prices` "
            "where AWS credentials reach the Price List API (pricing:GetProducts)"
        )
    data = json.loads(path.read_text())
    return Snapshot(
        as_of=data["as_of"],
        source=data["source"],
        regions={
            region: {key: Price(float(p["usd"]), p["unit"]) for key, p in prices.items()}
            for region, prices in data["regions"].items()
        },
    )


def _on_demand(product: dict[str, Any]) -> list[Price]:
    """The product's on-demand prices: the first tier of each term."""
    found = []
    for term in (product.get("terms", {}).get("OnDemand") or {}).values():
        dimensions = sorted(
            term.get("priceDimensions", {}).values(),
            key=lambda dimension: float(dimension.get("beginRange") or 0),
        )
        if dimensions:
            first = dimensions[0]
            found.append(Price(float(first["pricePerUnit"]["USD"]), first.get("unit", "")))
    return found


def fetch(aws: Aws, query: Query, region: str) -> Price | None:
    """The one price `query` finds for `region`, or None where the region has no such
    product (a service not launched there yet)."""
    pricing = aws.client("pricing")
    request = query.request(region)
    prices: set[Price] = set()
    with aws_errors(f"read {query.key} prices for {region} from the Price List API"):
        for page in pricing.get_paginator("get_products").paginate(**request):
            for item in page.get("PriceList", []):
                product = json.loads(item) if isinstance(item, str) else item
                if query.matches(product.get("product", {}).get("attributes", {}), region):
                    prices.update(_on_demand(product))
    if len(prices) > 1:
        said = ", ".join(sorted(f"{p.usd} per {p.unit}" for p in prices))
        raise UserError(
            f"the Price List API gave {said} for {query.key} in {region}, not one price; "
            "check the query in shipyard/cli/prices.py against the API's products"
        )
    return prices.pop() if prices else None


def refresh(
    aws: Aws,
    regions: Iterable[str],
    path: Path | None = None,
    queries: Sequence[Query] = QUERIES,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Snapshot:
    """Ask the Price List API for every price in every region and write the snapshot. A
    price found in no region at all means a wrong query: nothing is written then."""
    found = {
        region: {query.key: fetch(aws, query, region) for query in queries}
        for region in sorted(regions)
    }
    nowhere = [query.key for query in queries
               if all(prices[query.key] is None for prices in found.values())]  # fmt: skip
    if found and nowhere:
        raise UserError(
            f"the Price List API gave no price for {', '.join(nowhere)} in any region; "
            "check the queries in shipyard/cli/prices.py against the API's products"
        )
    taken = {
        region: {key: price for key, price in prices.items() if price is not None}
        for region, prices in found.items()
    }
    snapshot = Snapshot(now().date().isoformat(), SOURCE, taken)
    (path or SNAPSHOT).write_text(json.dumps({
        "as_of": snapshot.as_of,
        "source": snapshot.source,
        "currency": "USD",
        "regions": {
            region: {key: {"usd": price.usd, "unit": price.unit} for key, price in prices.items()}
            for region, prices in taken.items()
        },
    }, indent=1, sort_keys=True) + "\n")  # fmt: skip
    return snapshot


def changes(before: Snapshot | None, after: Snapshot) -> list[str]:
    """What moved between two snapshots, a line per price: new, changed or gone."""
    old = before.regions if before else {}
    lines = []
    for region in sorted(set(old) | set(after.regions)):
        was, now = old.get(region, {}), after.regions.get(region, {})
        for key in sorted(set(was) | set(now)):
            if key not in was:
                lines.append(f"{region} {key}: new, {_said(now[key])}")
            elif key not in now:
                lines.append(f"{region} {key}: gone (was {_said(was[key])})")
            elif was[key] != now[key]:
                lines.append(f"{region} {key}: {_said(was[key])} -> {_said(now[key])}")
    return lines


def _said(price: Price) -> str:
    return f"{price.usd!r} per {price.unit}"  # every digit: a change may be in the last


def not_offered(snapshot: Snapshot, queries: Sequence[Query] = QUERIES) -> list[str]:
    """The prices a region's products lack, a line per region."""
    return [
        f"{region}: no {', '.join(missing)}"
        for region, prices in sorted(snapshot.regions.items())
        if (missing := [query.key for query in queries if query.key not in prices])
    ]


def refresh_and_report() -> list[str]:
    """`shipyard cost --refresh-prices`: refresh the snapshot; what it wrote, and what moved
    since the one it replaces (the pipeline's proposal reads the second line)."""
    before = load() if SNAPSHOT.is_file() else None
    snapshot = refresh_everywhere()
    moved = changes(before, snapshot)
    since = f"since {before.as_of}" if before else "in a first snapshot"
    return [
        f"prices of {len(snapshot.regions)} regions as of {snapshot.as_of} written to "
        f"{SNAPSHOT}",
        f"{len(moved)} price(s) new or changed {since}" if moved else f"no price changed {since}",
        *(f"  {line}" for line in moved),
        *(f"not offered: {line}" for line in not_offered(snapshot)),
    ]


def refresh_everywhere() -> Snapshot:
    """Every price, for every region of the partitions the Price List API covers, with the
    caller's credentials."""
    import boto3

    session = boto3.Session(region_name=PRICING_REGION)
    regions = {
        region
        for partition in PARTITIONS
        for region in session.get_available_regions("ec2", partition_name=partition)
    }
    return refresh(Aws(session), sorted(regions))
