"""The rules an environment stack's settings follow: AWS's limits, and the combinations
that would break later."""

from __future__ import annotations

import difflib
import ipaddress
import json
import re

from shipyard.config import aws_limits, naming
from shipyard.config.applicability import keys_that_do_nothing
from shipyard.config.checks import (
    STACK_NAME,
    Check,
    Problems,
    Values,
    between,
    for_target,
    matches,
    one_of,
)
from shipyard.config.container_contract import CONTAINER_NAME
from shipyard.config.edge_checks import EDGE_CHECKS
from shipyard.config.keys import path
from shipyard.config.model import DIGEST
from shipyard.config.secret_checks import SECRET_CHECKS
from shipyard.config.secret_references import VARIABLE_NAME
from shipyard.config.strategy_checks import STRATEGY_CHECKS
from shipyard.config.variables import RESERVED_VARIABLES


def fargate_size(values: Values) -> Problems:
    cpu, memory = values["cpu"], values["memory"]
    if cpu not in aws_limits.FARGATE_SIZES:
        sizes = ", ".join(str(size) for size in aws_limits.FARGATE_SIZES)
        return f"{path('cpu')}: {cpu} is not a Fargate size; use {sizes}"
    allowed = aws_limits.FARGATE_SIZES[cpu]
    if memory not in allowed:
        return f"{path('memory')}: {memory} MiB does not go with cpu {cpu}; use {_sizes(allowed)}"
    return None


def _sizes(allowed: tuple[int, ...]) -> str:
    if len(allowed) <= 3:
        return ", ".join(map(str, allowed))
    return f"{allowed[0]} to {allowed[-1]} in steps of {allowed[1] - allowed[0]}"


def instance_type(values: Values) -> Problems:
    name = values["instanceType"]
    if name not in aws_limits.EC2_INSTANCE_TYPES:
        close = difflib.get_close_matches(name, aws_limits.EC2_INSTANCE_TYPES, n=3)
        hint = (
            f"; did you mean {', '.join(sorted(close))}?" if close else "; use a name like t3.small"
        )
        return f"{path('instanceType')}: {name!r} is not an EC2 instance type{hint}"
    architecture = aws_limits.instance_architecture(name)
    if architecture == "mac":
        return (
            f"{path('instanceType')}: {name} is a Mac instance (macOS on a dedicated host); "
            "shipyard runs Amazon Linux on x86_64, so use a type like t3.small or m7i.large"
        )
    if architecture == "arm64":
        return (
            f"{path('instanceType')}: {name} is an arm64 (Graviton) type, but the AMI is "
            "x86_64 and the image is built for linux/amd64; use an x86_64 type like t3.small "
            "or m7i.large"
        )
    return None


def no_memory_scaling(values: Values) -> Problems:
    if values["scaleOnMemory"]:
        return (
            f"{path('scaleOnMemory')}: EC2 Auto Scaling has no memory metric of its own; "
            "set it to false, or use scaleOnCpu / scaleOnRequests"
        )
    return None


def refresh_keeps_capacity(values: Values) -> Problems:
    """An instance refresh must be able to replace at least one instance at a time."""
    low, high = (
        values["instanceRefreshMinHealthyPercent"],
        values["instanceRefreshMaxHealthyPercent"],
    )
    desired = max(values["desiredCount"], values["minCapacity"], 1)
    if high - low > 100:
        return (
            f"{path('instanceRefreshMaxHealthyPercent')}: {high} is more than 100 above "
            f"instanceRefreshMinHealthyPercent {low}; AWS allows a spread of at most 100"
        )
    if high == 100 and desired * (100 - low) // 100 < 1:
        return (
            f"{path('instanceRefreshMinHealthyPercent')}: {low}% of {desired} instance(s) "
            "with instanceRefreshMaxHealthyPercent 100 leaves no instance free to replace; "
            "raise instanceRefreshMaxHealthyPercent (e.g. 200) or lower the minimum"
        )
    return None


def capacity(values: Values) -> Problems:
    low, high, desired = values["minCapacity"], values["maxCapacity"], values["desiredCount"]
    if low > high:
        return (
            f"{path('minCapacity')}: {low} is above {path('maxCapacity')} {high}; "
            "lower the minimum or raise the maximum"
        )
    if not low <= desired <= high:
        return (
            f"{path('desiredCount')}: {desired} is outside minCapacity..maxCapacity "
            f"({low}..{high}); choose a count in that range"
        )
    return None


def timeout_below_interval(values: Values) -> Problems:
    if values["healthCheckTimeout"] >= values["healthCheckInterval"]:
        return (
            f"{path('healthCheckTimeout')}: {values['healthCheckTimeout']} s must be shorter "
            f"than {path('healthCheckInterval')} ({values['healthCheckInterval']} s)"
        )
    return None


def vpc_cidr(values: Values) -> Problems:
    try:
        network = ipaddress.IPv4Network(values["vpcCidr"])
    except ValueError:
        return f"{path('vpcCidr')}: {values['vpcCidr']!r} is not a CIDR block like 10.0.0.0/16"
    if not 16 <= network.prefixlen <= 20:
        return f"{path('vpcCidr')}: /{network.prefixlen} is out of range; use /16 to /20"
    return None


def environment_variables(values: Values) -> Problems:
    problems, seen = [], set()
    for entry in values["environmentVariables"]:
        name, separator, _ = entry.partition("=")
        if not separator or not VARIABLE_NAME.fullmatch(name):
            problems.append(
                f"{path('environmentVariables')}: {entry!r} is not NAME=value "
                "(NAME: letters, digits, underscores)"
            )
        elif name in RESERVED_VARIABLES:
            problems.append(f"{path('environmentVariables')}: {name} is set by shipyard; remove it")
        elif name in seen:
            problems.append(
                f"{path('environmentVariables')}: {name} is set twice; the container would get "
                "only one of the values, so keep one"
            )
        seen.add(name)
    return problems


def health_check_matcher(values: Values) -> Problems:
    matcher = values["healthCheckMatcher"]
    if not re.fullmatch(r"\d{3}(?:-\d{3}|(?:,\d{3})*)", matcher):
        return (
            f"{path('healthCheckMatcher')}: {matcher!r} is not an HTTP code matcher; use 200, "
            "200-299 or 200,204"
        )
    codes = [int(code) for code in re.split("[-,]", matcher)]
    outside = [code for code in codes if code not in aws_limits.ALB_MATCHER_CODES]
    if outside:
        return (
            f"{path('healthCheckMatcher')}: {', '.join(map(str, outside))} cannot mark a "
            "target healthy; a load balancer accepts codes 200 to 499"
        )
    if "-" in matcher and codes[0] >= codes[1]:
        return (
            f"{path('healthCheckMatcher')}: the range {matcher} must run from low to high, "
            f"like {codes[1]}-{codes[0]}"
        )
    if len(set(codes)) != len(codes):
        return f"{path('healthCheckMatcher')}: {matcher} lists a code twice; list each once"
    return None


def cpu_alarm_above_target(values: Values) -> Problems:
    alarm, target = values["alarmCpuPercent"], values["cpuTargetPercent"]
    if values["scaleOnCpu"] and alarm <= target:
        return (
            f"{path('alarmCpuPercent')}: {alarm}% is at or below cpuTargetPercent ({target}%), "
            "where scaling holds the CPU; this alarm rolls deployments back, so it would sit in "
            f"ALARM and fail every deploy. Set it above the target, like {min(100, target + 20)}"
        )
    return None


def scale_from_zero(values: Values) -> Problems:
    if values["minCapacity"] == 0:
        return (
            f"{path('minCapacity')}: with 0 running there is no CPU, memory or per-target "
            "request metric, so nothing could scale the service out again; use at least 1"
        )
    return None


def docker_bridge(values: Values) -> Problems:
    """On an EC2 host, Docker's bridge takes 172.17.0.0/16: VPC addresses there are unreachable."""
    if values["useDefaultVpc"]:
        return None
    try:
        network = ipaddress.IPv4Network(values["vpcCidr"])
    except ValueError:
        return None  # vpc_cidr says why
    if network.overlaps(ipaddress.IPv4Network(aws_limits.DOCKER_BRIDGE)):
        return (
            f"{path('vpcCidr')}: {network} overlaps Docker's default bridge "
            f"({aws_limits.DOCKER_BRIDGE}) on the EC2 hosts, which would route those VPC "
            "addresses (the load balancer's among them) into the bridge; use e.g. 10.0.0.0/16"
        )
    return None


def health_command(values: Values) -> Problems:
    command = values["containerHealthCheck"]
    if command and command[0] not in ("CMD", "CMD-SHELL"):
        return (
            f"{path('containerHealthCheck')}: must start with CMD or CMD-SHELL, like "
            '["CMD", "python3", "-m", "service.healthcheck"]'
        )
    return None


def pre_deploy_command(values: Values) -> Problems:
    command = values["preDeployCommand"]
    if not command:
        return None
    if command[0] in ("CMD", "CMD-SHELL"):
        return (
            f"{path('preDeployCommand')}: is the command itself, not a health check's form; "
            'drop the leading CMD, like ["python", "manage.py", "migrate"] (or ["sh", "-c", '
            '"..."] for a shell line)'
        )
    if not command[0].strip():
        return f"{path('preDeployCommand')}: the program to run (its first word) is empty"
    if values["target"] == "ec2" and not values["sessionManager"]:
        return (
            f"{path('preDeployCommand')}: on target ec2 it runs through SSM Run Command, whose "
            "agent needs sessionManager: true; set it, or remove the command"
        )
    overrides = {"containerOverrides": [{"name": CONTAINER_NAME, "command": command}]}
    size = len(json.dumps(overrides))
    if size > aws_limits.RUN_TASK_OVERRIDES_BYTES:
        return (
            f"{path('preDeployCommand')}: {size} bytes as RunTask's overrides, over ECS's "
            f"{aws_limits.RUN_TASK_OVERRIDES_BYTES}; put the steps in a script in the image"
        )
    return None


def some_scaling_metric(values: Values) -> Problems:
    switches = ("scaleOnCpu", "scaleOnMemory", "scaleOnRequests")
    if values["maxCapacity"] > values["minCapacity"] and not any(values[s] for s in switches):
        return (
            f"{path('maxCapacity')}: {values['maxCapacity']} leaves room to scale but no "
            f"metric is on; set one of {', '.join(switches)} to true, or maxCapacity to "
            "minCapacity"
        )
    return None


def environment_name(values: Values) -> Problems:
    """The stack's name is part of every resource name: AWS's rules apply to it too."""
    if not naming.ENVIRONMENT_NAME.fullmatch(values.environment):
        return (
            f"{STACK_NAME}: {values.environment!r} cannot be part of AWS resource names; name "
            "the stack with lowercase letters, digits and hyphens (e.g. prod-eu-1)"
        )
    return None


def derived_names(values: Values) -> Problems:
    """Every physical name the program derives from serviceName and the stack name fits."""
    if not naming.ENVIRONMENT_NAME.fullmatch(values.environment):
        return None  # environment_name says why, once
    problems = [
        derived.rule.problem(derived.name)
        for derived in naming.derived_names(values["serviceName"], values.environment)
    ]
    return [
        f"{path('serviceName')}: with stack name {values.environment!r}, {problem}; "
        "shorten serviceName or the stack name"
        for problem in problems
        if problem
    ]


ENVIRONMENT_CHECKS: tuple[Check, ...] = (
    keys_that_do_nothing,
    one_of("target", aws_limits.TARGETS),
    one_of("imageSource", ("build", "release")),
    environment_name,
    derived_names,
    between("containerPort", 1, 65535),
    matches("imageDigest", DIGEST.pattern,
            "is not an image digest; use sha256: followed by 64 hex digits, or leave it empty",
            allow_empty=True),
    environment_variables,
    *SECRET_CHECKS,
    health_command,
    pre_deploy_command,
    between("preDeployTimeout", 1, 60),
    between("monthlyBudget", 0, 10_000_000),
    between("costRequests", 0, 10**12),
    between("costNatGb", 0, 10**9),
    between("costLogGb", 0, 10**9),
    for_target("ecs", fargate_size),
    for_target("ec2", instance_type),
    for_target("ec2", no_memory_scaling),
    for_target("ec2", refresh_keeps_capacity),
    for_target("ec2", docker_bridge),
    matches("amiId", r"ami-[0-9a-f]{8,17}", "is not an AMI ID like ami-0abcdef1234567890",
            allow_empty=True),
    between("rootVolumeGb", 8, 16384),
    between("instanceRefreshMinHealthyPercent", 0, 100),
    between("instanceRefreshMaxHealthyPercent", 100, 200),
    between("instanceWarmup", 0, 3600),
    # The launch lifecycle hook's heartbeat timeout: AWS allows 30 to 7200 seconds, but
    # booting, installing Docker and pulling the image take a minute or two of it.
    between("instanceBootTimeout", 180, 7200),
    between("desiredCount", 0, 1000),
    between("minCapacity", 0, 1000),
    between("maxCapacity", 1, 1000),
    capacity,
    scale_from_zero,
    some_scaling_metric,
    between("cpuTargetPercent", 10, 95),
    between("memoryTargetPercent", 10, 95),
    between("requestsPerTarget", 1, 1_000_000),
    between("scaleInCooldown", 0, 3600),
    between("scaleOutCooldown", 0, 3600),
    matches("healthCheckPath", r"/[\x21-\x7e]{0,1023}",
            "must start with / and have no spaces, like /health"),
    between("healthCheckInterval", 5, 300),
    between("healthCheckTimeout", 2, 120),
    timeout_below_interval,
    between("healthyThreshold", 2, 10),
    between("unhealthyThreshold", 2, 10),
    health_check_matcher,
    between("healthCheckGracePeriod", 0, 7200),
    between("deregistrationDelay", 0, 3600),
    between("stopTimeout", 2, 120),
    between("idleTimeout", 1, 4000),
    vpc_cidr,
    between("availabilityZones", 2, 6),
    *EDGE_CHECKS,
    *STRATEGY_CHECKS,
    one_of("logRetentionDays", aws_limits.LOG_RETENTION_DAYS),
    between("alarmCpuPercent", 1, 100),
    cpu_alarm_above_target,
    between("alarm5xxPerMinute", 1, 100_000),
)  # fmt: skip
