"""The rollout wait inside `pulumi up` on EC2: its dynamic provider against moto, with the
instance refresh states moto lacks injected, and its serialization for the engine."""

from __future__ import annotations

import base64
import subprocess
import sys

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from shipyard_cli import refresh_wait
from shipyard_cli.refresh_wait import InstanceRefreshWaitProvider

GROUP = "shipyard-sample-qa"


@pytest.fixture
def group(world, monkeypatch):
    world.ec2_environment("qa")
    monkeypatch.setattr(refresh_wait, "connect", lambda region, profile: world.aws)
    return world


def props(version: str, timeout: float = 1.0) -> dict:
    return {
        "groupName": GROUP, "launchTemplateVersion": version, "region": "us-east-1",
        "profile": "", "timeoutSeconds": timeout, "pollSeconds": 0.05,
    }  # fmt: skip


def test_an_update_whose_refresh_succeeds_succeeds(group):
    group.instance_refresh("Successful")
    version = group.roll_out(GROUP)
    result = InstanceRefreshWaitProvider().update(GROUP, props("1"), props(version))
    assert result.outs["launchTemplateVersion"] == version


def test_a_new_group_has_no_refresh_to_wait_for(group):
    group.instance_refresh(None)
    result = InstanceRefreshWaitProvider().create(props("1"))
    assert result.id == GROUP


@pytest.mark.parametrize(
    ("status", "reason", "running"),
    [
        ("RollbackSuccessful", "alarm shipyard-sample-qa-5xx in ALARM", "1"),
        ("Failed", "instances failed their health checks", "2"),
        ("Cancelled", "cancelled by a user", "2"),
        ("RollbackFailed", "could not roll back", "1"),
    ],
)
def test_an_update_whose_refresh_does_not_succeed_fails_saying_what_runs(
    group, status, reason, running
):
    group.instance_refresh(status, reason)
    version = group.roll_out(GROUP)
    with pytest.raises(RuntimeError) as raised:
        InstanceRefreshWaitProvider().update(GROUP, props("1"), props(version))
    message = str(raised.value)
    assert f"the instance refresh of {GROUP} ended {status} ({reason})" in message
    assert f"the group runs launch template version {running}, the stack asks for 2" in message
    assert "pulumi up --refresh" in message


def test_a_refresh_still_going_when_time_is_up_fails_the_update(group):
    group.instance_refresh("InProgress")
    version = group.roll_out(GROUP)
    with pytest.raises(RuntimeError, match=r"is still InProgress after 0\.2 s"):
        InstanceRefreshWaitProvider().update(GROUP, props("1"), props(version, timeout=0.2))


def test_an_earlier_rollback_that_left_the_group_as_the_stack_says_is_not_this_rollout(group):
    # The stack already records version 1 (e.g. after `pulumi up --refresh`).
    group.roll_out(GROUP)
    group.instance_refresh("RollbackSuccessful", "an earlier rollout")
    InstanceRefreshWaitProvider().create(props("1"))


@pytest.mark.parametrize("status", ["Failed", "Cancelled"])
def test_the_first_wait_on_a_group_running_its_version_ignores_an_old_failure(group, status):
    # Adding the step to a stack whose group had a failed refresh long ago.
    version = group.roll_out(GROUP)
    group.instance_refresh(status, "long ago")
    InstanceRefreshWaitProvider().create(props(version))
    with pytest.raises(RuntimeError, match=f"ended {status}"):
        InstanceRefreshWaitProvider().update(GROUP, props("1"), props(version))


def test_only_a_new_launch_template_version_is_a_change_to_wait_for():
    provider = InstanceRefreshWaitProvider()
    assert provider.diff(GROUP, props("3"), props("4")).changes is True
    assert provider.diff(GROUP, props("3"), props("3", timeout=99)).changes is False


def test_the_engine_can_load_the_provider_from_the_installed_package(tmp_path):
    """Pulumi's dynamic provider host unpickles the provider by module name, in the project's
    virtualenv but without infra/ on sys.path."""
    blob = serialize_provider(InstanceRefreshWaitProvider())
    code = (
        "import base64, sys, dill; "
        f"provider = dill.loads(base64.b64decode({blob!r})); "
        "print(type(provider).__module__, type(provider).__name__)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env={}, capture_output=True, text=True,
        check=False, timeout=60,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["shipyard_cli.refresh_wait", "InstanceRefreshWaitProvider"]
    assert len(base64.b64decode(blob)) < 2000  # by reference, not the module's code
