"""The rules for deployment strategies: the ranges ECS and instance refresh accept, what
each target can do, and the test listener (its port and who may reach it)."""

from __future__ import annotations

import ipaddress
import math

from shipyard.config import aws_limits, model
from shipyard.config.checks import Check, Problems, Values, between, for_target, one_of
from shipyard.config.keys import path
from shipyard.config.model import LISTENER_PORTS

# The widest range the test listener admits: several blocks of this size cannot add up to
# the internet within a security group's 60 rules (two /1 blocks would).
SMALLEST_TEST_PREFIX = 16


# How much longer than its deliberate waits `pulumi up` gives an ECS deployment: tasks
# starting, health checks, draining (strategies.provider_timeout).
DEPLOYMENT_MARGIN_MINUTES = 30


def linear_steps(step_percent: int) -> int:
    """Traffic moves step by step until all of it has."""
    return math.ceil(100 / step_percent)


def shifting_minutes(
    strategy: str, canary_bake_minutes: float, step_percent: int, step_minutes: float
) -> float:
    """Minutes from the first production request on the new revision to the last: the
    canary's bake, or the bakes between linear steps (none follows the last step)."""
    if strategy == "canary":
        return canary_bake_minutes
    if strategy == "linear":
        return (linear_steps(step_percent) - 1) * step_minutes
    return 0


def ecs_moves_traffic(values: Values) -> bool:
    return model.ecs_moves_traffic(values["target"], values["deploymentStrategy"])


def rollout_fits_the_deploy_session(values: Values) -> Problems:
    """The pipeline deploys with a deploy role's session, which ends after an hour: an
    update that may wait longer (its deliberate waits, and the margin `pulumi up` gives a
    deployment) would lose its credentials halfway."""
    strategy = values["deploymentStrategy"]
    waits = {
        "canaryBakeMinutes": values["canaryBakeMinutes"] if strategy == "canary" else 0,
        "linearStepMinutes": int(shifting_minutes(
            strategy, 0, values["linearStepPercent"], values["linearStepMinutes"])),
        "bakeMinutes": values["bakeMinutes"] if ecs_moves_traffic(values) else 0,
        "preDeployTimeout": values["preDeployTimeout"] if values["preDeployCommand"] else 0,
    }  # fmt: skip
    limit = aws_limits.DEPLOY_ROLE_SESSION_SECONDS // 60
    longest = sum(waits.values()) + DEPLOYMENT_MARGIN_MINUTES
    if longest <= limit:
        return None
    key = max(waits, key=lambda name: waits[name])
    return (
        f"{path(key)}: the update may wait {longest} minutes ({sum(waits.values())} by the "
        f"strategy's waits and the pre-deploy command, {DEPLOYMENT_MARGIN_MINUTES} for the "
        "rest), longer than the deploy "
        f"role's {limit}-minute session; keep the waits to {limit - DEPLOYMENT_MARGIN_MINUTES} "
        "minutes in all"
    )


def ec2_strategy(values: Values) -> Problems:
    strategy = values["deploymentStrategy"]
    if strategy in aws_limits.EC2_STRATEGIES:
        return None
    return (
        f"{path('deploymentStrategy')}: {strategy} needs a second target group that ECS "
        "moves traffic to, and an Auto Scaling group has one launch template in one group; "
        "on EC2 use canary or linear (instance refresh checkpoints), or use target: ecs"
    )


def test_listener_port(values: Values) -> Problems:
    port = values["testListenerPort"]
    if ecs_moves_traffic(values) and port in LISTENER_PORTS:
        return (
            f"{path('testListenerPort')}: {port} is a production listener's port (80 HTTP, "
            "443 HTTPS); the test listener needs its own, like 8443"
        )
    return None


def test_listener_cidrs(values: Values) -> Problems:
    problems = []
    if len(values["testListenerCidrs"]) > aws_limits.TEST_LISTENER_RANGES:
        problems.append(
            f"{path('testListenerCidrs')}: {len(values['testListenerCidrs'])} ranges; the load "
            f"balancer's security group takes 60 inbound rules (AWS's default quota), its "
            f"listeners' among them, so list at most {aws_limits.TEST_LISTENER_RANGES}"
        )
    seen: set[ipaddress.IPv4Network] = set()
    for entry in values["testListenerCidrs"]:
        try:
            network = ipaddress.IPv4Network(entry)
        except ValueError:
            problems.append(
                f"{path('testListenerCidrs')}: {entry!r} is not an IPv4 CIDR block like "
                "203.0.113.0/24 (with no host bits set)"
            )
            continue
        if network.prefixlen < SMALLEST_TEST_PREFIX:
            problems.append(
                f"{path('testListenerCidrs')}: {entry} is too wide (/{network.prefixlen}); the "
                f"test listener serves a revision before it is released, so name your VPN's or "
                f"office's range, /{SMALLEST_TEST_PREFIX} or narrower"
            )
        elif network in seen:
            problems.append(
                f"{path('testListenerCidrs')}: {entry} is listed twice; keep one (AWS refuses "
                "a duplicate rule)"
            )
        seen.add(network)
    return problems


def request_scaling(values: Values) -> Problems:
    if ecs_moves_traffic(values) and values["scaleOnRequests"]:
        return (
            f"{path('scaleOnRequests')}: ALB requests per target are counted per target "
            f"group, and {values['deploymentStrategy']} moves traffic to the other group at "
            "every deployment; scale on cpu or memory instead (scaleOnCpu, scaleOnMemory)"
        )
    return None


STRATEGY_CHECKS: tuple[Check, ...] = (
    one_of("deploymentStrategy", tuple(aws_limits.STRATEGIES)),
    for_target("ec2", ec2_strategy),
    between("bakeMinutes", *aws_limits.BAKE_MINUTES),
    rollout_fits_the_deploy_session,
    between("canaryPercent", *aws_limits.CANARY_PERCENT),
    between("canaryBakeMinutes", *aws_limits.BAKE_MINUTES),
    between("linearStepPercent", *aws_limits.LINEAR_STEP_PERCENT),
    between("linearStepMinutes", *aws_limits.BAKE_MINUTES),
    between("testListenerPort", 1, 65535),
    test_listener_port,
    test_listener_cidrs,
    request_scaling,
)
