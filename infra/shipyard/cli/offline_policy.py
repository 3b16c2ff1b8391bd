"""shipyard's policy pack (infra/policy) run on an offline evaluation's resources, as the
engine runs it on a preview: pulumi-policy's ResourceValidationArgs built from the inputs
the program registered. `shipyard validate` and the tests' fake adapter use it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from shipyard.cli.model import PolicyViolation
from shipyard.cli.offline import Evaluation
from shipyard.policy.rules import POLICIES


def resource_findings(
    resource_type: str,
    props: dict[str, Any],
    urn: str,
    protect: bool = False,
    policies: Sequence[ResourceValidationPolicy] = POLICIES,
) -> list[PolicyViolation]:
    """What each policy reports about one resource."""
    args = ResourceValidationArgs(
        resource_type=resource_type,
        props=props,
        urn=urn,
        name=urn.rsplit("::", 1)[-1],
        opts=PolicyResourceOptions(
            protect=protect, ignore_changes=[], delete_before_replace=None, aliases=[],
            custom_timeouts=PolicyCustomTimeouts(0, 0, 0), additional_secret_outputs=[],
        ),
        provider=None,
    )  # fmt: skip
    found = []
    for policy in policies:
        messages: list[str] = []

        def report(message: str, urn: str | None = None, sink: list[str] = messages) -> None:
            sink.append(message)

        policy.validate(args, report)
        level = (
            "mandatory" if policy.enforcement_level == EnforcementLevel.MANDATORY else "advisory"
        )
        found += [PolicyViolation(policy.name, level, urn, message) for message in messages]
    return found


def stack_findings(
    evaluation: Evaluation, policies: Sequence[ResourceValidationPolicy] = POLICIES
) -> list[PolicyViolation]:
    """Every finding on every resource of an evaluated stack."""
    found = []
    for record in evaluation.resources.values():
        urn = f"urn:pulumi:{evaluation.stack}::shipyard::{record.type}::{record.name}"
        found += resource_findings(record.type, record.inputs, urn, record.protect, policies)
    return found
