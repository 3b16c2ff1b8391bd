"""`shipyard cost`: the price snapshot made from Price List API answers (botocore's Stubber,
shaped as the API answers), and the estimate of each shipped stack from the evaluated
program. The prices here are test values, not AWS's: no snapshot of real prices exists
until `shipyard cost --refresh-prices` runs where credentials reach the API."""

from __future__ import annotations

import functools
import json
import os
import subprocess
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from devtools import pulumi_mocks
from shipyard.aws import Aws
from shipyard.cli import cost, prices
from shipyard.cli.main import main
from shipyard.errors import UserError

REGION = "us-east-1"
ROOT = Path(__file__).resolve().parents[2]
# Test values, one per query, distinct so that a mix-up shows.
TEST_PRICES = {query.key: round(0.001 * (index + 1), 6) for index, query in
               enumerate(prices.QUERIES)}  # fmt: skip


def product(query: prices.Query, usd: float, usage: str, sku: str) -> str:
    """One PriceList entry as get_products gives it: a JSON string."""
    term, rate = f"{sku}.JRTCKXETXF", f"{sku}.JRTCKXETXF.6YS6EN2CT7"
    return json.dumps({
        "product": {"productFamily": "Compute", "sku": sku, "attributes": {
            "usagetype": usage, "regionCode": REGION, "servicecode": query.service,
            **query.filters,
        }},
        "serviceCode": query.service,
        "terms": {"OnDemand": {term: {
            "offerTermCode": "JRTCKXETXF", "sku": sku, "effectiveDate": "2026-11-01T00:00:00Z",
            "termAttributes": {},
            "priceDimensions": {
                rate: {"rateCode": rate, "unit": "Hrs", "beginRange": "0", "endRange": "Inf",
                       "description": query.key, "appliesTo": [],
                       "pricePerUnit": {"USD": f"{usd:.10f}"}},
                f"{rate}.2": {"rateCode": f"{rate}.2", "unit": "Hrs", "beginRange": "1000000",
                              "endRange": "Inf", "description": "a later tier", "appliesTo": [],
                              "pricePerUnit": {"USD": f"{usd / 2:.10f}"}},
            },
        }}},
        "version": "20261101000000", "publicationDate": "2026-11-01T00:00:00Z",
    })  # fmt: skip


def stubbed(
    answers: dict[str, list[str]],
    regions: tuple[str, ...] = (REGION,),
    lacking: frozenset[tuple[str, str]] = frozenset(),
) -> Aws:
    """An Aws whose pricing client answers each query's request for each region, in the
    order a refresh asks, with `answers[key]`, or with no product for (region, key) in
    `lacking`."""
    client = boto3.client("pricing", region_name=prices.PRICING_REGION,
                          aws_access_key_id="x", aws_secret_access_key="x")  # fmt: skip
    stubber = Stubber(client)
    for region in sorted(regions):
        for query in prices.QUERIES:
            # KMS prefixes its usage type with the region's own name.
            found = [] if (region, query.key) in lacking else [
                answer.replace(f'"{REGION}-KMS', f'"{region}-KMS') for answer in answers[query.key]
            ]
            stubber.add_response(
                "get_products", {"FormatVersion": "aws_v1", "PriceList": found},
                query.request(region),
            )  # fmt: skip
    stubber.activate()
    aws = Aws(boto3.Session(region_name=REGION))
    aws._clients["pricing"] = client
    return aws


# Each price's usage type in us-east-1, and the siblings the same filters also return, as
# recorded Price List answers name them (docs/cost.md, "What each query takes"). Some carry
# the `USE1-` prefix there and some none; KMS prefixes the region's own name.
US_EAST_1 = {
    "fargate-vcpu-hour": ("USE1-Fargate-vCPU-Hours:perCPU", [
        "USE1-Fargate-ARM-vCPU-Hours:perCPU", "USE1-SpotUsage:Fargate-vCPU-Hours:perCPU",
        "USE1-Fargate-Windows-OS-Hours:perCPU"]),
    "fargate-gb-hour": ("USE1-Fargate-GB-Hours", [
        "USE1-Fargate-ARM-GB-Hours", "USE1-Fargate-EphemeralStorage-GB-Hours"]),
    "ec2:t3.small": ("BoxUsage:t3.small", ["SpotUsage:t3.small"]),
    "ec2:t3.medium": ("BoxUsage:t3.medium", ["SpotUsage:t3.medium"]),
    "ebs-gp3-gb-month": ("EBS:VolumeUsage.gp3", ["EBS:VolumeP-IOPS.gp3"]),
    "alb-hour": ("LoadBalancerUsage", ["TS-LoadBalancerUsage", "Outposts-LoadBalancerUsage"]),
    "alb-lcu-hour": ("LCUUsage", ["Outposts-LCUUsage", "ReservedLCUUsage"]),
    "nat-hour": ("NatGateway-Hours", ["NatGateway-Provisioned-Hours"]),
    "nat-gb": ("NatGateway-Bytes", ["NatGateway-Provisioned-Bytes"]),
    "public-ipv4-hour": ("USE1-PublicIPv4:InUseAddress", ["USE1-PublicIPv4:IdleAddress"]),
    "waf-web-acl-month": ("USE1-WebACLV2", ["USE1-ShieldProtected-WebACLV2"]),
    "waf-rule-month": ("USE1-RuleV2", ["USE1-ShieldProtected-RuleV2"]),
    "waf-request": ("USE1-RequestV2-Tier0", [
        "USE1-ShieldProtected-RequestV2-Tier0", "USE1-RequestV2-Tier4-3000WCU"]),
    "cw-alarm-month": ("CW:AlarmMonitorUsage", ["CW:HighResAlarmMonitorUsage"]),
    "cw-logs-ingest-gb": ("USE1-DataProcessing-Bytes", [
        "USE1-DataProcessingIA-Bytes", "USE1-VendedLog-Bytes"]),
    "cw-logs-storage-gb-month": ("USE1-TimedStorage-ByteHrs", ["USE1-TimedStorage-IA-ByteHrs"]),
    "secret-month": ("USE1-AWSSecretsManager-Secrets", ["USE1-AWSSecretsManagerAPIRequest"]),
    "kms-key-month": ("us-east-1-KMS-Keys", ["us-east-1-KMS-Requests"]),
    "s3-standard-gb-month": ("TimedStorage-ByteHrs", ["TimedStorage-INT-FA-ByteHrs"]),
    "route53-query": ("DNS-Queries", ["Intra-AWS-DNS-Queries", "USE1-DNS-Queries"]),
    "ecr-gb-month": ("TimedStorage-ByteHrs", ["USE1-TimedStorage-Archive-ByteHrs"]),
}  # fmt: skip


def answers() -> dict[str, list[str]]:
    found = {}
    for query in prices.QUERIES:
        usage, siblings = US_EAST_1[query.key]
        found[query.key] = [product(query, TEST_PRICES[query.key], usage, "AAA")] + [
            product(query, 99.0 + index, sibling, f"S{index}")
            for index, sibling in enumerate(siblings)
        ]
    return found


@pytest.fixture
def snapshot(tmp_path) -> prices.Snapshot:
    path = tmp_path / "prices.json"
    prices.refresh(stubbed(answers()), [REGION], path)
    return prices.load(path)


def test_the_snapshot_holds_the_first_tier_of_each_products_on_demand_price(snapshot):
    assert {key: price.usd for key, price in snapshot.regions[REGION].items()} == TEST_PRICES
    assert snapshot.source == "AWS Price List API (pricing.get_products, on-demand terms)"


def test_a_query_that_finds_two_prices_fails_naming_it(tmp_path):
    found = answers()
    query = prices.QUERIES[0]
    found[query.key].append(product(query, 1.5, "Fargate-vCPU-Hours:perCPU", "CCC"))
    with pytest.raises(UserError, match=f"for {query.key} in {REGION}, not one price"):
        prices.refresh(stubbed(found), [REGION], tmp_path / "prices.json")
    assert not (tmp_path / "prices.json").exists()


def test_a_refresh_says_which_prices_moved(snapshot):
    moved = {**snapshot.regions[REGION], "nat-hour": prices.Price(0.05, "Hrs")}
    del moved["kms-key-month"]
    after = prices.Snapshot("2026-12-03", snapshot.source,
                            {REGION: moved, "eu-west-1": {"nat-hour": prices.Price(0.048, "Hrs")}})
    old_nat = TEST_PRICES["nat-hour"]
    assert prices.changes(snapshot, after) == [
        "eu-west-1 nat-hour: new, 0.048 per Hrs",
        f"us-east-1 kms-key-month: gone (was {TEST_PRICES['kms-key-month']!r} per Hrs)",
        f"us-east-1 nat-hour: {old_nat!r} per Hrs -> 0.05 per Hrs",
    ]
    assert prices.changes(snapshot, snapshot) == []
    assert len(prices.changes(None, snapshot)) == len(prices.QUERIES)


def test_the_refresh_command_says_what_moved_since_the_snapshot_it_replaces(
    tmp_path, monkeypatch, capsys
):
    path = tmp_path / "prices.json"
    monkeypatch.setattr(prices, "SNAPSHOT", path)
    found = answers()
    monkeypatch.setattr(prices, "refresh_everywhere",
                        lambda: prices.refresh(stubbed(found), [REGION], path))  # fmt: skip
    assert main(["cost", "--refresh-prices"]) == 0
    assert f"{len(prices.QUERIES)} price(s) new or changed in a first snapshot" in (
        capsys.readouterr().out
    )
    assert main(["cost", "--refresh-prices"]) == 0
    assert "no price changed since" in capsys.readouterr().out
    query = next(q for q in prices.QUERIES if q.key == "nat-hour")
    found[query.key][0] = product(query, 0.5, "NatGateway-Hours", "AAA")
    assert main(["cost", "--refresh-prices"]) == 0
    said = capsys.readouterr().out.splitlines()
    assert said[1:] == ["1 price(s) new or changed since " + prices.load(path).as_of,
                        f"  {REGION} nat-hour: {TEST_PRICES['nat-hour']!r} per Hrs -> 0.5 per Hrs"]


def test_a_region_without_a_product_is_listed_and_a_price_found_nowhere_fails(tmp_path):
    path = tmp_path / "prices.json"
    regions = (REGION, "eu-south-2")
    taken = prices.refresh(
        stubbed(answers(), regions, frozenset({("eu-south-2", "waf-request")})), regions, path
    )
    assert "waf-request" not in taken.regions["eu-south-2"]
    assert prices.not_offered(taken) == ["eu-south-2: no waf-request"]
    with pytest.raises(UserError, match="no waf-request for eu-south-2: the Price List API "
                                        "offered none there"):  # fmt: skip
        taken.price("eu-south-2", "waf-request")
    with pytest.raises(UserError, match="no prices for cn-north-1"):
        taken.price("cn-north-1", "alb-hour")

    lacking = frozenset((region, "nat-gb") for region in regions)
    with pytest.raises(UserError, match="no price for nat-gb in any region"):
        prices.refresh(stubbed(answers(), regions, lacking), regions, tmp_path / "again.json")
    assert not (tmp_path / "again.json").exists()


def test_the_refresh_asks_the_partitions_the_price_list_covers(monkeypatch):
    asked: list[str] = []
    monkeypatch.setattr(prices, "refresh", lambda aws, regions: asked.extend(regions))
    prices.refresh_everywhere()
    assert {"us-east-1", "eu-west-1", "us-gov-west-1"} <= set(asked)
    assert not [region for region in asked if region.startswith(("cn-", "us-iso", "eusc-"))]


def test_a_legacy_row_at_the_same_price_is_one_price(tmp_path):
    """us-east-1 keeps unprefixed CloudWatch Logs rows beside the `USE1-` ones."""
    found = answers()
    query = next(q for q in prices.QUERIES if q.key == "cw-logs-ingest-gb")
    found[query.key].append(product(query, TEST_PRICES[query.key], "DataProcessing-Bytes", "L"))
    taken = prices.refresh(stubbed(found), [REGION], tmp_path / "prices.json")
    assert taken.regions[REGION][query.key].usd == TEST_PRICES[query.key]


@pytest.mark.parametrize(("key", "region", "usage", "taken"), [
    ("fargate-vcpu-hour", "eu-west-1", "EU-Fargate-vCPU-Hours:perCPU", True),
    ("ec2:t3.small", "eu-west-1", "EU-BoxUsage:t3.small", True),
    ("ecr-gb-month", "ca-central-1", "CAN1-TimedStorage-ByteHrs", True),
    ("kms-key-month", "eu-west-1", "eu-west-1-KMS-Keys", True),
    ("kms-key-month", "eu-west-1", "us-east-1-KMS-Keys", False),
    ("alb-hour", "ap-northeast-1", "APN1-LoadBalancerUsage", True),
    ("alb-hour", "ap-northeast-1", "APN1-TS-LoadBalancerUsage", False),
    ("waf-request", "eu-west-1", "EU-ShieldProtected-RequestV2-Tier0", False),
    ("waf-request", "us-east-1", "USE1-RequestV2-Tier1", True),
    ("waf-request", "us-east-1", "USE1-RequestV2-Tier4-3000WCU", False),
    ("fargate-vcpu-hour", "us-gov-west-1", "UGW1-Fargate-vCPU-Hours:perCPU", True),
    ("alb-hour", "us-east-1", "USE1-MIA1-LoadBalancerUsage", False),
    ("route53-query", "eu-west-1", "EU-DNS-Queries", False),
])  # fmt: skip
def test_a_usage_type_is_taken_whole_after_a_region_prefix(key, region, usage, taken):
    query = next(q for q in prices.QUERIES if q.key == key)
    assert query.matches({"usagetype": usage}, region) is taken


@functools.cache
def evaluated(stack: str) -> pulumi_mocks.Evaluation:
    """The shipped stack's evaluation, shared by the tests that only read it."""
    return pulumi_mocks.evaluate(stack)


def estimated(stack: str, snapshot: prices.Snapshot, **assumed: float) -> cost.Estimate:
    evaluation = evaluated(stack)
    return cost.estimate(evaluation, snapshot, cost.Assumptions(**assumed))


def per_unit(found: cost.Estimate) -> float:
    return sum(item.quantity * item.unit_usd for item in found.items if item.per_unit)


def test_one_more_task_costs_its_unit_prices_times_730_hours(snapshot):
    found = estimated("staging", snapshot)
    vcpu, gb = 0.5, 1.0  # staging's task: cpu 512, memory 1024
    expected = (vcpu * TEST_PRICES["fargate-vcpu-hour"] + gb * TEST_PRICES["fargate-gb-hour"])
    assert per_unit(found) == pytest.approx(expected * 730)
    counts = found.counts
    assert found.total("max") - found.total("min") == pytest.approx(
        per_unit(found) * (counts["max"] - counts["min"]), abs=0.02
    )


def test_one_more_instance_costs_its_hours_and_its_volume(snapshot):
    found = estimated("qa", snapshot)
    template = evaluated("qa").one("aws:ec2/launchTemplate:LaunchTemplate")
    kind = template.inputs["instanceType"]
    size = template.inputs["blockDeviceMappings"][0]["ebs"]["volumeSize"]
    public = any(str(i.get("associatePublicIpAddress")).lower() == "true"
                 for i in template.inputs.get("networkInterfaces") or [])  # fmt: skip
    expected = TEST_PRICES[f"ec2:{kind}"] * 730 + TEST_PRICES["ebs-gp3-gb-month"] * size + (
        TEST_PRICES["public-ipv4-hour"] * 730 if public else 0
    )
    assert per_unit(found) == pytest.approx(expected)


# The fixed part of each shipped stack (no usage: every assumption 0) at its desired count,
# counted by hand from its stack file and the program's documented shape, by price: a month
# is 730 hours. The alarms are 5xx (target), 5xx (load balancer), unhealthy hosts for each
# target group (two under blue/green or ECS canary) and CPU.
HAND_COUNTED = {
    # 1 task of 256 CPU units, 512 MiB; a public IP (default VPC, no NAT); the load balancer
    # in the 3 default subnets the offline evaluation has.
    "dev": {"fargate-vcpu-hour": 0.25 * 730, "fargate-gb-hour": 0.5 * 730,
            "public-ipv4-hour": 730 + 3 * 730, "alb-hour": 730, "cw-alarm-month": 4},
    # 2 t3.small with 20 GB each in private subnets; 2 zones, one NAT gateway with its
    # Elastic IP; two Secrets Manager secrets (the SSM parameter is free).
    "qa": {"ec2:t3.small": 2 * 730, "ebs-gp3-gb-month": 2 * 20, "alb-hour": 730,
           "public-ipv4-hour": 2 * 730 + 730, "nat-hour": 730, "cw-alarm-month": 4,
           "secret-month": 2},
    # 2 tasks of 0.5 vCPU and 1 GB; 2 zones, one shared NAT gateway; blue/green.
    "staging": {"fargate-vcpu-hour": 2 * 0.5 * 730, "fargate-gb-hour": 2 * 1 * 730,
                "alb-hour": 730, "public-ipv4-hour": 2 * 730 + 730, "nat-hour": 730,
                "cw-alarm-month": 5, "secret-month": 2},
    # 3 tasks of 1 vCPU and 2 GB; 3 zones with a NAT gateway each; ECS canary; a web ACL
    # with three AWS managed rule groups and a rate limit.
    "prod": {"fargate-vcpu-hour": 3 * 1 * 730, "fargate-gb-hour": 3 * 2 * 730,
             "alb-hour": 730, "public-ipv4-hour": 3 * 730 + 3 * 730, "nat-hour": 3 * 730,
             "waf-web-acl-month": 1, "waf-rule-month": 4, "cw-alarm-month": 5},
    # The images' key and one key per deploy environment.
    "shared": {"kms-key-month": 5},
}  # fmt: skip


@pytest.mark.parametrize("stack", sorted(HAND_COUNTED))
def test_each_shipped_stacks_fixed_part_is_what_a_hand_count_of_it_gives(stack, snapshot):
    found = estimated(stack, snapshot, requests_a_month=0, nat_gb_a_month=0, log_gb_a_month=0,
                      access_log_gb=0, load_balancer_lcus=0, image_gb=0)  # fmt: skip
    key_of = {usd: key for key, usd in TEST_PRICES.items()}
    desired = found.counts["desired"]
    billed: dict[str, float] = {}
    for item in found.items:
        if item.quantity and item.unit_usd:
            key = key_of[item.unit_usd]
            billed[key] = billed.get(key, 0) + item.quantity * (desired if item.per_unit else 1)
    assert billed == pytest.approx(HAND_COUNTED[stack])


def test_queries_to_the_alias_are_free_and_only_the_services_logs_are_assumed(snapshot):
    found = estimated("prod", snapshot)
    dns = [item for item in found.items if item.type.startswith("Route 53")]
    assert [(item.quantity, item.unit_usd) for item in dns] == [(1_000_000, 0.0)]
    ingested = [item for item in found.items if item.type == "log ingestion"]
    assert [item.quantity for item in ingested] == [5.0]  # not again for flow and WAF logs
    assert any("flow logs, WAF logs" in note for note in found.notes)


def test_the_service_is_priced_as_the_engine_names_it_from_pulumi_yaml(tmp_path, snapshot):
    """A project that renames its service in Pulumi.yaml's default, as a user does: the
    estimate reads the config the program was given, not the settings' own default."""
    project = pulumi_mocks.project_with_defaults(tmp_path, serviceName="billing")
    found = cost.estimate(pulumi_mocks.evaluate("dev", project_dir=project), snapshot)
    ingested = [item for item in found.items if item.type == "log ingestion"]
    assert [item.resource for item in ingested] == ["billing-dev-logs"]
    assert found.total("desired") == pytest.approx(
        estimated("dev", snapshot).total("desired")
    )


def test_prod_lists_every_billed_resource_and_bounds_the_spend_by_its_maximum(snapshot):
    found = estimated("prod", snapshot, requests_a_month=2_000_000)
    kinds = {item.type.split(" (")[0] for item in found.items}
    assert {"Fargate vCPU", "Fargate memory", "Application Load Balancer", "NAT gateway",
            "data processed by NAT", "WAF web ACL", "WAF requests", "CloudWatch alarms",
            "log ingestion", "log storage", "S3 storage",
            "Route 53 queries to an alias of the load balancer"} <= kinds  # fmt: skip
    nat = [item for item in found.items if item.type == "NAT gateway"]
    assert len(nat) == 3  # one per zone in prod
    waf_requests = next(item for item in found.items if item.type == "WAF requests")
    assert waf_requests.quantity == 2_000_000
    assert found.total("min") <= found.total("desired") <= found.total("max")
    assert "aws:ec2/securityGroup:SecurityGroup" in found.free


def test_the_service_stack_costs_its_keys_and_image_storage(snapshot):
    found = estimated("shared", snapshot)
    kinds = [item.type for item in found.items]
    keys = kinds.count("KMS key")
    assert keys >= 2 and "ECR image storage" in kinds
    assert found.total("desired") == pytest.approx(
        keys * TEST_PRICES["kms-key-month"] + 5 * TEST_PRICES["ecr-gb-month"], abs=0.01
    )


def test_json_has_the_documented_shape(snapshot, tmp_path, monkeypatch, capsys):
    path = tmp_path / "prices.json"
    prices.refresh(stubbed(answers()), [REGION], path)
    monkeypatch.setattr(prices, "SNAPSHOT", path)
    assert main(["cost", "staging", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) >= {"stack", "region", "currency", "monthly_usd", "items",
                            "assumptions", "prices_as_of"}  # fmt: skip
    assert set(printed["monthly_usd"]) == {"min", "desired", "max"}
    assert set(printed["items"][0]) == {"resource", "type", "quantity", "unit", "unit_usd",
                                        "monthly_usd"}  # fmt: skip
    assert printed["assumptions"]["requests_a_month"] == 1_000_000


def test_without_a_snapshot_it_says_how_to_make_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(prices, "SNAPSHOT", tmp_path / "none.json")
    assert main(["cost", "staging"]) == 1
    assert "no price snapshot" in capsys.readouterr().err


# ---- the cost of a change, where it is reviewed -------------------------------------------


@pytest.fixture
def priced(tmp_path, monkeypatch) -> prices.Snapshot:
    path = tmp_path / "prices.json"
    prices.refresh(stubbed(answers()), [REGION], path)
    monkeypatch.setattr(prices, "SNAPSHOT", path)
    return prices.load(path)


@pytest.fixture
def released_staging(stacks, world) -> None:
    stacks.add("staging", world.ecs_environment("staging"))
    stacks.deploy_release("staging", "1" * 40)
    stacks.calls.clear()


def test_preview_prints_the_monthly_cost_before_and_after_the_change(
    cli, stacks, released_staging, priced
):
    assert cli("preview", "staging") == 0
    (same,) = [line for line in cli.printed.splitlines() if line.startswith("monthly cost:")]
    before = same.split("$")[1].split(" ")[0]
    assert same == f"monthly cost: ${before} -> ${before} (+$0.00)"
    stacks.set_config("staging", "shipyard:cpu", "1024")
    stacks.set_config("staging", "shipyard:memory", "2048")
    assert cli("preview", "staging") == 0
    line = [line for line in cli.printed.splitlines() if line.startswith("monthly cost:")][-1]
    after = float(line.split("-> $")[1].split(" ")[0].replace(",", ""))
    delta = float(line.split("(+$")[1].rstrip(")").replace(",", ""))
    was = float(before.replace(",", ""))
    # Twice the vCPU and memory per task, at the desired count.
    desired = int(stacks.config("staging").get("shipyard:desiredCount") or 1)
    grown = (0.5 * TEST_PRICES["fargate-vcpu-hour"] + 1 * TEST_PRICES["fargate-gb-hour"]) * 730
    assert delta == pytest.approx(grown * desired, abs=0.01)
    assert after == pytest.approx(was + delta, abs=0.01)


def test_a_change_over_the_budget_is_refused_unless_told(
    cli, stacks, released_staging, priced, capsys
):
    stacks.set_config("staging", "shipyard:monthlyBudget", "1")
    assert cli("preview", "staging") == 3
    said = capsys.readouterr().err
    assert "shipyard:monthlyBudget: staging may cost $" in said
    assert "over its budget of $1; lower maxCapacity" in said
    assert cli("deploy", "staging", "--yes") == 3
    assert not [call for call in stacks.calls if call[0] == "up"]
    assert cli("preview", "staging", "--over-budget") == 0
    assert "going on (--over-budget)" in cli.printed


def test_a_budget_pulumi_yaml_gives_every_stack_holds_too(
    cli, stacks, released_staging, priced, tmp_path, capsys
):
    cli.runtime.project_dir = pulumi_mocks.project_with_defaults(tmp_path, monthlyBudget=1)
    assert cli("preview", "staging") == 3
    assert "over its budget of $1" in capsys.readouterr().err


def test_without_prices_preview_goes_on_but_a_budget_cannot_be_held(
    cli, stacks, released_staging, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(prices, "SNAPSHOT", tmp_path / "none.json")
    assert cli("preview", "staging") == 0
    assert "monthly cost: not estimated (no price snapshot" in cli.printed
    stacks.set_config("staging", "shipyard:monthlyBudget", "500")
    assert cli("preview", "staging") == 3
    assert "no price snapshot to hold staging to it" in capsys.readouterr().err


def test_the_pull_request_comment_puts_the_monthly_cost_first(tmp_path):
    preview = tmp_path / "preview.txt"
    preview.write_text(
        "Previewing update (prod):\n...\nmonthly cost: $97.40 -> $133.44 (+$36.04)\n"
    )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(
        "#!/usr/bin/env bash\n"
        f"if [ \"$1\" = api ]; then exit 0; fi\n"
        f"while [ $# -gt 0 ]; do if [ \"$1\" = --body-file ]; then cp \"$2\" {tmp_path}/body; fi;"
        " shift; done\n"
    )
    gh.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}",
           "GITHUB_REPOSITORY": "o/r", "GH_TOKEN": "x"}  # fmt: skip
    subprocess.run([str(ROOT / "scripts" / "pr-comment"), "7", "prod", str(preview)],
                   env=env, check=True, capture_output=True, timeout=30)  # fmt: skip
    body = (tmp_path / "body").read_text().splitlines()
    assert body[:4] == ["<!-- shipyard-preview:prod -->", "### Preview of `prod`", "",
                        "**monthly cost**: $97.40 -> $133.44 (+$36.04)"]  # fmt: skip


def test_a_stacks_own_assumptions_hold_unless_a_flag_says_otherwise():
    config = {"shipyard:costRequests": 5_000_000, "shipyard:costLogGb": 40}
    assert cost.Assumptions.of(config) == cost.Assumptions(
        requests_a_month=5_000_000, log_gb_a_month=40.0
    )
    assert cost.Assumptions.of(config, requests=7, nat_gb=0.5).requests_a_month == 7
    assert cost.Assumptions.of(config, requests=7, nat_gb=0.5).nat_gb_a_month == 0.5
    assert cost.Assumptions.of({}) == cost.Assumptions()


def test_the_json_prints_the_assumptions_a_flag_gave(priced, capsys):
    assert main(["cost", "prod", "--json", "--requests", "3000000", "--log-gb", "12"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["assumptions"]["requests_a_month"] == 3_000_000
    assert printed["assumptions"]["log_gb_a_month"] == 12
    waf = next(item for item in printed["items"] if item["type"] == "WAF requests")
    assert waf["quantity"] == 3_000_000


def test_a_stack_that_keeps_a_secret_value_is_priced_from_either_config(priced):
    """`pulumi config` lists secretValues decrypted, the history hides it: both price."""
    from types import SimpleNamespace

    from shipyard.cli import cost_check

    config = pulumi_mocks.stack_config("staging")
    config["shipyard:secrets"] = [*config["shipyard:secrets"], "API_KEY"]
    listed = {**config, "shipyard:secretValues": ["API_KEY=test-only-1"]}
    # As Pulumi lists config: text, with booleans and lists as JSON writes them.
    history = {key: json.dumps(value) if isinstance(value, list | bool) else str(value)
               for key, value in config.items()} | {"shipyard:secretValues": "[secret]"}
    rt = SimpleNamespace(project_dir=ROOT)
    now = cost_check._estimate(rt, "staging", listed, priced)  # type: ignore[arg-type]
    then = cost_check._estimate(
        rt, "staging", cost_check.as_stack_file(history, ROOT), priced  # type: ignore[arg-type]
    )
    assert now.total("desired") == then.total("desired") > 0
