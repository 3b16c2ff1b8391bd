"""Values AWS accepts, as data: Fargate sizes, log retention periods, instance types."""

from __future__ import annotations

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
