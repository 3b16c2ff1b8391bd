"""Roll a new launch template version out to an Auto Scaling group, inside `pulumi up`.

The Terraform resource behind aws.autoscaling.Group saves a new launch template version on
the group first (UpdateAutoScalingGroup) and only then starts an instance refresh to it. Auto
Scaling rolls a refresh back to "the configuration that you last saved on the Auto Scaling
group before starting the instance refresh": the new version, so an alarm-tripped canary kept
the bad image everywhere and the update succeeded (hashicorp/terraform-provider-aws#34189).

So the group ignores launch template changes (shipyard/program/components/ec2_service.py), and the
`InstanceRefreshWait` after it starts the refresh here, with the new version as its
DesiredConfiguration and the group's saved configuration untouched. Auto Scaling saves the
desired configuration on the group only when the refresh succeeds ("Once the instance refresh
succeeds, Amazon EC2 Auto Scaling updates the settings of the Auto Scaling group to reflect the
new desired configuration", StartInstanceRefresh). Any other ending (failed, cancelled, rolled
back) fails the update; the group keeps the previous version and its image, and the release
record, which waits for this step, stays on the previous release.

The provider lives in this installed package, not in infra/components, because Pulumi's
dynamic provider host unpickles it by module name in the project's virtualenv.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider, UpdateResult

from shipyard.aws import REFRESH_FAILED, Aws, connect
from shipyard.config.stack_files import whole_numbers
from shipyard.errors import UNHEALTHY, UserError

# How a refresh can end; anything else (Pending, InProgress, Baking, Cancelling,
# RollbackInProgress) is still going.
REFRESH_DONE = ("Successful", *REFRESH_FAILED)


@dataclass(frozen=True)
class RefreshTarget:
    group_name: str
    launch_template_version: str
    region: str
    profile: str
    timeout_seconds: float
    poll_seconds: float
    launch_template_id: str = ""
    # StartInstanceRefresh's Preferences, as the API takes them (the stack's settings).
    preferences: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_props(cls, props: dict[str, Any]) -> RefreshTarget:
        return cls(
            group_name=props["groupName"],
            launch_template_version=str(props["launchTemplateVersion"]),
            region=props["region"],
            profile=props.get("profile") or "",
            timeout_seconds=float(props["timeoutSeconds"]),
            poll_seconds=float(props.get("pollSeconds") or 15),
            launch_template_id=str(props.get("launchTemplateId") or ""),
            preferences=whole_numbers(dict(props.get("preferences") or {})),
        )

    @property
    def desired(self) -> dict[str, str]:
        return {
            "LaunchTemplateId": self.launch_template_id,
            "Version": self.launch_template_version,
        }


def saved_template(aws: Aws, group_name: str) -> dict[str, str]:
    """The launch template the group has saved: what it launches and a rollback returns to."""
    return dict(aws.auto_scaling_group(group_name).get("LaunchTemplate") or {})


def _is_target(saved: dict[str, str], target: RefreshTarget) -> bool:
    same_template = not target.launch_template_id or (
        saved.get("LaunchTemplateId") in (None, target.launch_template_id)
    )
    return same_template and str(saved.get("Version")) == target.launch_template_version


def _desired_template(refresh: dict[str, Any]) -> dict[str, str]:
    return dict((refresh.get("DesiredConfiguration") or {}).get("LaunchTemplate") or {})


def roll_out(aws: Aws, target: RefreshTarget) -> str:
    """Bring the group onto the target version with an instance refresh, and wait for it.
    Returns how it ended: "none" where the group already runs the version (a new group, or a
    retry after a refresh that succeeded), else "Successful".

    Raises UserError saying how the refresh ended and what the group runs when it failed, was
    cancelled or rolled back, or is still going when the time is up.
    """
    group = target.group_name
    if _is_target(saved_template(aws, group), target):
        return "none"  # a new group, or one a refresh to this version already moved
    latest = aws.latest_instance_refresh(group) or {}
    active = bool(latest) and latest.get("Status") not in REFRESH_DONE
    if active and _is_target(_desired_template(latest), target):
        refresh_id = str(latest["InstanceRefreshId"])  # a retried update finds its own
    elif active:
        desired = _desired_template(latest).get("Version")
        what = f"to launch template version {desired}" if desired else "(a `shipyard restart`)"
        raise UserError(
            f"another instance refresh of {group}, {what}, is {latest.get('Status')}; wait "
            "for it to end (`shipyard status`), then run the update again",
            exit_code=UNHEALTHY,
        )
    else:
        refresh_id = aws.start_rollout(group, target.desired, target.preferences)
    try:
        aws.wait_instance_refresh(
            group, target.timeout_seconds, target.poll_seconds, refresh_id=refresh_id
        )
        waited = None
    except UserError as error:
        waited = error
    refresh = aws.instance_refresh(group, refresh_id)
    status = str(refresh.get("Status", "unknown"))
    if status not in REFRESH_DONE:
        raise UserError(
            f"the instance refresh of {group} is still {status} after "
            f"{target.timeout_seconds:g} s ({waited}); Auto Scaling goes on with it. Check it "
            f"with `shipyard status`, then run `pulumi up --refresh` to record how it ended",
            exit_code=UNHEALTHY,
        )
    saved = saved_template(aws, group)
    if status != "Successful":
        raise UserError(
            f"the instance refresh of {group} ended {_outcome(refresh)}; the group runs launch "
            f"template version {saved.get('Version', '?')}, the stack asks for "
            f"{target.launch_template_version}. The update is marked failed and the release "
            "record keeps the previous release; run `pulumi up --refresh` to read back what the "
            "group runs, then deploy a release that works (or `shipyard rollback`)",
            exit_code=UNHEALTHY,
        )
    if not _is_target(saved, target):
        # Auto Scaling saves the desired configuration itself on success; if it has not (yet),
        # saving it here keeps what the group launches next on the version that just won.
        aws.save_launch_template(group, target.desired)
    return status


def _outcome(refresh: dict[str, Any]) -> str:
    status, reason = refresh.get("Status", "unknown"), refresh.get("StatusReason", "")
    rollback = (refresh.get("RollbackDetails") or {}).get("RollbackReason", "")
    if rollback == reason:
        rollback = ""
    said = "; ".join(part for part in (reason, rollback and f"rolled back: {rollback}") if part)
    return f"{status} ({said})" if said else str(status)


class InstanceRefreshWaitProvider(ResourceProvider):
    """A dynamic provider whose create and update wait for the group's rollout."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        # A new group runs its version already; an existing one gets this step's first rollout.
        self._wait(props)
        return CreateResult(id_=props["groupName"], outs=props)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # Only a new launch template (version) is a rollout; new preferences apply to the next.
        watched = ("groupName", "launchTemplateId", "launchTemplateVersion")
        changed = any(olds.get(key) != news.get(key) for key in watched)
        return DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        self._wait(news)
        return UpdateResult(outs=news)

    @staticmethod
    def _wait(props: dict[str, Any]) -> None:
        target = RefreshTarget.from_props(props)
        try:
            roll_out(connect(target.region, target.profile), target)
        except UserError as error:
            # The engine shows the exception's message as the update's error.
            raise RuntimeError(str(error)) from None
