"""The rollout step inside `pulumi up` on EC2: its dynamic provider against moto, with instance
refreshes answered by a model of AWS's documented rules (devtools/instance_refreshes.py), and
its serialization for the engine."""

from __future__ import annotations

import asyncio
import base64

import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc

from shipyard.program import instance_refresh as refresh_wait
from shipyard.program.instance_refresh import InstanceRefreshWaitProvider

from .conftest import unpickled_where_the_engine_does

GROUP = "shipyard-sample-qa"
PREFERENCES = {
    "MinHealthyPercentage": 100, "MaxHealthyPercentage": 200, "InstanceWarmup": 15,
    "SkipMatching": False, "AutoRollback": True,
    "AlarmSpecification": {"Alarms": [f"{GROUP}-5xx"]},
    "CheckpointPercentages": [50, 100], "CheckpointDelay": 300,
}  # fmt: skip



@pytest.fixture
def group(world, monkeypatch):
    world.ec2_environment("qa")
    monkeypatch.setattr(refresh_wait, "connect", lambda region, profile: world.aws)
    return world


def props(version: str, template_id: str = "", timeout: float = 1.0) -> dict:
    return {
        "groupName": GROUP, "launchTemplateId": template_id, "launchTemplateVersion": version,
        "preferences": PREFERENCES, "region": "us-east-1", "profile": "",
        "timeoutSeconds": timeout, "pollSeconds": 0.05,
    }  # fmt: skip


def engine_round_trip(values: dict) -> dict:
    """Props as the engine hands them to a dynamic provider: serialized to a protobuf
    Struct by the SDK and read back from it."""
    # A loop of its own: asyncio.run would leave the thread without the loop the program
    # evaluations in this worker use.
    loop = asyncio.new_event_loop()
    try:
        struct = loop.run_until_complete(rpc.serialize_properties(values, {}))
    finally:
        loop.close()
    return rpc.deserialize_properties(struct)


def new_version(world) -> tuple[str, str]:
    return world.new_launch_template_version(GROUP, "repo@sha256:" + "b" * 64)


def test_the_rollout_starts_the_refresh_with_the_new_version_as_desired_configuration(group):
    started = group.accept_instance_refreshes()
    template_id, version = new_version(group)
    InstanceRefreshWaitProvider().update(GROUP, props("1"), props(version, template_id))
    assert started == [{
        "AutoScalingGroupName": GROUP, "Strategy": "Rolling",
        "DesiredConfiguration": {
            "LaunchTemplate": {"LaunchTemplateId": template_id, "Version": version}
        },
        "Preferences": PREFERENCES,
    }]  # fmt: skip


def test_the_rollout_takes_its_props_as_the_engine_hands_them_over(group):
    # The dynamic provider host deserializes every number as a float; botocore refuses
    # 100.0 for an integer parameter, so the rollout turns whole numbers back.
    started = group.accept_instance_refreshes()
    template_id, version = new_version(group)
    engine_props = engine_round_trip(props(version, template_id))
    assert isinstance(engine_props["preferences"]["MinHealthyPercentage"], float)
    InstanceRefreshWaitProvider().update(GROUP, props("1"), engine_props)
    (request,) = started
    assert request["Preferences"] == PREFERENCES
    assert group.refreshes.saved_version(GROUP) == version


def test_a_refresh_not_listed_yet_right_after_it_started_is_waited_for(group):
    group.refreshes.unlisted_describes = 2
    template_id, version = new_version(group)
    InstanceRefreshWaitProvider().update(GROUP, props("1"), props(version, template_id))
    assert group.refreshes.saved_version(GROUP) == version


def test_a_successful_refresh_is_what_saves_the_new_version_on_the_group(group):
    template_id, version = new_version(group)
    assert group.refreshes.saved_version(GROUP) == "1"  # the template alone changed
    result = InstanceRefreshWaitProvider().update(GROUP, props("1"), props(version, template_id))
    assert result.outs["launchTemplateVersion"] == version
    assert group.refreshes.saved_version(GROUP) == version


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("RollbackSuccessful", "alarm shipyard-sample-qa-5xx in ALARM"),
        ("Failed", "instances failed their health checks"),
        ("Cancelled", "cancelled by a user"),
        ("RollbackFailed", "could not roll back"),
    ],
)
def test_a_refresh_that_does_not_succeed_fails_the_update_and_keeps_the_previous_version(
    group, status, reason
):
    group.instance_refresh(status, reason)
    template_id, version = new_version(group)
    with pytest.raises(RuntimeError) as raised:
        InstanceRefreshWaitProvider().update(GROUP, props("1"), props(version, template_id))
    message = str(raised.value)
    assert f"the instance refresh of {GROUP} ended {status} ({reason})" in message
    assert "the group runs launch template version 1, the stack asks for 2" in message
    assert "the release record keeps the previous release" in message
    # What it launches (and what a rollback replaced the canaries with) is the old version.
    assert group.refreshes.saved_version(GROUP) == "1"


def test_terraforms_order_made_a_rollback_return_to_the_new_version(group):
    """The defect this design removes (hashicorp/terraform-provider-aws#34189): save the new
    version on the group first, then refresh to it; AWS's rollback goes to the saved one."""
    autoscaling = group.client("autoscaling")
    template_id, version = new_version(group)
    desired = {"LaunchTemplateId": template_id, "Version": version}
    autoscaling.update_auto_scaling_group(AutoScalingGroupName=GROUP, LaunchTemplate=desired)
    group.instance_refresh("RollbackSuccessful", "alarm in ALARM")
    autoscaling.start_instance_refresh(
        AutoScalingGroupName=GROUP, DesiredConfiguration={"LaunchTemplate": desired},
        Preferences={"AutoRollback": True},
    )  # fmt: skip
    (refresh,) = autoscaling.describe_instance_refreshes(AutoScalingGroupName=GROUP)[
        "InstanceRefreshes"
    ]
    assert refresh["Status"] == "RollbackSuccessful"
    assert group.refreshes.saved_version(GROUP) == version  # the bad version stays


def test_a_refresh_still_going_when_time_is_up_fails_the_update(group):
    group.instance_refresh("InProgress")
    template_id, version = new_version(group)
    with pytest.raises(RuntimeError, match=r"is still InProgress after 0\.2 s"):
        InstanceRefreshWaitProvider().update(
            GROUP, props("1"), props(version, template_id, timeout=0.2)
        )


def test_a_retried_update_waits_on_the_refresh_it_started_instead_of_starting_another(group):
    # Still going when the first update gives up, it succeeds while the retry waits on it.
    group.refreshes.end_with("Successful", after_polls=8)
    template_id, version = new_version(group)
    with pytest.raises(RuntimeError, match="still InProgress"):
        InstanceRefreshWaitProvider().update(
            GROUP, props("1"), props(version, template_id, timeout=0.1)
        )
    started = group.accept_instance_refreshes()
    InstanceRefreshWaitProvider().update(GROUP, props("1"), props(version, template_id))
    assert started == []
    assert group.refreshes.saved_version(GROUP) == version


def test_another_refresh_in_progress_fails_the_update_without_cancelling_it(group):
    group.instance_refresh("InProgress")
    group.client("autoscaling").start_instance_refresh(AutoScalingGroupName=GROUP)  # a restart
    template_id, version = new_version(group)
    with pytest.raises(RuntimeError, match=r"another instance refresh of .*restart.* InProgress"):
        InstanceRefreshWaitProvider().update(GROUP, props("1"), props(version, template_id))
    assert group.refreshes.saved_version(GROUP) == "1"


def test_a_new_group_already_runs_its_version_and_starts_no_refresh(group):
    started = group.accept_instance_refreshes()
    result = InstanceRefreshWaitProvider().create(props("1"))
    assert result.id == GROUP and started == []


def test_an_old_failure_does_not_fail_a_group_that_runs_the_stacks_version(group):
    # Adding the step to a stack whose group had a failed refresh long ago.
    group.refreshes.past(GROUP, "Failed", "long ago")
    InstanceRefreshWaitProvider().create(props("1"))


def test_autoscaling_refuses_auto_rollback_without_a_desired_configuration(group):
    # The model holds AWS's rule, so a rollout that forgot its configuration cannot pass.
    autoscaling = group.client("autoscaling")
    with pytest.raises(autoscaling.exceptions.ClientError, match="AutoRollback"):
        autoscaling.start_instance_refresh(
            AutoScalingGroupName=GROUP, Preferences={"AutoRollback": True}
        )


def test_only_a_new_launch_template_or_version_is_a_change_to_roll_out():
    provider = InstanceRefreshWaitProvider()
    assert provider.diff(GROUP, props("3", "lt-1"), props("4", "lt-1")).changes is True
    assert provider.diff(GROUP, props("3", "lt-1"), props("3", "lt-2")).changes is True
    assert provider.diff(GROUP, props("3"), props("3", timeout=99)).changes is False


def test_the_engine_can_load_the_provider_from_the_installed_package(tmp_path):
    """Pulumi's dynamic provider host unpickles the provider by module name, in the project's
    virtualenv but without infra/ on sys.path."""
    blob = serialize_provider(InstanceRefreshWaitProvider())
    assert unpickled_where_the_engine_does(blob, tmp_path) == [
        "shipyard.program.instance_refresh", "InstanceRefreshWaitProvider"
    ]
    assert len(base64.b64decode(blob)) < 2000  # by reference, not the module's code


# The provider as the release before the package's layout recorded it in stack state
# (`pulumi stack export` of a qa stack it deployed): pickled by reference to its module.
RECORDED_BEFORE_THE_LAYOUT = (
    "gASVQAAAAAAAAACMGXNoaXB5YXJkX2NsaS5yZWZyZXNoX3dhaXSUjBtJbnN0YW5jZVJlZnJlc2hXYWl0UHJvdmlkZXKUk5QpgZQu"
)


def test_the_engine_can_load_the_provider_that_older_stack_state_names(tmp_path):
    """A delete or refresh of a stack whose last update ran the older release unpickles the
    provider its state holds: the module name kept for it leads to this provider."""
    assert b"shipyard_cli.refresh_wait" in base64.b64decode(RECORDED_BEFORE_THE_LAYOUT)
    assert unpickled_where_the_engine_does(RECORDED_BEFORE_THE_LAYOUT, tmp_path) == [
        "shipyard.program.instance_refresh", "InstanceRefreshWaitProvider"
    ]
