"""Where a pipeline role's permissions apply, and the conditions that keep it to its own
environment's resources (the stack tag, program/tagging.py). deploy_policy.py and edge_policy.py
build their statements on these."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from shipyard.config import naming
from shipyard.program.tagging import STACK_TAG


@dataclass(frozen=True)
class Scope:
    """Where one role's permissions apply."""

    service: str
    environment: str
    region: str
    account: str
    repository_arn: pulumi.Input[str]
    boundary_arn: str
    state_bucket: str = ""
    secrets_key_arn: str = ""
    # The environment's own KMS key (a deploy role's scope only).
    environment_key_arn: pulumi.Input[str] | None = None
    # The environment's own domain: the DNS names its certificate and aliases use.
    domain_name: str = ""

    @property
    def prefix(self) -> str:
        return naming.resource_prefix(self.service, self.environment)

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return (
            f"arn:aws:{service}:{self.region if region else ''}:"
            f"{self.account if account else ''}:{resource}"
        )


def tagged(scope: Scope, *, request: bool = False) -> dict[str, Any]:
    """The stack tag on the resource (or, creating it, in the request)."""
    key = "aws:RequestTag" if request else "aws:ResourceTag"
    return {"StringEquals": {f"{key}/{STACK_TAG}": scope.prefix}}


def created_with_tag(scope: Scope, create_key: str, creates: Sequence[str]) -> dict[str, Any]:
    """Tagging allowed only inside the create call, and only with the stack's own tag: no
    tag can be written onto a resource that exists (another environment's included)."""
    return {
        "StringEquals": {
            create_key: sorted(action.split(":")[1] for action in creates),
            f"aws:RequestTag/{STACK_TAG}": scope.prefix,
        }
    }


def keeps_stack_tag(scope: Scope) -> dict[str, Any]:
    """On the stack's own resources, and without touching the stack tag itself."""
    return {
        **tagged(scope),
        "ForAllValues:StringNotEquals": {"aws:TagKeys": [STACK_TAG]},
    }


def new_resource(scope: Scope) -> dict[str, Any]:
    """Created with the stack's tag, on a resource that carries no stack tag yet."""
    return {
        "StringEquals": {f"aws:RequestTag/{STACK_TAG}": scope.prefix},
        "Null": {f"aws:ResourceTag/{STACK_TAG}": "true"},
    }
