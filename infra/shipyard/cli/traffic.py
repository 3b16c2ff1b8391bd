"""The CLI's side of ECS's service deployments: following the one an update starts and
judging it by ECS's record (every strategy), and for blue/green, canary and linear the
instant rollback while it bakes, and what that record says afterwards."""

from __future__ import annotations

import time
from typing import Any

from shipyard.cli import deployments, health
from shipyard.cli.model import IMAGE_DIGEST_KEY, ecs_moves_traffic
from shipyard.cli.pins import pin_command, revert_pin
from shipyard.cli.runtime import Runtime, confirm
from shipyard.config.stack_files import configured
from shipyard.errors import INTERRUPTED, OK, UNHEALTHY, UserError


def baseline_before_update(
    rt: Runtime, env: str, before: dict[str, Any]
) -> deployments.Baseline | None:
    """For a deployed ECS service, its newest deployment before the update; None when
    there is nothing to follow."""
    if "clusterName" not in before:
        return None  # not deployed yet, or on EC2
    try:
        return deployments.baseline(rt.aws(env), before)
    except UserError:
        if deployments.shifts_traffic(before):
            raise
        return None  # a rolling service: the provider's wait and the rollout wait judge it


def moves_traffic(rt: Runtime, env: str, before: dict[str, Any]) -> bool:
    """ECS moves this service's traffic, or will in this update (the stack now says so)."""
    strategy = configured(rt.config(env), rt.project_dir, "deploymentStrategy")
    return deployments.shifts_traffic(before) or (
        "clusterName" in before and ecs_moves_traffic("ecs", strategy)
    )


def up_following(
    rt: Runtime, env: str, message: str, before: dict[str, Any] | None = None
) -> tuple[dict[str, Any], deployments.Baseline | None]:
    """`pulumi up`, showing ECS's progress while the provider waits for the service
    deployment; returns the outputs, and on ECS the service's newest deployment before.
    `before`: the stack's outputs, when the caller has just read them."""
    before = rt.stacks.outputs(env) if before is None else before
    baseline = baseline_before_update(rt, env, before)
    if baseline is None:
        return rt.stacks.up(env, message, rt.console.print), None
    try:
        with deployments.watching(rt.aws(env), before, baseline, rt.console, rt.poll):
            return rt.stacks.up(env, message, rt.console.print), baseline
    except KeyboardInterrupt:
        if not moves_traffic(rt, env, before):
            raise
        raise UserError(
            f"interrupted: ECS goes on with the deployment of {env} it started. While it "
            f"moves traffic or bakes, `shipyard rollback {env}` sends every request back to "
            "the previous revision at once",
            exit_code=INTERRUPTED,
        ) from None
    except UserError as error:
        ended = deployments.latest(rt.aws(env), before, baseline)
        if ended is None or ended.get("status") not in deployments.TERMINAL:
            raise
        try:
            deployments.require_successful(ended, env)
        except UserError as outcome:
            raise UserError(f"{outcome}\n{error}", exit_code=outcome.exit_code) from None
        raise


def judge_deployment(
    rt: Runtime, env: str, outputs: dict[str, Any], baseline: deployments.Baseline | None
) -> None:
    """Success is ECS's service deployment SUCCESSFUL, whatever the strategy: never only
    "the service is stable" (a rolled-back deployment leaves it stable too)."""
    if baseline is None:
        return
    started = deployments.latest(rt.aws(env), outputs, baseline)
    if started is None:
        return  # the update changed nothing ECS deploys
    ended = deployments.follow(
        rt.aws(env), started["serviceDeploymentArn"], rt.console, rt.timeout, rt.poll
    )
    deployments.require_successful(ended, env)


def refuse_what_ecs_rolled_back(
    rt: Runtime, env: str, outputs: dict[str, Any], digest: str
) -> None:
    """ECS's own record, which every checkout and the pipeline read alike: the image its
    last deployment rolled back (by an alarm, or `shipyard rollback`) is not deployed again
    by accident, such as a re-run of the pipeline job that failed."""
    if not deployments.shifts_traffic(outputs):
        return
    last = deployments.latest(rt.aws(env), outputs)
    if last is None or not str(last.get("status", "")).startswith("ROLLBACK"):
        return
    revision = (last.get("targetServiceRevision") or {}).get("arn")
    if not revision or health.digest_of(rt.aws(env).service_revision_image(revision)) != digest:
        return
    raise UserError(
        f"ECS rolled {digest[:19]} back from {env} in its last deployment "
        f"({last['status']}: {deployments.why(last)}), so nothing was changed. If that was "
        "fixed outside the image, deploy it again with --replace-rollback"
    )


def instant_rollback(rt: Runtime, env: str, arn: str, yes: bool) -> int:
    """While ECS moves traffic or bakes, the previous revision's tasks still run: stop the
    deployment with ROLLBACK and every request goes back to them. No task starts, nothing
    is built, no `pulumi up` runs (the one that started the deployment fails when it ends).
    The pin is set to the previous image first, so no later `pulumi up` brings back the
    one rolled back; the release history never listed it, its update having failed."""
    aws = rt.aws(env)
    deployment = aws.service_deployment(arn)
    sources = deployment.get("sourceServiceRevisions") or []
    if len(sources) != 1:
        why_not = (
            "has no previous revision to go back to (the service's first)"
            if not sources
            else f"started from {len(sources)} revisions (an earlier deployment had not "
            "ended), so which one serves after a rollback is ECS's choice"
        )
        raise UserError(
            f"ECS's deployment of {env} in progress {why_not}; nothing was changed. Once it "
            f"ends, `shipyard rollback {env} --to <release>` deploys the release you name"
        )
    previous = health.digest_of(aws.service_revision_image(sources[0]["arn"]))
    rt.console.print(
        f"{env} is being deployed ({deployments.describe(deployment)}); the previous "
        f"revision still runs {previous}. Rolling back at once: ECS sends every request back "
        "to it; no task starts and nothing is built",
        highlight=False,
    )
    confirm(rt, f"Roll {env} back to {previous[:19]} now?", yes)
    config = rt.config(env)
    pinned = config.get(IMAGE_DIGEST_KEY)
    rt.stacks.set_config(env, IMAGE_DIGEST_KEY, previous)
    started = time.monotonic()
    try:
        aws.stop_service_deployment(arn)
    except (UserError, KeyboardInterrupt) as error:
        undone = revert_pin(rt, env, pinned, previous)
        failure = "interrupted" if isinstance(error, KeyboardInterrupt) else str(error)
        raise UserError(
            f"ECS did not take the rollback ({failure}); {undone}. If the deployment has "
            f"ended, `shipyard rollback {env}` rolls back by deploying the previous release",
            exit_code=INTERRUPTED if isinstance(error, KeyboardInterrupt) else UNHEALTHY,
        ) from None
    try:
        ended = deployments.follow(aws, arn, rt.console, rt.timeout, rt.poll)
    except KeyboardInterrupt:
        raise UserError(
            f"interrupted; ECS goes on rolling {env} back (the pin holds {previous[:19]}); "
            f"`shipyard status {env}` shows when it is done",
            exit_code=INTERRUPTED,
        ) from None
    if ended.get("status") != "ROLLBACK_SUCCESSFUL":
        raise UserError(
            f"ECS's rollback of {env} ended {ended.get('status')}: {deployments.why(ended)}; "
            f"the pin holds {previous[:19]}. Check `shipyard status {env}`",
            exit_code=UNHEALTHY,
        )
    rt.console.print(
        f"[green]{env} is back on {previous[:19]}[/] after {time.monotonic() - started:.0f} s; "
        f"no task started, nothing built. The pin holds it until the next deploy "
        f"(`{pin_command(env, None)}` to release it)",
        highlight=False,
    )
    return OK


def last_deployment_rows(rt: Runtime, env: str, outputs: dict[str, Any]) -> list[tuple[str, str]]:
    """`status`'s row for ECS's last deployment of the service: its stage and outcome."""
    if "clusterName" not in outputs:
        return []  # EC2: the instance refresh row says it
    strategy = outputs.get("deploymentStrategy") or "rolling"
    last = deployments.latest(rt.aws(env), outputs)
    if last is None:
        return [(f"last service deployment ({strategy})", "none listed")]
    state = deployments.describe(last)
    if last.get("status") not in ("SUCCESSFUL", "IN_PROGRESS", "PENDING"):
        state += f"; why: {deployments.why(last)}"
    return [(f"last service deployment ({strategy})", state)]
