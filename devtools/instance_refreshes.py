"""Auto Scaling's instance refreshes as AWS documents them, for moto, which has none.

moto keeps the Auto Scaling group and its saved launch template; this model answers
StartInstanceRefresh and DescribeInstanceRefreshes on top of it, by AWS's documented rules:
- a refresh with a DesiredConfiguration saves it on the group only when it succeeds ("Once the
  instance refresh succeeds, Amazon EC2 Auto Scaling updates the settings of the Auto Scaling
  group to reflect the new desired configuration", API_StartInstanceRefresh);
- a rollback returns to "the configuration that you last saved on the Auto Scaling group
  before starting the instance refresh" (instance-refresh-rollback.html), so the saved
  configuration is left as it is, whatever that was;
- AutoRollback needs a DesiredConfiguration, and one refresh runs at a time per group.
How each refresh ends is the test's script (`end_with`); it ends when it is first described.
"""

from __future__ import annotations

import itertools
from typing import Any

from botocore.awsrequest import AWSResponse

DONE = ("Successful", "Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed")


class InstanceRefreshes:
    def __init__(self, autoscaling: Any, saved_groups: Any) -> None:
        """`autoscaling`: the client the code under test uses (hooks go on it); `saved_groups`:
        a client of the same moto without hooks, for the model's own reads and writes."""
        self.moto = saved_groups
        self.by_group: dict[str, list[dict[str, Any]]] = {}  # newest first
        self.requests: list[dict[str, Any]] = []
        self.refuse_with = ""
        self.outcome: tuple[str, str, int] = ("Successful", "", 0)
        # Describes that do not list a refresh yet, just after it started.
        self.unlisted_describes = 0
        self._ids = itertools.count(1)
        self._params: dict[str, Any] = {}
        events = autoscaling.meta.events
        events.register("before-parameter-build.autoscaling.StartInstanceRefresh", self._keep)
        events.register("before-call.autoscaling.StartInstanceRefresh", self._start)
        events.register(
            "before-parameter-build.autoscaling.DescribeInstanceRefreshes", self._keep
        )
        events.register("before-call.autoscaling.DescribeInstanceRefreshes", self._describe)

    # ---- the test's script ----------------------------------------------------------------

    def end_with(self, status: str, reason: str = "", after_polls: int = 0) -> None:
        """How refreshes started from now on end: InProgress for the first `after_polls`
        times they are described, then `status` (one that is not final never ends)."""
        self.outcome = (status, reason, after_polls)

    def past(self, group: str, status: str, reason: str = "") -> None:
        """A refresh that ended before the test, as the group's newest."""
        refresh = self._new(group, {}, {}, (status, reason, 0))
        self._settle(refresh)

    def saved_version(self, group: str) -> str:
        return str(self._group(group)["LaunchTemplate"]["Version"])

    # ---- AWS's side -------------------------------------------------------------------------

    def _keep(self, params: dict[str, Any], **_: Any) -> None:
        self._params = dict(params)

    def _start(self, **_: Any) -> tuple[AWSResponse, dict]:
        params = self._params
        self.requests.append(params)
        group = params["AutoScalingGroupName"]
        if self.refuse_with:
            return _error(self.refuse_with, f"injected {self.refuse_with}")
        if any(r["Status"] not in DONE for r in self.by_group.get(group, [])):
            return _error(
                "InstanceRefreshInProgress",
                f"An Instance Refresh is already in progress for {group}.",
            )
        desired = params.get("DesiredConfiguration") or {}
        preferences = params.get("Preferences") or {}
        if preferences.get("AutoRollback") and not desired:
            return _error(
                "ValidationError",
                "The AutoRollback parameter cannot be set to true when the DesiredConfiguration "
                "parameter is empty.",
            )
        version = str((desired.get("LaunchTemplate") or {}).get("Version", ""))
        if preferences.get("AutoRollback") and version in ("$Latest", "$Default"):
            return _error("ValidationError", "Rollback is not available with $Latest/$Default.")
        refresh = self._new(group, desired, preferences, self.outcome)
        return AWSResponse(None, 200, {}, None), {"InstanceRefreshId": refresh["InstanceRefreshId"]}

    def _describe(self, **_: Any) -> tuple[AWSResponse, dict]:
        params = self._params
        refreshes = self.by_group.get(params["AutoScalingGroupName"], [])
        if self.unlisted_describes > 0 and refreshes:
            self.unlisted_describes -= 1
            refreshes = refreshes[1:]
        for refresh in refreshes:
            self._settle(refresh)
        wanted = params.get("InstanceRefreshIds")
        if wanted:
            refreshes = [r for r in refreshes if r["InstanceRefreshId"] in wanted]
        refreshes = refreshes[: params.get("MaxRecords", 50)]
        shown = [{k: v for k, v in r.items() if not k.startswith("_")} for r in refreshes]
        return AWSResponse(None, 200, {}, None), {"InstanceRefreshes": shown}

    def _new(
        self, group: str, desired: dict, preferences: dict, outcome: tuple[str, str, int]
    ) -> dict[str, Any]:
        refresh: dict[str, Any] = {
            "InstanceRefreshId": f"r-{next(self._ids):04d}",
            "AutoScalingGroupName": group,
            "Status": "Pending",
            "_outcome": outcome,
        }
        if desired:
            refresh["DesiredConfiguration"] = desired
        if preferences:
            refresh["Preferences"] = preferences
        self.by_group.setdefault(group, []).insert(0, refresh)
        return refresh

    def _settle(self, refresh: dict[str, Any]) -> None:
        if refresh["Status"] in DONE:
            return
        status, reason, after_polls = refresh["_outcome"]
        if after_polls > 0:
            refresh["Status"] = "InProgress"
            refresh["_outcome"] = (status, reason, after_polls - 1)
            return
        refresh["Status"] = status
        if reason:
            refresh["StatusReason"] = reason
        if status.startswith("Rollback"):
            # Back to what the group had saved when the refresh started: it is unchanged.
            refresh["RollbackDetails"] = {"RollbackReason": reason or "rolled back"}
        elif status == "Successful" and "DesiredConfiguration" in refresh:
            self.moto.update_auto_scaling_group(
                AutoScalingGroupName=refresh["AutoScalingGroupName"],
                LaunchTemplate=refresh["DesiredConfiguration"]["LaunchTemplate"],
            )

    def _group(self, name: str) -> dict[str, Any]:
        return self.moto.describe_auto_scaling_groups(AutoScalingGroupNames=[name])[
            "AutoScalingGroups"
        ][0]


def _error(code: str, message: str) -> tuple[AWSResponse, dict]:
    return AWSResponse(None, 400, {}, None), {"Error": {"Code": code, "Message": message}}
