"""`shipyard cost ENV`: what an environment costs a month, from the program evaluated
offline (no AWS credentials, no Pulumi CLI) and the price snapshot (prices.py).

Every billed resource the stack registers is one line: what it is, the quantity a month,
the unit price and the amount. What scales with the service (tasks or instances) is priced
at the minimum, desired and maximum count. Usage-driven items (requests, data through NAT,
log volume) come from stated assumptions, always printed, which flags override.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from shipyard.cli import offline, prices
from shipyard.cli.offline import Evaluation, Registered
from shipyard.cli.prices import Snapshot
from shipyard.config.secret_references import SECRETS_MANAGER, parse_entry
from shipyard.config.stack_files import stack_names
from shipyard.errors import OK, UserError, require_known_environments

HOURS_A_MONTH = 730  # AWS's own convention: 24 hours, 365 days, 12 months


@dataclass(frozen=True)
class Assumptions:
    """Usage shipyard cannot know before the service runs."""

    requests_a_month: int = 1_000_000
    nat_gb_a_month: float = 10.0  # data the NAT gateways process (image pulls, egress)
    log_gb_a_month: float = 5.0
    access_log_gb: float = 5.0  # the load balancer's access logs kept in S3
    load_balancer_lcus: float = 1.0  # ALB capacity units, on average
    image_gb: float = 5.0  # the service stack: images kept in the repository

    @classmethod
    def of(
        cls,
        config: Mapping[str, Any],
        requests: int | None = None,
        nat_gb: float | None = None,
        log_gb: float | None = None,
    ) -> Assumptions:
        """The stack's own (costRequests, costNatGb, costLogGb), unless a flag says."""

        def given(key: str, flag: float | None, default: float) -> float:
            if flag is not None:
                return flag
            value = config.get(f"shipyard:{key}")
            return default if value in (None, "") else float(value)

        return cls(
            requests_a_month=int(given("costRequests", requests, cls.requests_a_month)),
            nat_gb_a_month=given("costNatGb", nat_gb, cls.nat_gb_a_month),
            log_gb_a_month=given("costLogGb", log_gb, cls.log_gb_a_month),
        )


@dataclass(frozen=True)
class Item:
    resource: str
    type: str
    quantity: float  # a month; per task or instance where `per_unit`
    unit: str
    unit_usd: float
    per_unit: bool = False  # scales with the running tasks or instances

    def monthly(self, count: int) -> float:
        return self.quantity * self.unit_usd * (count if self.per_unit else 1)


@dataclass(frozen=True)
class Estimate:
    stack: str
    region: str
    counts: dict[str, int]  # min, desired, max tasks or instances
    items: list[Item]
    free: list[str]
    assumptions: Assumptions
    prices_as_of: str
    prices_source: str
    currency: str = "USD"
    notes: list[str] = field(default_factory=list)

    def total(self, which: str) -> float:
        return round(sum(item.monthly(self.counts[which]) for item in self.items), 2)

    def as_json(self) -> dict[str, Any]:
        desired = self.counts["desired"]
        return {
            "stack": self.stack,
            "region": self.region,
            "currency": self.currency,
            "monthly_usd": {which: self.total(which) for which in ("min", "desired", "max")},
            "items": [
                {
                    "resource": item.resource,
                    "type": item.type,
                    "quantity": round(item.quantity * (desired if item.per_unit else 1), 6),
                    "unit": item.unit,
                    "unit_usd": item.unit_usd,
                    "monthly_usd": round(item.monthly(desired), 2),
                }
                for item in self.items
            ],
            "free": self.free,
            "notes": self.notes,
            "assumptions": asdict(self.assumptions),
            "prices_as_of": self.prices_as_of,
            "prices_source": self.prices_source,
        }


BILLED_TYPES = {
    "aws:ecs/taskDefinition:TaskDefinition", "aws:ecs/service:Service",
    "aws:appautoscaling/target:Target", "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:autoscaling/group:Group", "aws:lb/loadBalancer:LoadBalancer",
    "aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip", "aws:wafv2/webAcl:WebAcl",
    "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/logGroup:LogGroup",
    "aws:kms/key:Key", "aws:s3/bucketV2:BucketV2", "aws:s3/bucket:Bucket",
    "aws:route53/record:Record", "aws:ecr/repository:Repository",
}  # fmt: skip


def estimate(
    evaluation: Evaluation, snapshot: Snapshot, assumptions: Assumptions = Assumptions()
) -> Estimate:
    """Price what the program registered, with the config it was given (Pulumi.yaml's
    defaults merged in, as the engine gives it)."""
    config = evaluation.config
    region = str(config.get("aws:region") or "us-east-1")

    def price(key: str) -> tuple[float, str]:
        found = snapshot.price(region, key)
        return found.usd, found.unit

    def item(resource: str, what: str, quantity: float, key: str, per_unit: bool = False) -> Item:
        usd, unit = price(key)
        return Item(resource, what, quantity, unit, usd, per_unit)

    of = evaluation.of_type
    items: list[Item] = []
    counts = {"min": 1, "desired": 1, "max": 1}
    for task in of("aws:ecs/taskDefinition:TaskDefinition"):
        vcpu, gb = int(task.inputs["cpu"]) / 1024, int(task.inputs["memory"]) / 1024
        items += [
            item(task.name, f"Fargate vCPU ({vcpu:g} a task)", vcpu * HOURS_A_MONTH,
                 "fargate-vcpu-hour", per_unit=True),
            item(task.name, f"Fargate memory ({gb:g} GB a task)", gb * HOURS_A_MONTH,
                 "fargate-gb-hour", per_unit=True),
        ]  # fmt: skip
    for service in of("aws:ecs/service:Service"):
        desired = service.inputs.get("desiredCount")
        counts["desired"] = 1 if desired is None else int(desired)  # 0 is a count too
        network = service.inputs.get("networkConfiguration") or {}
        if network.get("assignPublicIp"):
            items.append(item(service.name, "public IPv4 address of each task", HOURS_A_MONTH,
                              "public-ipv4-hour", per_unit=True))  # fmt: skip
    for target in of("aws:appautoscaling/target:Target"):
        counts["min"], counts["max"] = int(target.inputs["minCapacity"]), int(
            target.inputs["maxCapacity"]
        )
    for template in of("aws:ec2/launchTemplate:LaunchTemplate"):
        kind = template.inputs["instanceType"]
        items.append(item(template.name, f"EC2 {kind} instance", HOURS_A_MONTH, f"ec2:{kind}",
                          per_unit=True))  # fmt: skip
        for mapping in template.inputs.get("blockDeviceMappings") or []:
            size = float((mapping.get("ebs") or {}).get("volumeSize") or 0)
            items.append(item(template.name, f"EBS gp3 volume ({size:g} GB an instance)", size,
                              "ebs-gp3-gb-month", per_unit=True))  # fmt: skip
        for interface in template.inputs.get("networkInterfaces") or []:
            if str(interface.get("associatePublicIpAddress")).lower() == "true":
                items.append(item(template.name, "public IPv4 address of each instance",
                                  HOURS_A_MONTH, "public-ipv4-hour", per_unit=True))  # fmt: skip
    for group in of("aws:autoscaling/group:Group"):
        counts = {
            "min": int(group.inputs["minSize"]),
            "desired": int(group.inputs.get("desiredCapacity") or group.inputs["minSize"]),
            "max": int(group.inputs["maxSize"]),
        }
    items += _shared(evaluation, config, assumptions, item)
    counts["min"] = min(counts["min"], counts["desired"])
    counts["max"] = max(counts["max"], counts["desired"])
    free = sorted({record.type for record in evaluation.resources.values()
                   if record.type not in BILLED_TYPES and not record.type.startswith("shipyard:")})
    return Estimate(
        stack=evaluation.stack, region=region, counts=counts, items=items, free=free,
        assumptions=assumptions, prices_as_of=snapshot.as_of, prices_source=snapshot.source,
        notes=_left_out(evaluation, config),
    )  # fmt: skip


def _left_out(evaluation: Evaluation, config: Mapping[str, Any]) -> list[str]:
    """What the estimate cannot know from the program alone, said beside it."""
    notes = []
    service_groups = _service_log_groups(evaluation)
    others = len(evaluation.of_type("aws:cloudwatch/logGroup:LogGroup")) - len(service_groups)
    if others:
        notes.append(
            f"{others} more log group(s) (VPC flow logs, WAF logs) are not priced: their "
            "volume follows traffic, and CloudWatch bills them as vended logs, per GB in tiers"
        )
    if str(config.get("shipyard:useDefaultVpc")).lower() == "true":
        notes.append(
            "the load balancer has a public IPv4 address in each default subnet it uses, one "
            "per zone of the region; this estimate counts the subnets the offline evaluation "
            "gives it, not your account's"
        )
    return notes


def _shared(
    evaluation: Evaluation, config: Mapping[str, Any], assumptions: Assumptions, item: Any
) -> list[Item]:
    """What does not scale with the service: the load balancer, NAT, WAF, alarms, logs,
    secrets, keys, storage and DNS."""
    of = evaluation.of_type
    items: list[Item] = []
    for balancer in of("aws:lb/loadBalancer:LoadBalancer"):
        zones = len(balancer.inputs.get("subnets") or [])
        lcus = assumptions.load_balancer_lcus
        items += [
            item(balancer.name, "Application Load Balancer", HOURS_A_MONTH, "alb-hour"),
            item(balancer.name, f"load balancer capacity units ({lcus:g})",
                 lcus * HOURS_A_MONTH, "alb-lcu-hour"),
            item(balancer.name, f"public IPv4 addresses of the load balancer ({zones} zones)",
                 zones * HOURS_A_MONTH, "public-ipv4-hour"),
        ]  # fmt: skip
    gateways = of("aws:ec2/natGateway:NatGateway")
    for gateway in gateways:
        items.append(item(gateway.name, "NAT gateway", HOURS_A_MONTH, "nat-hour"))
    if gateways:
        items.append(item("NAT gateways", "data processed by NAT", assumptions.nat_gb_a_month,
                          "nat-gb"))  # fmt: skip
    for address in of("aws:ec2/eip:Eip"):
        items.append(item(address.name, "Elastic IP address", HOURS_A_MONTH, "public-ipv4-hour"))
    for acl in of("aws:wafv2/webAcl:WebAcl"):
        rules = len(acl.inputs.get("rules") or [])
        items += [
            item(acl.name, "WAF web ACL", 1, "waf-web-acl-month"),
            item(acl.name, f"WAF rules ({rules})", rules, "waf-rule-month"),
            item(acl.name, "WAF requests", assumptions.requests_a_month, "waf-request"),
        ]
    alarms = of("aws:cloudwatch/metricAlarm:MetricAlarm")
    if alarms:
        items.append(item("alarms", f"CloudWatch alarms ({len(alarms)})", len(alarms),
                          "cw-alarm-month"))  # fmt: skip
    for group in _service_log_groups(evaluation):
        months = min(int(group.inputs.get("retentionInDays") or 30), 3653) / 30
        items += [
            item(group.name, "log ingestion", assumptions.log_gb_a_month, "cw-logs-ingest-gb"),
            item(group.name, f"log storage ({months:g} months kept)",
                 assumptions.log_gb_a_month * months, "cw-logs-storage-gb-month"),
        ]  # fmt: skip
    secrets = _secrets_manager_secrets(evaluation.stack, config)
    if secrets:
        items.append(item("secrets", f"Secrets Manager secrets ({secrets})", secrets,
                          "secret-month"))  # fmt: skip
    for key in of("aws:kms/key:Key"):
        items.append(item(key.name, "KMS key", 1, "kms-key-month"))
    for bucket in [*of("aws:s3/bucketV2:BucketV2"), *of("aws:s3/bucket:Bucket")]:
        items.append(item(bucket.name, "S3 storage (access logs)", assumptions.access_log_gb,
                          "s3-standard-gb-month"))  # fmt: skip
    items += _dns_queries(of("aws:route53/record:Record"), assumptions, item)
    for repository in of("aws:ecr/repository:Repository"):
        items.append(item(repository.name, "ECR image storage", assumptions.image_gb,
                          "ecr-gb-month"))  # fmt: skip
    return items


def _dns_queries(records: list[Registered], assumptions: Assumptions, item: Any) -> list[Item]:
    """Route 53 charges nothing for queries to an alias of a load balancer, which is how the
    service's name points at it; the certificate's validation record is asked by ACM alone."""
    items = []
    for record in records:
        if record.inputs.get("aliases"):
            items.append(Item(record.name, "Route 53 queries to an alias of the load balancer "
                              "(free)", assumptions.requests_a_month, "Queries", 0.0))  # fmt: skip
        elif record.parent_type != "shipyard:index:DomainCertificate":
            items.append(item(record.name, "Route 53 queries", assumptions.requests_a_month,
                              "route53-query"))  # fmt: skip
    return items


def _service_log_groups(evaluation: Evaluation) -> list[Registered]:
    """The service's own log group (the program's logGroupName output): the log assumption
    is its volume. Flow logs and WAF logs follow traffic, not the service, and are left out
    (the estimate says so)."""
    name = evaluation.outputs.get("logGroupName")
    return [group for group in evaluation.of_type("aws:cloudwatch/logGroup:LogGroup")
            if name and group.inputs.get("name") == name]  # fmt: skip


def _secrets_manager_secrets(stack: str, config: Mapping[str, Any]) -> int:
    entries = config.get("shipyard:secrets") or []
    if isinstance(entries, str):
        entries = json.loads(entries)
    service = str(config["shipyard:serviceName"])
    names = set()
    for entry in entries:
        try:
            reference = parse_entry(str(entry), service, stack)
        except ValueError:
            continue
        if reference.kind == SECRETS_MANAGER:
            names.add(reference.name)
    return len(names)


def report(
    project_dir: Path,
    env: str,
    console: Console,
    as_json: bool,
    flags: Mapping[str, float | None],
    snapshot_path: Path | None = None,
) -> int:
    """Evaluate the stack offline, price it, and print the estimate. `flags`: the
    assumptions given for this run (requests, nat_gb, log_gb), None where not given."""
    require_known_environments([env], stack_names(project_dir))
    snapshot = prices.load(snapshot_path)
    try:
        evaluation = offline.evaluate(env, project_dir=project_dir)
    except Exception as error:  # the program's own refusal, whatever its class
        raise UserError(
            f"{env} does not evaluate, so it cannot be priced; `shipyard validate {env}` "
            f"says why ({str(error).splitlines()[0]})"
        ) from None
    requests = flags.get("requests")
    assumptions = Assumptions.of(
        evaluation.config, None if requests is None else int(requests), flags.get("nat_gb"),
        flags.get("log_gb"),
    )  # fmt: skip
    found = estimate(evaluation, snapshot, assumptions)
    if as_json:
        console.out(json.dumps(found.as_json(), indent=2), highlight=False)
        return OK
    table = Table(title=f"{env} ({found.region}), a month in USD", title_justify="left")
    for column in ("resource", "what", "quantity", "unit", "unit price", "monthly"):
        table.add_column(column, justify="right" if column in ("quantity", "unit price",
                                                                "monthly") else "left")  # fmt: skip
    desired = found.counts["desired"]
    for item in found.items:
        quantity = item.quantity * (desired if item.per_unit else 1)
        table.add_row(item.resource, item.type, f"{quantity:,.2f}", item.unit,
                      f"{item.unit_usd:.6g}", f"{item.monthly(desired):,.2f}")  # fmt: skip
    console.print(table)
    counts = found.counts
    console.print(
        f"total: ${found.total('desired'):,.2f} a month at {counts['desired']} running; "
        f"${found.total('min'):,.2f} at the minimum ({counts['min']}), "
        f"${found.total('max'):,.2f} at the maximum ({counts['max']}), which bounds it",
        highlight=False,
    )
    console.print(f"free: {', '.join(found.free)}", highlight=False)
    for note in found.notes:
        console.print(f"not priced: {note}", highlight=False)
    console.print(
        "assumptions: " + ", ".join(f"{k}={v:g}" for k, v in asdict(found.assumptions).items()),
        highlight=False,
    )
    console.print(f"prices as of {found.prices_as_of} ({found.prices_source})", highlight=False)
    return OK
