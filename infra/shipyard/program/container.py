"""What runs in the container, the same for ECS tasks and EC2 instances."""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass

import pulumi

from shipyard.config.secret_references import SecretReference
from shipyard.config.variables import SECRET_NAMES_VARIABLE

# The container's own health check, timed alike on ECS (the task definition's) and on EC2
# (Docker's, from the same command).
HEALTH_CHECK_TIMING = {"interval": 10, "timeout": 3, "retries": 3, "startPeriod": 10}


@dataclass(frozen=True)
class ContainerSecret:
    """One variable whose value the container gets at start from where it is kept."""

    reference: SecretReference
    # ECS's valueFrom: the parameter's or secret's ARN (with the JSON key part, if any).
    value_from: pulumi.Input[str]


@dataclass(frozen=True)
class ContainerSpec:
    image_ref: pulumi.Input[str]
    port: int
    environment: tuple[tuple[str, str], ...]
    health_command: tuple[str, ...]
    stop_timeout: int
    log_group_name: pulumi.Input[str]
    region: str
    secrets: tuple[ContainerSecret, ...] = ()



# The container keeps idle connections open this much longer than the load balancer does,
# so the load balancer never reuses a connection the app has just closed (a 502).
KEEPALIVE_MARGIN_SECONDS = 5


def docker_health_options(command: tuple[str, ...]) -> tuple[str, ...]:
    """containerHealthCheck as `docker run` options. Docker runs every health command through
    the shell, so an exec-form command is joined shell-quoted; an empty one turns off any
    the image declares, as on ECS."""
    if not command:
        return ("--no-healthcheck",)
    kind, *words = command
    shell = words[0] if kind == "CMD-SHELL" else shlex.join(words)
    timing = HEALTH_CHECK_TIMING
    return (
        "--health-cmd", shell, "--health-interval", f"{timing['interval']}s",
        "--health-timeout", f"{timing['timeout']}s", "--health-retries", str(timing["retries"]),
        "--health-start-period", f"{timing['startPeriod']}s",
    )  # fmt: skip


def container_environment(
    environment_name: str,
    port: int,
    idle_timeout: int,
    extra: tuple[tuple[str, str], ...],
    secret_names: Iterable[str] = (),
) -> tuple[tuple[str, str], ...]:
    """The variables every deployment sets, then the stack's own, sorted for stable diffs."""
    ours = {
        "APP_ENVIRONMENT": environment_name,
        "PORT": str(port),
        "KEEPALIVE_SECONDS": str(idle_timeout + KEEPALIVE_MARGIN_SECONDS),
    }
    if names := sorted(secret_names):
        ours[SECRET_NAMES_VARIABLE] = ",".join(names)
    return tuple(sorted({**ours, **dict(extra)}.items()))
