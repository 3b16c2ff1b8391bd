"""A fake of the Automation API adapter, fed with Pulumi's documented shapes.

Config starts as the shipped stack file. Previews are computed by evaluating the real
program under mocks for the deployed config and the current one and diffing the resource
inputs, so a pin shows exactly the steps Pulumi would plan. An update "builds" by pushing a
new image to moto's ECR (what pulumi-docker does), records an UpdateSummary-shaped history
entry, and returns the new outputs. Locking and failures are injected per environment.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pulumi import automation as auto
from pulumi.automation._cmd import CommandResult
from pulumi_policy import ResourceValidationPolicy

from devtools import pulumi_mocks
from devtools.aws_world import World, release_parameter
from shipyard.cli.automation_adapter import _translate
from shipyard.cli.deployments import TERMINAL, shifts_traffic, why
from shipyard.cli.model import (
    IMAGE_DIGEST_KEY,
    PlannedStep,
    PolicyViolation,
    PolicyViolationError,
    Preview,
    UpdateRecord,
)
from shipyard.cli.offline_policy import stack_findings
from shipyard.config import Settings, environment_settings
from shipyard.config.engine_config import engine_config, stack_file_values
from shipyard.config.stack_files import config_value
from shipyard.errors import UserError
from shipyard.policy.rules import POLICIES
from shipyard.program.instance_refresh import RefreshTarget, roll_out
from shipyard.program.source import SourceRevision
from shipyard.program.stack import image_build

SYMBOLS = {"create": "+", "delete": "-", "update": "~"}


def _frozen(config: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(config.items()))


@functools.lru_cache(maxsize=256)
def _evaluated(
    env: str,
    config: tuple[tuple[str, str], ...],
    commit: str,
    record: tuple[str, str] | None,
) -> pulumi_mocks.Evaluation:
    """The program for this config, commit and release record: the same inputs give the
    same evaluation (tests check it), so tests that preview the same stack share it.
    Read-only for callers."""
    releases = dict([record]) if record else {}
    # The config as `pulumi config` lists it, back to what the stack file holds.
    return pulumi_mocks.evaluate(
        env, config=stack_file_values(dict(config), pulumi_mocks.REPO_ROOT), commit=commit,
        mocks=pulumi_mocks.RecordingMocks(releases=releases),
    )  # fmt: skip


def _settings(env: str, config: dict[str, str]) -> Settings:
    """The settings the program builds from this config, as the engine passes it."""
    values = stack_file_values(config, pulumi_mocks.REPO_ROOT)
    received = engine_config(env, values, pulumi_mocks.REPO_ROOT)
    return environment_settings(env, received, offline=True)


REPLACED_ON_CHANGE = {"aws:ecs/taskDefinition:TaskDefinition"}


@dataclass
class FakeEnvironment:
    config: dict[str, str]
    outputs: dict[str, Any]
    history: list[UpdateRecord] = field(default_factory=list)
    deployed_config: dict[str, str] = field(default_factory=dict)
    deployed_commit: str = pulumi_mocks.TEST_COMMIT
    record: str = ""  # the release record's digest, as the last update set it


class FakeStacks:
    def __init__(self, world: World) -> None:
        self.world = world
        self.envs: dict[str, FakeEnvironment] = {}
        self.calls: list[tuple[str, ...]] = []
        self.locked: set[str] = set()
        self.up_failures: dict[str, BaseException] = {}
        self.preview_steps: dict[str, list[PlannedStep]] = {}
        # What another operator (or AWS) does at a given moment of a command, per environment.
        self.after_preview: dict[str, Callable[[], None]] = {}
        self.before_up: dict[str, Callable[[], None]] = {}
        # As pulumi-aws's wait_for_steady_state: the update waits for ECS's deployment. Off,
        # it returns as soon as ECS took the change (what the CLI must judge on its own).
        self.provider_waits = True
        # Ctrl-C when that wait is told a deployment this is true of, by environment.
        self.interrupt_wait_at: dict[str, Callable[[dict[str, Any]], bool]] = {}
        self.after_up: dict[str, Callable[[], None]] = {}
        # Failures of the next config writes: None lets a write through.
        self.config_faults: dict[str, list[BaseException | None]] = {}
        self.git_head = pulumi_mocks.TEST_COMMIT
        # The policy pack every preview runs (infra/policy), as the adapter passes it.
        self.policies: list[ResourceValidationPolicy] = list(POLICIES)
        # Updates happen now, as ECR (moto) stamps the images they push.
        self.clock = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)

    # ---- seeding -------------------------------------------------------------------------

    def add(self, env: str, outputs: dict[str, Any]) -> FakeEnvironment:
        # Strings already, as the engine passes them; what it references exists in AWS.
        listed = {key: config_value(value) for key, value in pulumi_mocks.stack_config(env).items()}
        config = self.world.store_secrets(env, listed)
        self.envs[env] = FakeEnvironment(
            config=config, outputs=dict(outputs), deployed_config=dict(config)
        )
        return self.envs[env]

    def deploy_build(self, env: str, commit: str) -> str:
        """An earlier `pulumi up` that built `commit`; returns the pushed digest."""
        self.git_head = commit
        self.envs[env].config.pop(IMAGE_DIGEST_KEY, None)
        self.up(env, "pulumi up", lambda _line: None)
        return self.envs[env].outputs["image"].split("@")[1]

    def deploy_pin(self, env: str, digest: str) -> None:
        self.envs[env].config[IMAGE_DIGEST_KEY] = digest
        self.up(env, "pulumi up", lambda _line: None)

    def deploy_release(self, env: str, commit: str) -> str:
        """What the pipeline does for `commit`: build it once (tagged by the commit), then
        `shipyard deploy <env> --image <digest>`; returns the digest."""
        self.git_head = commit
        digest = self.world.push_image(commit)
        self.envs[env].config[IMAGE_DIGEST_KEY] = digest
        self.up(env, f"shipyard deploy {env} to {digest}", lambda _line: None)
        self.envs[env].config.pop(IMAGE_DIGEST_KEY)
        return digest

    def record(self, env: str, kind: str, result: str) -> None:
        """A history entry that changed nothing: a failed update, a refresh..."""
        state = self.envs[env]
        self.clock += timedelta(minutes=5)
        state.history.append(
            UpdateRecord(
                version=len(state.history) + 1, kind=kind, result=result, start_time=self.clock,
                end_time=self.clock + timedelta(minutes=1), config=dict(state.config),
                environment={"git.head": self.git_head, "git.dirty": "false"},
            )
        )  # fmt: skip

    # ---- the Stacks protocol ---------------------------------------------------------------

    def environments(self) -> list[str]:
        return sorted(self.envs)

    def outputs(self, env: str) -> dict[str, Any]:
        return dict(self.envs[env].outputs)

    def config(self, env: str) -> dict[str, str]:
        return dict(self.envs[env].config)

    def _config_fault(self, env: str) -> None:
        faults = self.config_faults.get(env)
        if faults:
            fault = faults.pop(0)
            if fault is not None:
                raise fault

    def set_config(self, env: str, key: str, value: str) -> None:
        self.calls.append(("set_config", env, key, value))
        self._config_fault(env)
        self.envs[env].config[key] = value

    def remove_config(self, env: str, key: str) -> None:
        self.calls.append(("remove_config", env, key))
        self._config_fault(env)
        self.envs[env].config.pop(key, None)

    def preview(self, env: str) -> Preview:
        self.calls.append(("preview", env))
        steps = self.preview_steps.get(env)
        findings: list[PolicyViolation] = []
        if not steps:
            steps, findings = self._planned_steps(env)
        # As the engine runs the policy pack on every preview: a mandatory finding fails it.
        mandatory = [finding for finding in findings if finding.level == "mandatory"]
        if mandatory:
            raise PolicyViolationError(env, mandatory)
        lines = [f"Previewing update ({env}):"] + [
            f"  {SYMBOLS.get(step.op, '+-')} {step.type} {step.name} {step.op}" for step in steps
        ]
        if env in self.after_preview:
            self.after_preview.pop(env)()
        return Preview(diff_text="\n".join(lines), steps=steps, advisories=findings)

    def _planned_steps(self, env: str) -> tuple[list[PlannedStep], list[PolicyViolation]]:
        state = self.envs[env]
        # The release record as the program would read it at this update.
        record = (release_parameter(env), state.record) if state.record else None
        # Never updated: everything is to be created.
        old = (
            _evaluated(env, _frozen(state.deployed_config), state.deployed_commit, record)
            .inputs_by_key()
            if state.record
            else {}
        )
        after = _evaluated(env, _frozen(state.config), self.git_head, record)
        new = after.inputs_by_key()
        steps = []
        for key in sorted(old.keys() | new.keys()):
            if key not in old:
                op = "create"
            elif key not in new:
                op = "delete"
            elif old[key] != new[key]:
                op = "replace" if key[0] in REPLACED_ON_CHANGE else "update"
            else:
                continue
            steps.append(PlannedStep(op, key[0], f"urn:pulumi:{env}::shipyard::{key[0]}::{key[1]}"))
        return steps, stack_findings(after, self.policies)

    def up(self, env: str, message: str, on_output: Callable[[str], None]) -> dict[str, Any]:
        self.calls.append(("up", env, message))
        if env in self.before_up:
            self.before_up.pop(env)()
        if env in self.locked:
            locked = CommandResult(
                "", f"error: the stack is currently locked by 1 lock(s) ({env})", 255
            )
            raise _translate(env, auto.ConcurrentUpdateError(locked))
        if env in self.up_failures:
            raise self.up_failures[env]
        state = self.envs[env]
        settings = _settings(env, state.config)
        built = not settings.image_digest and settings.image_source == "build"
        digest = self._digest_to_deploy(env, settings)
        on_output(f"Updating ({env}): image {digest}")
        image = f"{state.outputs['repositoryUrl']}@{digest}"
        if state.outputs.get("target") == "ec2":
            self._roll_out_instances(env, image)
        elif state.outputs.get("clusterName"):
            self.world.run_on_ecs(state.outputs, image)
            self._wait_for_service_deployment(env)
        self.world.record_release(env, digest)
        state.record = digest
        state.outputs["image"] = image
        if built:
            state.outputs["commit"] = self.git_head
        else:
            state.outputs.pop("commit", None)
        self.clock = max(self.clock + timedelta(minutes=10), datetime.now(UTC))
        state.history.append(
            UpdateRecord(
                version=len(state.history) + 1, kind="update", result="succeeded",
                start_time=self.clock, end_time=self.clock + timedelta(minutes=2),
                config=dict(state.config),
                environment={"git.head": self.git_head, "git.dirty": "false"},
                message=message,
            )
        )  # fmt: skip
        state.deployed_config = dict(state.config)
        state.deployed_commit = self.git_head
        if env in self.after_up:
            self.after_up.pop(env)()
        return dict(state.outputs)

    def _digest_to_deploy(self, env: str, settings: Settings) -> str:
        """As the program decides: the pin, a build of the checkout, or the release record."""
        if settings.image_digest:
            return settings.image_digest
        if settings.image_source == "build":
            return self.world.push_image(self.build_tag(env))
        if self.envs[env].record:
            return self.envs[env].record
        raise UserError(
            f"pulumi failed on stack {env}: shipyard:imageSource: {env} deploys only released "
            "images, and none is recorded yet"
        )

    def _wait_for_service_deployment(self, env: str) -> None:
        """As pulumi-aws's wait_for_steady_state does for blue/green, canary and linear:
        the update lasts until ECS's deployment ends, and fails unless it is SUCCESSFUL."""
        outputs = self.envs[env].outputs
        if not shifts_traffic(outputs) or not self.provider_waits:
            return
        aws = self.world.aws
        briefs = aws.service_deployments(outputs["clusterName"], outputs["serviceName"])
        if not briefs:
            return
        interrupted_at = self.interrupt_wait_at.get(env, lambda _: False)
        while True:
            deployment = aws.service_deployment(briefs[0]["serviceDeploymentArn"])
            if interrupted_at(deployment):
                raise KeyboardInterrupt
            if deployment["status"] in TERMINAL:
                break
            time.sleep(0.05)
        if deployment["status"] != "SUCCESSFUL":
            self.record(env, "update", "failed")
            raise UserError(
                f"pulumi failed on stack {env}:\n  error: waiting for ECS service deployment: "
                f"{deployment['status']}: {why(deployment)}"
            )

    def _roll_out_instances(self, env: str, image: str) -> None:
        """As `pulumi up` does: a new launch template version, then the program's
        InstanceRefreshWait rolls it out; the update fails unless the refresh succeeded."""
        group = self.envs[env].outputs["autoScalingGroupName"]
        template_id, version = self.world.new_launch_template_version(group, image)
        target = RefreshTarget(
            group_name=group,
            launch_template_version=version,
            region=self.world.aws.session.region_name,
            profile="",
            timeout_seconds=1.0,
            poll_seconds=0.05,
            launch_template_id=template_id,
            preferences={"AutoRollback": True, "SkipMatching": False},
        )
        try:
            roll_out(self.world.aws, target)
        except UserError as error:
            self.record(env, "update", "failed")
            # What the engine prints for a failed dynamic resource, as the adapter reports it.
            raise UserError(f"pulumi failed on stack {env}:\n  error: {error}") from None

    def build_tag(self, env: str) -> str:
        """The tag the real program pushes this build under (stack.image_build)."""
        config = {k: v for k, v in self.envs[env].config.items() if k != IMAGE_DIGEST_KEY}
        revision = SourceRevision(self.git_head, pulumi_mocks.TEST_VERSION)
        build = image_build(_settings(env, config), revision)
        assert build is not None
        return build.tag

    def history(self, env: str) -> list[UpdateRecord]:
        # Pulumi lists the newest update first.
        return list(reversed(self.envs[env].history))
