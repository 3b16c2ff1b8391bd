"""Values AWS accepts, as data: Fargate sizes, log retention periods, instance types."""

from __future__ import annotations

import functools
import re

import botocore.session
from pulumi_aws.ec2 import _enums as aws_ec2_enums

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
# ECS caps a task definition at 64 KiB; the environment has to fit beside the rest of it.
TASK_DEFINITION_BYTES = 64 * 1024
# The deploy roles' longest session (their MaxSessionDuration, in deploy_access.py).
DEPLOY_ROLE_SESSION_SECONDS = 3600
# EC2 caps user data at 16 KB before base64.
USER_DATA_BYTES = 16 * 1024
# RunTask's overrides, as JSON: at most 8192 characters (ECS's TaskOverride).
RUN_TASK_OVERRIDES_BYTES = 8192
# IAM caps a role's inline policies at 10,240 characters together, whitespace not counted.
ROLE_INLINE_POLICY_CHARS = 10_240
# Docker's default bridge on an EC2 host: VPC addresses in it would be routed to docker0.
DOCKER_BRIDGE = "172.17.0.0/16"
# An ALB target group's health check matcher accepts codes in this range.
ALB_MATCHER_CODES = range(200, 500)


@functools.cache
def partition_of(region: str) -> str:
    """The partition a region is in (aws, aws-cn, aws-us-gov, ...), as botocore knows it;
    "aws" for a region it does not know (the region's own check says so)."""
    session = botocore.session.get_session()
    return next(
        (
            partition
            for partition in session.get_available_partitions()
            if region in session.get_available_regions("ec2", partition_name=partition)
        ),
        "aws",
    )


# S3's rules for general purpose bucket names, beyond 3-63 lowercase letters, digits, dots
# and hyphens that start and end with a letter or digit.
BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(name: str) -> str | None:
    """What is wrong with an S3 bucket name, by S3's naming rules, or None."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", name):
        return (
            "is not an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens, "
            "starting and ending with a letter or digit)"
        )
    if ".." in name:
        return "has two dots in a row, which S3 does not allow in a bucket name"
    if re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", name):
        return "is an IP address, which S3 does not allow as a bucket name"
    for prefix in BUCKET_PREFIXES:
        if name.startswith(prefix):
            return f"starts with {prefix}, which S3 reserves; choose another bucket name"
    for suffix in BUCKET_SUFFIXES:
        if name.endswith(suffix):
            return f"ends with {suffix}, which S3 reserves; choose another bucket name"
    return None


@functools.cache
def known_regions() -> frozenset[str]:
    """Every region botocore knows, across partitions (aws, aws-cn, aws-us-gov, ...)."""
    session = botocore.session.get_session()
    return frozenset(
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("ec2", partition_name=partition)
    )


def instance_architecture(instance_type: str) -> str:
    """x86_64, arm64 (Graviton: a "g" among the letters after the generation, a1, Grace) or
    mac (Mac instances run macOS on dedicated hosts)."""
    family = instance_type.split(".", 1)[0]
    if family.startswith("mac"):
        return "mac"
    if family == "a1" or "-gb" in family:
        return "arm64"
    match = re.match(r"[a-z]+\d+([a-z]*)", family)
    return "arm64" if match and "g" in match.group(1) else "x86_64"

# ECS deployment strategies (deploymentConfiguration, 2025): the shipyard names and ECS's.
STRATEGIES = {"rolling": "ROLLING", "blue_green": "BLUE_GREEN", "canary": "CANARY",
              "linear": "LINEAR"}  # fmt: skip
# What EC2 builds from instance refresh checkpoints; blue/green has no EC2 equivalent.
EC2_STRATEGIES = ("rolling", "canary", "linear")
BAKE_MINUTES = (0, 1440)  # bakeTimeInMinutes, canaryBakeTimeInMinutes, stepBakeTimeInMinutes
CANARY_PERCENT = (1, 100)  # ECS takes 0.1-100.0; a Pulumi config integer, whole percents
LINEAR_STEP_PERCENT = (3, 100)
# Inbound rules of a security group (AWS's default quota is 60): the load balancer's group
# holds one per listener port, and one per test listener range.
TEST_LISTENER_RANGES = 50
# Instance refresh checkpoints: the delay between two, in seconds (the longest bake,
# 1440 minutes, is within it; a test keeps it so).
CHECKPOINT_DELAY_SECONDS = (0, 172800)
