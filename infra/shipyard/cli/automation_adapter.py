"""The only module that imports pulumi.automation: stacks of this project, as `Stacks`."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from shipyard.cli.model import (
    PlannedStep,
    PolicyViolation,
    PolicyViolationError,
    Preview,
    UpdateRecord,
)
from shipyard.config.stack_files import environment_names
from shipyard.errors import UserError


def _translate(env: str, error: Exception) -> UserError:
    if isinstance(error, FileNotFoundError):
        return UserError(
            "the Pulumi CLI is not on PATH; install it (https://www.pulumi.com/docs/install/) "
            "and log in with `pulumi login`"
        )
    if isinstance(error, auto.ConcurrentUpdateError):
        return UserError(
            f"stack {env} is locked by another update; wait for it to finish, or if it died, "
            f"run `pulumi cancel -s {env}`"
        )
    if isinstance(error, auto.StackNotFoundError):
        return UserError(
            f"stack {env} does not exist yet; create it with `pulumi stack init {env}`"
        )
    if isinstance(error, auto.CommandError):
        return UserError(f"pulumi failed on stack {env}:\n{error}")
    return UserError(f"pulumi failed on stack {env}: {error}")


@contextlib.contextmanager
def _pulumi_errors(env: str) -> Iterator[None]:
    try:
        yield
    except (auto.CommandError, OSError) as error:
        raise _translate(env, error) from error


class AutomationStacks:
    """Stacks of the project at `project_dir`, driven through the Pulumi CLI."""

    def __init__(self, project_dir: Path) -> None:
        self.project_dir = project_dir

    def _stack(self, env: str) -> auto.Stack:
        return auto.select_stack(stack_name=env, work_dir=str(self.project_dir))

    def environments(self) -> list[str]:
        return environment_names(self.project_dir)

    def outputs(self, env: str) -> dict[str, Any]:
        with _pulumi_errors(env):
            return {key: output.value for key, output in self._stack(env).outputs().items()}

    def config(self, env: str) -> dict[str, str]:
        with _pulumi_errors(env):
            return {key: value.value for key, value in self._stack(env).get_all_config().items()}

    def set_config(self, env: str, key: str, value: str) -> None:
        with _pulumi_errors(env):
            self._stack(env).set_config(key, auto.ConfigValue(value=value))

    def remove_config(self, env: str, key: str) -> None:
        with _pulumi_errors(env):
            self._stack(env).remove_config(key)

    @property
    def policy_packs(self) -> list[str]:
        """Every preview and update runs shipyard's policy pack."""
        return [str(self.project_dir / "infra" / "policy")]

    def preview(self, env: str) -> Preview:
        steps: list[PlannedStep] = []
        violations: list[PolicyViolation] = []

        def collect(event: auto.EngineEvent) -> None:
            if event.policy_event is not None:
                policy = event.policy_event
                violations.append(
                    PolicyViolation(
                        policy.policy_name,
                        "mandatory" if policy.enforcement_level == "mandatory" else "advisory",
                        policy.resource_urn or "",
                        policy.message,
                    )
                )
            if event.resource_pre_event is not None:
                metadata = event.resource_pre_event.metadata
                protected = any(
                    state is not None and state.protect for state in (metadata.old, metadata.new)
                )
                steps.append(
                    PlannedStep(str(metadata.op.value), metadata.type, metadata.urn, protected)
                )

        try:
            with _pulumi_errors(env):
                result = self._stack(env).preview(
                    diff=True, on_event=collect, color="never", policy_packs=self.policy_packs
                )
        except UserError:
            mandatory = [v for v in violations if v.level == "mandatory"]
            if mandatory:  # the engine failed the preview for them: say which
                raise PolicyViolationError(env, mandatory) from None
            raise
        return Preview(diff_text=result.stdout, steps=steps, advisories=violations)

    def up(self, env: str, message: str, on_output: Callable[[str], None]) -> dict[str, Any]:
        with _pulumi_errors(env):
            result = self._stack(env).up(
                message=message,
                on_output=on_output,
                color="never",
                policy_packs=self.policy_packs,
            )
        return {key: output.value for key, output in result.outputs.items()}

    def history(self, env: str) -> list[UpdateRecord]:
        with _pulumi_errors(env):
            summaries = self._stack(env).history()
        return [
            UpdateRecord(
                version=summary.version or 0,
                kind=summary.kind,
                result=summary.result,
                start_time=summary.start_time,
                end_time=summary.end_time,
                config={key: value.value for key, value in summary.config.items()},
                environment=dict(summary.environment or {}),
                message=summary.message or "",
            )
            for summary in summaries
        ]
