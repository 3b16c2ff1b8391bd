"""Keys that do nothing in the stack as it is set: a key of the other target, of another
deployment strategy, of a feature turned off, of a network shipyard does not create.

Like a key of the other kind of stack (parse.scope_problems), such a key is blamed only when
its value departs from its default: the engine hands the program every default, so a
default says nothing about what the stack file sets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shipyard.config.checks import Problems, Values
from shipyard.config.keys import KEYS_BY_NAME, path
from shipyard.config.strategy_checks import ecs_moves_traffic


@dataclass(frozen=True)
class Applies:
    """`keys` do something only where `when` holds; `otherwise` says why not, and what to do."""

    keys: tuple[str, ...]
    when: Callable[[Values], bool]
    otherwise: Callable[[Values], str]


# The keys of deployment strategies (the rules on them read only target and strategy).
STRATEGY_KEYS = frozenset({
    "bakeMinutes", "testListenerPort", "testListenerCidrs", "canaryPercent",
    "canaryBakeMinutes", "linearStepPercent", "linearStepMinutes",
})  # fmt: skip

RULES: tuple[Applies, ...] = (
    Applies(
        ("instanceType", "amiId", "rootVolumeGb", "instanceRefreshMinHealthyPercent",
         "instanceRefreshMaxHealthyPercent", "instanceWarmup", "sessionManager",
         "instanceBootTimeout"),
        lambda v: v["target"] == "ec2",
        lambda v: "does nothing on target ecs (Fargate runs the tasks); it applies to target: "
                  "ec2, so remove it here",
    ),
    Applies(
        ("preDeployTimeout",),
        lambda v: bool(v["preDeployCommand"]),
        lambda v: "does nothing without a preDeployCommand; remove it here",
    ),
    Applies(
        ("exec",),
        lambda v: v["target"] == "ecs",
        lambda v: "does nothing on target ec2; a shell on the instances is Session Manager's: "
                  "set sessionManager: true instead",
    ),
    Applies(
        ("cpu", "memory"),
        lambda v: v["target"] == "ecs",
        lambda v: "does nothing on target ec2 (instanceType sizes the instances); it applies "
                  "to target: ecs, so remove it here",
    ),
    Applies(
        ("bakeMinutes", "testListenerPort", "testListenerCidrs"),
        ecs_moves_traffic,
        lambda v: (
            f"does nothing with deploymentStrategy {v['deploymentStrategy']} on target "
            f"{v['target']}; it applies when ECS moves traffic (target: ecs with blue_green, "
            "canary or linear), so remove it here"
        ),
    ),
    Applies(
        ("canaryPercent", "canaryBakeMinutes"),
        lambda v: v["deploymentStrategy"] == "canary",
        lambda v: f"does nothing with deploymentStrategy {v['deploymentStrategy']}; it "
                  "applies to canary, so remove it here",
    ),
    Applies(
        ("linearStepPercent", "linearStepMinutes"),
        lambda v: v["deploymentStrategy"] == "linear",
        lambda v: f"does nothing with deploymentStrategy {v['deploymentStrategy']}; it "
                  "applies to linear, so remove it here",
    ),
    Applies(
        ("wafRateLimit",),
        lambda v: bool(v["waf"]),
        lambda v: "does nothing with waf off; set shipyard:waf: true, or remove it",
    ),
    Applies(
        ("accessLogDays",),
        lambda v: bool(v["accessLogs"]),
        lambda v: "does nothing with accessLogs off; set shipyard:accessLogs: true, or "
                  "remove it",
    ),
    Applies(
        ("vpcCidr", "availabilityZones", "natGatewayPerZone"),
        lambda v: not v["useDefaultVpc"],
        lambda v: "does nothing with useDefaultVpc: the account's default VPC is used as it "
                  "is; remove it, or set useDefaultVpc: false to create a VPC",
    ),
)  # fmt: skip


def keys_that_do_nothing(values: Values) -> Problems:
    return [
        f"{path(name)}: {rule.otherwise(values)}"
        for rule in RULES
        if not rule.when(values)
        for name in rule.keys
        if values[name] != KEYS_BY_NAME[name].default
    ]
