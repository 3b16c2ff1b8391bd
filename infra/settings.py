"""Typed, validated stack settings: the only module that reads Pulumi config.

Every key is declared once in KEYS (type, default, description). Pulumi.yaml declares the same
keys and a test keeps the two equal. A stack file with problems fails with one SettingsError
that lists every problem by key and says what is allowed, before any resource exists.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_aws.ec2 import _enums as aws_ec2_enums

NAMESPACE = "shipyard"
TARGETS = ("ecs", "ec2")
EC2_INSTANCE_TYPES = frozenset(item.value for item in aws_ec2_enums.InstanceType)

# Fargate task sizes: cpu units -> the memory sizes (MiB) AWS accepts with them.
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip


class SettingsError(pulumi.RunError):
    """The stack file has problems; the message lists each with its key and what to do."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(
            f"{len(problems)} problem(s) in the stack configuration; nothing was deployed:\n"
            f"{listing}"
        )


@dataclass(frozen=True)
class Key:
    name: str
    kind: type
    default: Any
    description: str

    @property
    def path(self) -> str:
        return f"{NAMESPACE}:{self.name}"


KEYS: tuple[Key, ...] = (
    Key("target", str, "ecs", "Compute target: ecs (Fargate) or ec2 (Auto Scaling group)."),
    Key("serviceName", str, "shipyard-sample",
        "Name of the service; prefixes AWS resource names. Lowercase letters, digits, hyphens."),
    Key("containerPort", int, 8080, "Port the container listens on ($PORT inside it)."),
    Key("imageRepository", str, "",
        "ECR repository another stack of this service created, to deploy from; promotion "
        "needs the two stacks to share it. Empty: create the repository, named serviceName."),
    Key("imageDigest", str, "",
        "Pin the deployed image to this digest (sha256:...) in the stack's repository; "
        "nothing is built. Empty: build app/ and deploy what was pushed."),
    Key("environmentVariables", list, [],
        "Extra container environment, as NAME=value strings. No secrets."),
    Key("containerHealthCheck", list, ["CMD", "python3", "-m", "service.healthcheck"],
        "Container health check command (exec form). Empty list: none."),
    Key("cpu", int, 256, "Fargate task cpu units: 256, 512, 1024, 2048, 4096, 8192, 16384."),
    Key("memory", int, 512, "Fargate task memory in MiB; must suit cpu."),
    Key("instanceType", str, "t3.small", "ec2: EC2 instance type, like t3.small."),
    Key("amiId", str, "",
        "ec2: pin the AMI (ami-...). Empty: the current Amazon Linux 2023 AMI from its "
        "public SSM parameter, looked up on every run."),
    Key("rootVolumeGb", int, 20, "ec2: size of the encrypted gp3 root volume in GiB."),
    Key("instanceRefreshMinHealthyPercent", int, 100,
        "ec2: share of capacity that stays healthy during an instance refresh."),
    Key("instanceRefreshMaxHealthyPercent", int, 200,
        "ec2: capacity an instance refresh may launch up to, in percent (100-200)."),
    Key("instanceWarmup", int, 15,
        "ec2: seconds a new instance warms up before it counts as ready."),
    Key("desiredCount", int, 1, "Tasks or instances to run at deploy time."),
    Key("minCapacity", int, 1, "Autoscaling minimum."),
    Key("maxCapacity", int, 2, "Autoscaling maximum."),
    Key("scaleOnCpu", bool, True, "Target tracking on average CPU."),
    Key("cpuTargetPercent", int, 60, "Average CPU to hold, in percent."),
    Key("scaleOnMemory", bool, False, "Target tracking on average memory (ECS only)."),
    Key("memoryTargetPercent", int, 70, "Average memory to hold, in percent."),
    Key("scaleOnRequests", bool, False, "Target tracking on ALB requests per target."),
    Key("requestsPerTarget", int, 1000, "ALB requests per target per minute to hold."),
    Key("scaleInCooldown", int, 120, "Seconds after a scale-in before another scale-in."),
    Key("scaleOutCooldown", int, 30, "Seconds after a scale-out before another scale-out."),
    Key("healthCheckPath", str, "/health", "Path the load balancer probes."),
    Key("healthCheckInterval", int, 5, "Seconds between load balancer probes (5-300)."),
    Key("healthCheckTimeout", int, 2, "Seconds a probe may take (2-120, below the interval)."),
    Key("healthyThreshold", int, 2, "Consecutive passes before a target is healthy (2-10)."),
    Key("unhealthyThreshold", int, 2, "Consecutive failures before a target is unhealthy (2-10)."),
    Key("healthCheckMatcher", str, "200", "HTTP codes that pass: 200, 200-299 or 200,204."),
    Key("healthCheckGracePeriod", int, 10,
        "Seconds after a task starts before failed load balancer checks count."),
    Key("deregistrationDelay", int, 5, "Seconds the load balancer drains a target (0-3600)."),
    Key("stopTimeout", int, 10, "Seconds between SIGTERM and SIGKILL for the container (2-120)."),
    Key("useDefaultVpc", bool, False,
        "Run in the account's default VPC (public subnets only) instead of creating one."),
    Key("vpcCidr", str, "10.0.0.0/16", "CIDR of the VPC shipyard creates (/16 to /20)."),
    Key("availabilityZones", int, 2, "Zones the created VPC spans (2-6)."),
    Key("natGatewayPerZone", bool, False,
        "One NAT gateway per zone (zone-resilient egress) instead of one shared."),
    Key("certificateArn", str, "",
        "ACM certificate ARN: adds an HTTPS listener and redirects HTTP to it."),
    Key("albDeletionProtection", bool, False, "Deletion protection on the load balancer."),
    Key("logRetentionDays", int, 7, "CloudWatch log retention in days (CloudWatch's values)."),
    Key("alarmCpuPercent", int, 85, "Average CPU that raises the high-CPU alarm."),
    Key("alarm5xxPerMinute", int, 10, "Target 5xx responses per minute that raise the alarm."),
    Key("keepImages", int, 30,
        "Images the repository keeps for rollbacks (the stack that creates it)."),
    Key("protectResources", bool, False,
        "Pulumi protect on stateful resources: repository, log group, load balancer, "
        "cluster, VPC."),
)  # fmt: skip
KEYS_BY_NAME = {key.name: key for key in KEYS}


@dataclass(frozen=True)
class HealthCheckSettings:
    path: str
    interval: int
    timeout: int
    healthy_threshold: int
    unhealthy_threshold: int
    matcher: str
    grace_period: int
    deregistration_delay: int
    stop_timeout: int


@dataclass(frozen=True)
class ScalingSettings:
    desired_count: int
    min_capacity: int
    max_capacity: int
    scale_on_cpu: bool
    cpu_target_percent: int
    scale_on_memory: bool
    memory_target_percent: int
    scale_on_requests: bool
    requests_per_target: int
    scale_in_cooldown: int
    scale_out_cooldown: int


@dataclass(frozen=True)
class NetworkSettings:
    use_default_vpc: bool
    vpc_cidr: str
    availability_zones: int
    nat_gateway_per_zone: bool


@dataclass(frozen=True)
class Ec2Settings:
    instance_type: str
    ami_id: str
    root_volume_gb: int
    refresh_min_healthy_percent: int
    refresh_max_healthy_percent: int
    instance_warmup: int


@dataclass(frozen=True)
class Settings:
    environment: str
    target: str
    service_name: str
    container_port: int
    image_repository: str
    image_digest: str
    environment_variables: tuple[tuple[str, str], ...]
    container_health_check: tuple[str, ...]
    cpu: int
    memory: int
    ec2: Ec2Settings
    scaling: ScalingSettings
    health_check: HealthCheckSettings
    network: NetworkSettings
    certificate_arn: str
    alb_deletion_protection: bool
    log_retention_days: int
    alarm_cpu_percent: int
    alarm_5xx_per_minute: int
    keep_images: int
    protect_resources: bool

    @property
    def resource_prefix(self) -> str:
        return f"{self.service_name}-{self.environment}"


def _parse(key: Key, raw: Any) -> Any:
    """Convert a config value (the engine hands over strings) to the key's type."""
    if key.kind is str:
        return str(raw)
    if key.kind is bool:
        if isinstance(raw, bool):
            return raw
        if str(raw).lower() in ("true", "false"):
            return str(raw).lower() == "true"
        raise ValueError(f"{raw!r} is not a boolean; use true or false")
    if key.kind is int:
        if isinstance(raw, bool):
            raise ValueError(f"{raw!r} is not a whole number")
        try:
            return int(str(raw))
        except ValueError:
            raise ValueError(f"{raw!r} is not a whole number") from None
    not_a_list = ValueError(f'{raw!r} is not a list of strings; write it as ["A", "B"]')
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        raise not_a_list from None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise not_a_list
    return value


Check = Callable[[dict[str, Any]], str | None]


def _between(name: str, low: int, high: int) -> Check:
    def check(values: dict[str, Any]) -> str | None:
        if not low <= values[name] <= high:
            return f"{KEYS_BY_NAME[name].path}: {values[name]} is out of range; use {low} to {high}"
        return None

    return check


def _for_target(target: str, check: Check) -> Check:
    """A check that applies only when the stack runs on `target`."""

    def scoped(values: dict[str, Any]) -> str | None:
        return check(values) if values["target"] == target else None

    return scoped


def _fargate_size(values: dict[str, Any]) -> str | None:
    cpu, memory = values["cpu"], values["memory"]
    if cpu not in FARGATE_SIZES:
        sizes = ", ".join(str(size) for size in FARGATE_SIZES)
        return f"{NAMESPACE}:cpu: {cpu} is not a Fargate size; use {sizes}"
    allowed = FARGATE_SIZES[cpu]
    if memory not in allowed:
        return f"{NAMESPACE}:memory: {memory} MiB does not go with cpu {cpu}; use {_sizes(allowed)}"
    return None


def _sizes(allowed: tuple[int, ...]) -> str:
    if len(allowed) <= 3:
        return ", ".join(map(str, allowed))
    return f"{allowed[0]} to {allowed[-1]} in steps of {allowed[1] - allowed[0]}"


def _instance_type(values: dict[str, Any]) -> str | None:
    name = values["instanceType"]
    if name in EC2_INSTANCE_TYPES:
        return None
    close = difflib.get_close_matches(name, EC2_INSTANCE_TYPES, n=3)
    hint = f"; did you mean {', '.join(sorted(close))}?" if close else "; use a name like t3.small"
    return f"{NAMESPACE}:instanceType: {name!r} is not an EC2 instance type{hint}"


def _no_memory_scaling(values: dict[str, Any]) -> str | None:
    if values["scaleOnMemory"]:
        return (
            f"{NAMESPACE}:scaleOnMemory: EC2 Auto Scaling has no memory metric of its own; "
            "set it to false, or use scaleOnCpu / scaleOnRequests"
        )
    return None


def _refresh_keeps_capacity(values: dict[str, Any]) -> str | None:
    """An instance refresh must be able to replace at least one instance at a time."""
    low, high = (
        values["instanceRefreshMinHealthyPercent"],
        values["instanceRefreshMaxHealthyPercent"],
    )
    desired = max(values["desiredCount"], values["minCapacity"], 1)
    if values["minCapacity"] < 1:
        return (
            f"{NAMESPACE}:minCapacity: 0 leaves the load balancer without instances; "
            "use at least 1 with target ec2"
        )
    if high - low > 100:
        return (
            f"{NAMESPACE}:instanceRefreshMaxHealthyPercent: {high} is more than 100 above "
            f"instanceRefreshMinHealthyPercent {low}; AWS allows a spread of at most 100"
        )
    if high == 100 and desired * (100 - low) // 100 < 1:
        return (
            f"{NAMESPACE}:instanceRefreshMinHealthyPercent: {low}% of {desired} instance(s) "
            "with instanceRefreshMaxHealthyPercent 100 leaves no instance free to replace; "
            "raise instanceRefreshMaxHealthyPercent (e.g. 200) or lower the minimum"
        )
    return None


def _capacity(values: dict[str, Any]) -> str | None:
    low, high, desired = values["minCapacity"], values["maxCapacity"], values["desiredCount"]
    if low > high:
        return (
            f"{NAMESPACE}:minCapacity: {low} is above {NAMESPACE}:maxCapacity {high}; "
            "lower the minimum or raise the maximum"
        )
    if not low <= desired <= high:
        return (
            f"{NAMESPACE}:desiredCount: {desired} is outside minCapacity..maxCapacity "
            f"({low}..{high}); choose a count in that range"
        )
    return None


def _matches(name: str, pattern: str, advice: str, allow_empty: bool = False) -> Check:
    def check(values: dict[str, Any]) -> str | None:
        value = values[name]
        if allow_empty and value == "":
            return None
        if not re.fullmatch(pattern, value):
            return f"{KEYS_BY_NAME[name].path}: {value!r} {advice}"
        return None

    return check


def _one_of(name: str, allowed: tuple[Any, ...]) -> Check:
    def check(values: dict[str, Any]) -> str | None:
        if values[name] not in allowed:
            listing = ", ".join(str(item) for item in allowed)
            return f"{KEYS_BY_NAME[name].path}: {values[name]!r} is not allowed; use {listing}"
        return None

    return check


def _timeout_below_interval(values: dict[str, Any]) -> str | None:
    if values["healthCheckTimeout"] >= values["healthCheckInterval"]:
        return (
            f"{NAMESPACE}:healthCheckTimeout: {values['healthCheckTimeout']} s must be shorter "
            f"than {NAMESPACE}:healthCheckInterval ({values['healthCheckInterval']} s)"
        )
    return None


def _vpc_cidr(values: dict[str, Any]) -> str | None:
    try:
        network = ipaddress.IPv4Network(values["vpcCidr"])
    except ValueError:
        return f"{NAMESPACE}:vpcCidr: {values['vpcCidr']!r} is not a CIDR block like 10.0.0.0/16"
    if not 16 <= network.prefixlen <= 20:
        return f"{NAMESPACE}:vpcCidr: /{network.prefixlen} is out of range; use /16 to /20"
    return None


def _environment_variables(values: dict[str, Any]) -> str | None:
    reserved = {"PORT", "APP_ENVIRONMENT"}
    for entry in values["environmentVariables"]:
        name, separator, _ = entry.partition("=")
        if not separator or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            return (
                f"{NAMESPACE}:environmentVariables: {entry!r} is not NAME=value "
                "(NAME: letters, digits, underscores)"
            )
        if name in reserved:
            return f"{NAMESPACE}:environmentVariables: {name} is set by shipyard; remove it"
    return None


def _health_command(values: dict[str, Any]) -> str | None:
    command = values["containerHealthCheck"]
    if command and command[0] not in ("CMD", "CMD-SHELL"):
        return (
            f"{NAMESPACE}:containerHealthCheck: must start with CMD or CMD-SHELL, like "
            '["CMD", "python3", "-m", "service.healthcheck"]'
        )
    return None


def _some_scaling_metric(values: dict[str, Any]) -> str | None:
    switches = ("scaleOnCpu", "scaleOnMemory", "scaleOnRequests")
    if values["maxCapacity"] > values["minCapacity"] and not any(values[s] for s in switches):
        return (
            f"{NAMESPACE}:maxCapacity: {values['maxCapacity']} leaves room to scale but no "
            f"metric is on; set one of {', '.join(switches)} to true, or maxCapacity to "
            "minCapacity"
        )
    return None


CHECKS: tuple[Check, ...] = (
    _one_of("target", TARGETS),
    _matches("serviceName", r"[a-z][a-z0-9-]{0,19}",
             "is not a valid name; use 1-20 lowercase letters, digits and hyphens, "
             "starting with a letter"),
    _between("containerPort", 1, 65535),
    _matches("imageDigest", r"sha256:[0-9a-f]{64}",
             "is not an image digest; use sha256: followed by 64 hex digits, or leave it empty "
             "to build", allow_empty=True),
    _matches("imageRepository", r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*",
             "is not an ECR repository name (lowercase letters, digits, . _ - /)",
             allow_empty=True),
    _environment_variables,
    _health_command,
    _for_target("ecs", _fargate_size),
    _for_target("ec2", _instance_type),
    _for_target("ec2", _no_memory_scaling),
    _for_target("ec2", _refresh_keeps_capacity),
    _matches("amiId", r"ami-[0-9a-f]{8,17}", "is not an AMI ID like ami-0abcdef1234567890",
             allow_empty=True),
    _between("rootVolumeGb", 8, 16384),
    _between("instanceRefreshMinHealthyPercent", 0, 100),
    _between("instanceRefreshMaxHealthyPercent", 100, 200),
    _between("instanceWarmup", 0, 3600),
    _between("desiredCount", 0, 1000),
    _between("minCapacity", 0, 1000),
    _between("maxCapacity", 1, 1000),
    _capacity,
    _some_scaling_metric,
    _between("cpuTargetPercent", 10, 95),
    _between("memoryTargetPercent", 10, 95),
    _between("requestsPerTarget", 1, 1_000_000),
    _between("scaleInCooldown", 0, 3600),
    _between("scaleOutCooldown", 0, 3600),
    _matches("healthCheckPath", r"/[\x21-\x7e]{0,1023}",
             "must start with / and have no spaces, like /health"),
    _between("healthCheckInterval", 5, 300),
    _between("healthCheckTimeout", 2, 120),
    _timeout_below_interval,
    _between("healthyThreshold", 2, 10),
    _between("unhealthyThreshold", 2, 10),
    _matches("healthCheckMatcher", r"[1-5]\d\d(-[1-5]\d\d|(,[1-5]\d\d)*)",
             "is not an HTTP code matcher; use 200, 200-299 or 200,204"),
    _between("healthCheckGracePeriod", 0, 7200),
    _between("deregistrationDelay", 0, 3600),
    _between("stopTimeout", 2, 120),
    _vpc_cidr,
    _between("availabilityZones", 2, 6),
    _matches("certificateArn", r"arn:aws[\w-]*:acm:[a-z0-9-]+:\d{12}:certificate/[\w-]+",
             "is not an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)",
             allow_empty=True),
    _one_of("logRetentionDays", LOG_RETENTION_DAYS),
    _between("alarmCpuPercent", 1, 100),
    _between("alarm5xxPerMinute", 1, 100_000),
    _between("keepImages", 1, 1000),
)  # fmt: skip


def parse_settings(environment: str, raw_config: Mapping[str, Any]) -> Settings:
    """Build Settings from `shipyard:*` config values; raise SettingsError listing all problems."""
    problems: list[str] = []
    values: dict[str, Any] = {}
    unparsed: set[str] = set()
    for full_key in sorted(raw_config):
        namespace, _, name = full_key.partition(":")
        if namespace == NAMESPACE and name not in KEYS_BY_NAME:
            close = difflib.get_close_matches(name, KEYS_BY_NAME, n=1)
            hint = f"; did you mean {NAMESPACE}:{close[0]}?" if close else ""
            problems.append(f"{full_key}: unknown key{hint} (see the README's configuration list)")
    for key in KEYS:
        raw = raw_config.get(key.path)
        if raw is None:
            values[key.name] = key.default
            continue
        try:
            values[key.name] = _parse(key, raw)
        except ValueError as error:
            problems.append(f"{key.path}: {error}")
            unparsed.add(key.path)
            # The default stands in so the other checks still run and report their problems.
            values[key.name] = key.default
    for check in CHECKS:
        problem = check(values)
        if problem and problem.split(": ", 1)[0] not in unparsed:
            problems.append(problem)
    if problems:
        raise SettingsError(problems)
    return _build(environment, values)


def _build(environment: str, v: dict[str, Any]) -> Settings:
    return Settings(
        environment=environment,
        target=v["target"],
        service_name=v["serviceName"],
        container_port=v["containerPort"],
        image_repository=v["imageRepository"],
        image_digest=v["imageDigest"],
        environment_variables=tuple(
            tuple(entry.split("=", 1)) for entry in v["environmentVariables"]
        ),
        container_health_check=tuple(v["containerHealthCheck"]),
        cpu=v["cpu"],
        memory=v["memory"],
        ec2=Ec2Settings(
            instance_type=v["instanceType"],
            ami_id=v["amiId"],
            root_volume_gb=v["rootVolumeGb"],
            refresh_min_healthy_percent=v["instanceRefreshMinHealthyPercent"],
            refresh_max_healthy_percent=v["instanceRefreshMaxHealthyPercent"],
            instance_warmup=v["instanceWarmup"],
        ),
        scaling=ScalingSettings(
            desired_count=v["desiredCount"],
            min_capacity=v["minCapacity"],
            max_capacity=v["maxCapacity"],
            scale_on_cpu=v["scaleOnCpu"],
            cpu_target_percent=v["cpuTargetPercent"],
            scale_on_memory=v["scaleOnMemory"],
            memory_target_percent=v["memoryTargetPercent"],
            scale_on_requests=v["scaleOnRequests"],
            requests_per_target=v["requestsPerTarget"],
            scale_in_cooldown=v["scaleInCooldown"],
            scale_out_cooldown=v["scaleOutCooldown"],
        ),
        health_check=HealthCheckSettings(
            path=v["healthCheckPath"],
            interval=v["healthCheckInterval"],
            timeout=v["healthCheckTimeout"],
            healthy_threshold=v["healthyThreshold"],
            unhealthy_threshold=v["unhealthyThreshold"],
            matcher=v["healthCheckMatcher"],
            grace_period=v["healthCheckGracePeriod"],
            deregistration_delay=v["deregistrationDelay"],
            stop_timeout=v["stopTimeout"],
        ),
        network=NetworkSettings(
            use_default_vpc=v["useDefaultVpc"],
            vpc_cidr=v["vpcCidr"],
            availability_zones=v["availabilityZones"],
            nat_gateway_per_zone=v["natGatewayPerZone"],
        ),
        certificate_arn=v["certificateArn"],
        alb_deletion_protection=v["albDeletionProtection"],
        log_retention_days=v["logRetentionDays"],
        alarm_cpu_percent=v["alarmCpuPercent"],
        alarm_5xx_per_minute=v["alarm5xxPerMinute"],
        keep_images=v["keepImages"],
        protect_resources=v["protectResources"],
    )


def load_settings() -> Settings:
    """Read this stack's config from the Pulumi runtime and validate it."""
    from pulumi.runtime import config as runtime_config

    # Explicitly set config and the engine's PULUMI_CONFIG bag, so typos in either are seen.
    raw = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return parse_settings(pulumi.get_stack(), raw)
