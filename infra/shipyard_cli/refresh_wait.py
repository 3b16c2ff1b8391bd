"""Wait, inside `pulumi up`, for the instance refresh a launch template change started.

The Terraform resource behind aws.autoscaling.Group starts an instance refresh and returns,
so on its own `pulumi up` would report a rollout it has not seen finish, and record the new
launch template version even when auto rollback then puts the group back on the old one.
The program places an `InstanceRefreshWait` after the group (components/ec2_service.py); its
provider, here, waits with the same botocore waiter as `shipyard deploy` and fails the
update, saying what the group runs now, unless the refresh succeeded.

The provider lives in this installed package, not in infra/components, because Pulumi's
dynamic provider host unpickles it by module name in the project's virtualenv.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider, UpdateResult

from shipyard_cli.aws import REFRESH_FAILED, Aws
from shipyard_cli.errors import UNHEALTHY, UserError

# How a refresh can end; anything else (Pending, InProgress, Baking, Cancelling,
# RollbackInProgress) is still going. "none": the group never had one.
REFRESH_DONE = ("Successful", *REFRESH_FAILED, "none")


@dataclass(frozen=True)
class RefreshTarget:
    group_name: str
    launch_template_version: str
    region: str
    profile: str
    timeout_seconds: float
    poll_seconds: float

    @classmethod
    def from_props(cls, props: dict[str, Any]) -> RefreshTarget:
        return cls(
            group_name=props["groupName"],
            launch_template_version=str(props["launchTemplateVersion"]),
            region=props["region"],
            profile=props.get("profile") or "",
            timeout_seconds=float(props["timeoutSeconds"]),
            poll_seconds=float(props.get("pollSeconds") or 15),
        )


def connect(region: str, profile: str) -> Aws:
    """boto3 with the same credentials the AWS provider uses (environment or aws:profile)."""
    import boto3

    return Aws(boto3.Session(region_name=region, profile_name=profile or None))


def running_version(aws: Aws, group_name: str) -> str:
    group = aws.auto_scaling_group(group_name)
    template = group.get("LaunchTemplate") or {}
    return str(template.get("Version", "?"))


def wait_for_rollout(aws: Aws, target: RefreshTarget, first: bool = False) -> str:
    """Wait until the group's newest instance refresh ends; the group must then run the
    launch template version the stack asked for. Returns the refresh's status.

    Raises UserError saying how the refresh ended and which version the group runs, when
    it failed, was cancelled or rolled back, or is still going when the time is up.
    """
    try:
        aws.wait_instance_refresh(target.group_name, target.timeout_seconds, target.poll_seconds)
        waited = None
    except UserError as error:
        waited = error
    latest = aws.latest_instance_refresh(target.group_name)
    if latest is None:
        status, reason = "none", ""  # a new group, launched on this version
    else:
        status, reason = latest.get("Status", "unknown"), latest.get("StatusReason", "")
    outcome = f"ended {status}" + (f" ({reason})" if reason else "")
    if status not in REFRESH_DONE:
        raise UserError(
            f"the instance refresh of {target.group_name} is still {status} after "
            f"{target.timeout_seconds:g} s ({waited}); Auto Scaling goes on with it. Check it "
            f"with `shipyard status`, then run `pulumi up --refresh` to record how it ended",
            exit_code=UNHEALTHY,
        )
    running = running_version(aws, target.group_name)
    # The first wait on a group (the step is new) finds its last refresh from before: what
    # counts is that the group runs what the stack asks. So does a rollback that ended on
    # that version (an earlier refresh's); any other failure is this rollout's.
    settled = status in ("Successful", "none", "RollbackSuccessful") or first
    if not settled or running != target.launch_template_version:
        raise UserError(
            f"the instance refresh of {target.group_name} {outcome}; the group runs launch "
            f"template version {running}, the stack asks for {target.launch_template_version}. "
            "The update is marked failed; run `pulumi up --refresh` to read back what the "
            "group runs, then deploy a release that works",
            exit_code=UNHEALTHY,
        )
    return status


class InstanceRefreshWaitProvider(ResourceProvider):
    """A dynamic provider whose create and update wait for the group's rollout."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        self._wait(props, first=True)
        return CreateResult(id_=props["groupName"], outs=props)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # Only a new launch template version starts a rollout worth waiting for.
        watched = ("groupName", "launchTemplateVersion")
        changed = any(olds.get(key) != news.get(key) for key in watched)
        return DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        self._wait(news)
        return UpdateResult(outs=news)

    @staticmethod
    def _wait(props: dict[str, Any], first: bool = False) -> None:
        target = RefreshTarget.from_props(props)
        try:
            wait_for_rollout(connect(target.region, target.profile), target, first)
        except UserError as error:
            # The engine shows the exception's message as the update's error.
            raise RuntimeError(str(error)) from None
