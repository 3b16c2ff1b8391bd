"""Instance refreshes for the local cloud's account, which moto lacks: AWS's plainest
outcome, a refresh that succeeds at once and leaves the group on its desired
configuration. It serves what reaches moto over HTTP: the rollout step under the real
engine. The CLI's tests script every other outcome on their own clients
(devtools/instance_refreshes.py), which never reach these handlers.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import ActionResult


def _refreshes(response: AutoScalingResponse, group_name: str) -> list[dict[str, Any]]:
    # Kept on moto's group itself, so a reset of moto forgets them with the group.
    group: Any = response.autoscaling_backend.autoscaling_groups[group_name]
    if not hasattr(group, "shipyard_refreshes"):
        group.shipyard_refreshes = []
    refreshes: list[dict[str, Any]] = group.shipyard_refreshes
    return refreshes


def _start(self: AutoScalingResponse) -> ActionResult:
    params = self._get_params()
    group_name = params["AutoScalingGroupName"]
    desired = params.get("DesiredConfiguration") or {}
    template = desired.get("LaunchTemplate")
    if template:
        group = self.autoscaling_backend.autoscaling_groups[group_name]
        group._set_launch_configuration("", template, None)
    now = datetime.now(UTC)
    refresh = {
        "InstanceRefreshId": str(uuid.uuid4()), "AutoScalingGroupName": group_name,
        "Status": "Successful", "StatusReason": "every instance replaced (the local cloud)",
        "StartTime": now, "EndTime": now, "PercentageComplete": 100,
        **({"DesiredConfiguration": {"LaunchTemplate": template}} if template else {}),
    }  # fmt: skip
    _refreshes(self, group_name).insert(0, refresh)
    return ActionResult({"InstanceRefreshId": refresh["InstanceRefreshId"]})


def _describe(self: AutoScalingResponse) -> ActionResult:
    params = self._get_params()
    wanted = params.get("InstanceRefreshIds") or []
    listed = [
        refresh for refresh in _refreshes(self, params["AutoScalingGroupName"])
        if not wanted or refresh["InstanceRefreshId"] in wanted
    ]  # fmt: skip
    return ActionResult({"InstanceRefreshes": listed})


def install() -> None:
    """Add the two calls to moto's Auto Scaling, in the process that serves moto."""
    AutoScalingResponse.start_instance_refresh = _start  # type: ignore[attr-defined]
    AutoScalingResponse.describe_instance_refreshes = _describe  # type: ignore[attr-defined]
