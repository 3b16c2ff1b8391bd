"""What runs in the container, the same for ECS tasks and EC2 instances."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

CONTAINER_NAME = "app"


@dataclass(frozen=True)
class ContainerSpec:
    image_ref: pulumi.Input[str]
    port: int
    environment: tuple[tuple[str, str], ...]
    health_command: tuple[str, ...]
    stop_timeout: int
    log_group_name: pulumi.Input[str]
    region: pulumi.Input[str]


def container_environment(
    environment_name: str, port: int, extra: tuple[tuple[str, str], ...]
) -> tuple[tuple[str, str], ...]:
    """The variables every deployment sets, then the stack's own, sorted for stable diffs."""
    return tuple(
        sorted({"APP_ENVIRONMENT": environment_name, "PORT": str(port), **dict(extra)}.items())
    )
