"""What the CLI knows about Pulumi stacks, independent of how it is obtained.

`Stacks` is implemented by the Automation API adapter (automation_adapter.py, the only module
that imports pulumi.automation) and, in tests, by a fake fed with Pulumi's documented shapes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from shipyard.config.model import DIGEST, ecs_moves_traffic
from shipyard.errors import UserError

__all__ = ["DIGEST", "ecs_moves_traffic"]  # the CLI's model, with the rules it shares

IMAGE_DIGEST_KEY = "shipyard:imageDigest"
IMAGE_SOURCE_KEY = "shipyard:imageSource"


@dataclass(frozen=True)
class PlannedStep:
    """One resource step of a preview (from the engine's resource pre-events)."""

    op: str  # Pulumi OpType value: create, update, replace, delete, same, ...
    type: str  # e.g. aws:ecs/service:Service
    urn: str
    protected: bool = False

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]


@dataclass(frozen=True)
class Preview:
    diff_text: str
    steps: list[PlannedStep]
    # Advisory findings of the policy pack (a mandatory one fails the preview instead).
    advisories: list[PolicyViolation] = field(default_factory=list)


@dataclass(frozen=True)
class PolicyViolation:
    """One finding of the policy pack (infra/policy) on one resource."""

    policy: str
    level: str  # mandatory | advisory (the engine also says warning, disabled)
    urn: str
    message: str

    def describe(self) -> str:
        name = self.urn.rsplit("::", 1)[-1] if self.urn else "the stack"
        kind = self.urn.split("::")[2].rsplit("$", 1)[-1] if self.urn.count("::") >= 3 else ""
        where = f"{kind} {name}".strip()
        return f"{self.policy} ({self.level}) on {where}: {self.message.strip()}"


class PolicyViolationError(UserError):
    """A mandatory policy refused the preview: nothing was changed."""

    def __init__(self, env: str, violations: list[PolicyViolation]) -> None:
        listing = "\n".join(f"  - {violation.describe()}" for violation in violations)
        super().__init__(
            f"{env}: {len(violations)} mandatory policy violation(s) of infra/policy, so "
            f"nothing was changed; fix the resource or its settings:\n{listing}"
        )
        self.violations = violations


@dataclass(frozen=True)
class UpdateRecord:
    """One entry of `pulumi stack history` (Pulumi's UpdateSummary)."""

    version: int
    kind: str  # update, preview, refresh, destroy, ...
    result: str  # succeeded, failed, in-progress
    start_time: datetime
    end_time: datetime | None
    config: Mapping[str, str]
    environment: Mapping[str, str] = field(default_factory=dict)  # git.head, git.dirty, ...
    message: str = ""

    @property
    def deployed(self) -> bool:
        """An update that succeeded: what the stack is made of since."""
        return self.kind == "update" and self.result == "succeeded"

    @property
    def order(self) -> tuple[int, datetime]:
        """Where it stands in the history. Pulumi Cloud numbers updates; a self-managed
        backend (a file or S3 bucket) gives every one version 0, so its start time orders."""
        return self.version, self.start_time


class Stacks(Protocol):
    def environments(self) -> list[str]: ...

    def outputs(self, env: str) -> dict[str, Any]: ...

    def config(self, env: str) -> dict[str, str]: ...

    def set_config(self, env: str, key: str, value: str) -> None: ...

    def remove_config(self, env: str, key: str) -> None: ...

    def preview(self, env: str) -> Preview: ...

    def up(self, env: str, message: str, on_output: Callable[[str], None]) -> dict[str, Any]:
        """Run the update; return the new stack outputs."""
        ...

    def history(self, env: str) -> list[UpdateRecord]: ...
