"""The Automation API adapter: its translation of Pulumi's results and errors.

The Pulumi CLI cannot be installed here, so `auto.select_stack` is replaced by a stand-in
that returns Pulumi's own result and event types. The last test drives the real CLI where
`pulumi` is on PATH and is skipped, with its reason, where it is not.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pulumi import automation as auto
from pulumi.automation import events
from pulumi.automation._cmd import CommandResult

from shipyard.cli import automation_adapter
from shipyard.cli.automation_adapter import AutomationStacks
from shipyard.errors import UserError

ROOT = Path(__file__).resolve().parents[2]
URN = "urn:pulumi:dev::shipyard::shipyard:index:LoadBalancer$aws:lb/loadBalancer:LoadBalancer::alb"


def pre_event(op: str, protect: bool) -> auto.EngineEvent:
    """A resource pre-event in the engine's JSON event format, as `pulumi preview` emits it."""
    state = {
        "type": "aws:lb/loadBalancer:LoadBalancer", "urn": URN, "id": "alb-1", "parent": "",
        "provider": "", "custom": True, "delete": False, "protect": protect, "inputs": {},
        "outputs": {},
    }  # fmt: skip
    return auto.EngineEvent.from_json(
        {
            "sequence": 1,
            "timestamp": 0,
            "resourcePreEvent": {
                "metadata": {
                    "op": op, "urn": URN, "type": "aws:lb/loadBalancer:LoadBalancer",
                    "provider": "", "old": state, "new": state, "diffs": ["subnets"],
                }
            },
        }
    )  # fmt: skip


class StandInStack:
    """Answers like auto.Stack, from Pulumi's documented result types."""

    def __init__(
        self, failure: Exception | None = None, policy_events: list | None = None
    ) -> None:
        self.failure = failure
        self.policy_events = policy_events or []
        self.policy_packs: list[str] | None = None
        self.config: dict[str, auto.ConfigValue] = {"aws:region": auto.ConfigValue("us-east-1")}

    def _maybe_fail(self) -> None:
        if self.failure:
            raise self.failure

    def preview(self, diff, on_event, color, policy_packs):
        self.policy_packs = policy_packs
        for event in self.policy_events:
            on_event(event)
        self._maybe_fail()
        on_event(pre_event("replace", protect=True))
        on_event(auto.EngineEvent(sequence=2, timestamp=0))  # events without a resource
        return auto.PreviewResult("Previewing update (dev)", "", {events.OpType.REPLACE: 1})

    def up(self, message, on_output, color, policy_packs):
        self.policy_packs = policy_packs
        self._maybe_fail()
        on_output("Updating (dev)")
        summary = auto.UpdateSummary(
            kind="update", start_time=datetime(2026, 11, 1, tzinfo=UTC), message=message,
            environment={"git.head": "a" * 40}, config={}, result="succeeded", version=7,
        )  # fmt: skip
        return auto.UpResult(
            "", "", summary, {"image": auto.OutputValue("r@sha256:" + "b" * 64, False)}
        )

    def history(self):
        self._maybe_fail()
        return [
            auto.UpdateSummary(
                kind="update", start_time=datetime(2026, 11, 1, tzinfo=UTC), message="m",
                environment={"git.head": "a" * 40, "git.dirty": "false"},
                config={"shipyard:imageDigest": {"value": "sha256:" + "c" * 64, "secret": False},
                        "db:password": {"secret": True}},
                result="succeeded", end_time=datetime(2026, 11, 1, 0, 5, tzinfo=UTC), version=3,
            )
        ]  # fmt: skip

    def get_all_config(self):
        self._maybe_fail()
        return self.config

    def set_config(self, key, value):
        self._maybe_fail()
        self.config[key] = value

    def remove_config(self, key):
        self.config.pop(key)

    def outputs(self):
        self._maybe_fail()
        return {"url": auto.OutputValue("http://x", False)}


@pytest.fixture
def stand_in(monkeypatch):
    holder = {"stack": StandInStack()}
    monkeypatch.setattr(
        automation_adapter.auto, "select_stack", lambda stack_name, work_dir: holder["stack"]
    )
    return holder


def test_environments_are_the_shipped_stack_files():
    assert AutomationStacks(ROOT).environments() == ["dev", "prod", "qa", "staging"]


def test_preview_collects_resource_steps_with_protection(stand_in):
    preview = AutomationStacks(ROOT).preview("dev")
    assert preview.diff_text == "Previewing update (dev)"
    (step,) = preview.steps
    assert (step.op, step.type, step.protected, step.name) == (
        "replace", "aws:lb/loadBalancer:LoadBalancer", True, "alb"
    )  # fmt: skip


def policy_event(level: str, policy: str, message: str) -> auto.EngineEvent:
    """A policy event in the engine's JSON event format, as a preview with a pack emits it."""
    return auto.EngineEvent.from_json({
        "sequence": 1, "timestamp": 0,
        "policyEvent": {
            "message": message, "color": "never", "policyName": policy,
            "policyPackName": "shipyard", "policyPackVersion": "", "policyPackVersionTag": "",
            "enforcementLevel": level, "resourceUrn": URN,
        },
    })  # fmt: skip


def test_every_preview_and_update_runs_the_policy_pack(stand_in):
    stacks = AutomationStacks(ROOT)
    stacks.preview("dev")
    assert stand_in["stack"].policy_packs == [str(ROOT / "infra" / "policy")]
    stand_in["stack"].policy_packs = None
    stacks.up("dev", "shipyard deploy dev", lambda _line: None)
    assert stand_in["stack"].policy_packs == [str(ROOT / "infra" / "policy")]


def test_an_advisory_finding_is_reported_with_the_preview(stand_in):
    stand_in["stack"] = StandInStack(
        policy_events=[policy_event("advisory", "ecs-no-public-ip", "alb: tasks get public IPs")]
    )
    (advisory,) = AutomationStacks(ROOT).preview("dev").advisories
    assert advisory.describe() == (
        "ecs-no-public-ip (advisory) on aws:lb/loadBalancer:LoadBalancer alb: alb: tasks get "
        "public IPs"
    )


def test_a_mandatory_violation_fails_the_preview_naming_rule_and_resource(stand_in):
    stand_in["stack"] = StandInStack(
        failure=auto.CommandError(CommandResult("", "error: preview failed", 255)),
        policy_events=[policy_event("mandatory", "alb-drops-invalid-headers",
                                    "alb: invalid header fields are passed on")],
    )  # fmt: skip
    with pytest.raises(UserError) as raised:
        AutomationStacks(ROOT).preview("dev")
    assert str(raised.value) == (
        "dev: 1 mandatory policy violation(s) of infra/policy, so nothing was changed; fix the "
        "resource or its settings:\n  - alb-drops-invalid-headers (mandatory) on "
        "aws:lb/loadBalancer:LoadBalancer alb: alb: invalid header fields are passed on"
    )


def test_up_history_config_and_outputs_are_plain_values(stand_in):
    stacks = AutomationStacks(ROOT)
    printed: list[str] = []
    assert stacks.up("dev", "shipyard deploy dev", printed.append) == {
        "image": "r@sha256:" + "b" * 64
    }
    assert printed == ["Updating (dev)"]
    (record,) = stacks.history("dev")
    assert record.version == 3 and record.result == "succeeded"
    assert record.config == {
        "shipyard:imageDigest": "sha256:" + "c" * 64,
        "db:password": "[secret]",
    }
    assert record.environment["git.head"] == "a" * 40
    stacks.set_config("dev", "shipyard:imageDigest", "sha256:" + "d" * 64)
    assert stacks.config("dev")["shipyard:imageDigest"] == "sha256:" + "d" * 64
    stacks.remove_config("dev", "shipyard:imageDigest")
    assert "shipyard:imageDigest" not in stacks.config("dev")
    assert stacks.outputs("dev") == {"url": "http://x"}


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (auto.ConcurrentUpdateError(CommandResult("", "conflict: update in progress", 255)),
         "stack dev is locked by another update"),
        (auto.StackNotFoundError(CommandResult("", "no stack named 'dev' found", 255)),
         "stack dev does not exist yet; create it with `pulumi stack init dev`"),
        (auto.CommandError(CommandResult("", "error: program failed", 255)),
         "pulumi failed on stack dev"),
        (FileNotFoundError(2, "No such file or directory", "pulumi"),
         "the Pulumi CLI is not on PATH; install it"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("call", ["preview", "outputs", "config", "history"])
def test_pulumi_errors_become_user_errors(stand_in, failure, message, call):
    stand_in["stack"] = StandInStack(failure)
    with pytest.raises(UserError, match=message.split(";")[0]):
        getattr(AutomationStacks(ROOT), call)("dev")
