"""The CLI's commands as functions of a Runtime: what each does, in order, and how it fails."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.markup import escape
from rich.table import Table

from shipyard.aws import Aws
from shipyard.cli import cost_check, deployments, health, releases, secret_sources, summary, traffic
from shipyard.cli.model import IMAGE_DIGEST_KEY, IMAGE_SOURCE_KEY
from shipyard.cli.pins import clear_pin, pin_command, revert_pin
from shipyard.cli.runtime import Runtime, confirm
from shipyard.config.stack_files import configured
from shipyard.errors import DANGEROUS_CHANGES, INTERRUPTED, OK, UNHEALTHY, USAGE, UserError

DURATION = re.compile(r"(\d+)([smhd])")
SECONDS_PER_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# CloudWatch keeps logs at most ten years (3653 days); further back holds nothing.
LONGEST_SINCE = timedelta(days=3653)


def repository_name(outputs: dict[str, Any]) -> str:
    return outputs["repositoryUrl"].split("/", 1)[1]


def configured_repository(rt: Runtime, config: Mapping[str, str]) -> str:
    """The repository a stack's config deploys from, deployed or not: the service stack's,
    named after serviceName."""
    return configured(config, rt.project_dir, "serviceName")


# ---- preview and deploy ---------------------------------------------------------------------


def show_preview(rt: Runtime, env: str, config: Mapping[str, str] | None = None) -> list:
    """Check the stack's secrets, then preview. `config`: the stack's, when the caller has
    read it already (a pin changes nothing the secrets check reads)."""
    secret_sources.require_no_plaintext(rt.project_dir, env)
    if config is None:
        config = rt.config(env)
    references = secret_sources.referenced_secrets(config, rt.project_dir, env)
    if references:
        secret_sources.require_secrets_exist(
            rt.aws(env), references, config.get("aws:region", "")
        )
    plan = rt.stacks.preview(env)
    if plan.diff_text:
        rt.console.print(plan.diff_text, markup=False, highlight=False)
    rt.console.print(summary.summary_table(plan.steps))
    for advisory in plan.advisories:
        rt.console.print(f"[yellow]policy[/]: {escape(advisory.describe())}", highlight=False)
    return plan.steps


def preview(rt: Runtime, env: str, over_budget: bool = False) -> int:
    rt.check_environment(env)
    config = rt.config(env)
    steps = show_preview(rt, env, config)
    cost_check.review(rt, env, config, over_budget)
    dangerous = summary.destructive(steps)
    for step in dangerous:
        what = "protected " if step.protected else ""
        rt.console.print(f"[bold red]DANGER[/]: {step.op} of {what}{step.type} {step.name}")
    if dangerous:
        rt.console.print(
            f"{len(dangerous)} stateful or protected resource(s) would be replaced or deleted; "
            f"exit code {DANGEROUS_CHANGES}"
        )
        return DANGEROUS_CHANGES
    return OK


def _wait(
    rt: Runtime,
    env: str,
    outputs: dict[str, Any],
    what: str,
    baseline: deployments.Baseline | None = None,
) -> int:
    traffic.judge_deployment(rt, env, outputs, baseline)
    try:
        report = health.wait_healthy(rt.aws(env), outputs, rt.timeout, rt.poll, rt.console)
    except KeyboardInterrupt:
        raise UserError(
            f"interrupted while waiting for health; {env} is updated to {what} and AWS goes on "
            f"rolling it out; check it with `shipyard status {env}`",
            exit_code=INTERRUPTED,
        ) from None
    except UserError as error:
        if error.exit_code == UNHEALTHY:
            raise  # the message already gives the state at that moment
        raise UserError(
            f"the update went through ({env} is updated to {what}), but waiting for health "
            f"stopped: {error}. AWS goes on rolling it out; check it with `shipyard status "
            f"{env}` once that is fixed",
            exit_code=error.exit_code,
        ) from None
    rt.console.print(f"[green]{env} is healthy[/] on {what}: {report.describe()}")
    return OK


def deploy(
    rt: Runtime,
    env: str,
    yes: bool,
    image: str | None = None,
    replace_rollback: bool = False,
    over_budget: bool = False,
) -> int:
    rt.check_environment(env)
    if image is not None:
        return deploy_image(rt, env, image, yes, replace_rollback, over_budget)
    config = rt.config(env)
    show_preview(rt, env, config)
    cost_check.review(rt, env, config, over_budget)
    confirm(rt, f"Deploy these changes to {env}?", yes)
    outputs, baseline = traffic.up_following(rt, env, f"shipyard deploy {env}")
    return _wait(rt, env, outputs, outputs.get("image", "its image"), baseline)


def deploy_image(
    rt: Runtime, env: str, digest: str, yes: bool, replace_rollback: bool,
    over_budget: bool = False,
) -> int:  # fmt: skip
    """Release one digest to the environment: what the pipeline runs for each environment."""
    if not releases.DIGEST.fullmatch(digest):
        raise UserError(
            f"--image {digest!r} is not an image digest (sha256: and 64 hex digits)",
            exit_code=USAGE,
        )
    config = rt.config(env)
    cost_check.review(rt, env, config, over_budget)
    outputs = rt.stacks.outputs(env)
    if outputs.get("image"):
        live = releases.live_digest(outputs)
        if digest == live:
            rt.console.print(f"{env} already runs {digest}; nothing to deploy", highlight=False)
            return OK
        held = config.get(IMAGE_SOURCE_KEY) == "release" and config.get(IMAGE_DIGEST_KEY) == live
        if held and not replace_rollback:
            # A release stack's pin lasts one update; one still naming what runs was left by
            # an instant rollback (or set by hand) to hold the environment there.
            raise UserError(
                f"{env} is held on {live[:19]} by its pin ({IMAGE_DIGEST_KEY}), as `shipyard "
                f"rollback` leaves it after stopping a deployment. Deploying {digest[:19]} "
                "would replace it, so nothing was changed. If this image has the fix, deploy "
                "it with --replace-rollback"
            )
        if not replace_rollback:
            traffic.refuse_what_ecs_rolled_back(rt, env, outputs, digest)
        history = _release_history(rt, env, outputs)
        current = releases.live_release(history, live)
        if current is not None and current.how == "rollback" and not replace_rollback:
            raise UserError(
                f"{env} runs a rollback: release {current.number} ({live[:19]}) was put back "
                f"by `shipyard rollback` at {current.when:%Y-%m-%d %H:%M} UTC. Deploying "
                f"{digest[:19]} would replace it, so nothing was changed. If this image has "
                "the fix, deploy it with --replace-rollback"
            )
    repository = configured_repository(rt, config)
    _require_in_ecr(rt.aws(env), repository, digest, env, ran_here=False)
    rt.console.print(f"deploying {digest} to {env}; building nothing", highlight=False)
    return pin_and_deploy(rt, env, digest, "deploy", yes, outputs)


def restart(rt: Runtime, env: str, yes: bool) -> int:
    """Replace every task or instance on the image it runs, so each reads its secrets again:
    ECS starts a new deployment of the same task definition, EC2 an instance refresh of the
    same launch template. Nothing is built, no stack is updated."""
    rt.check_environment(env)
    outputs = rt.deployed_outputs(env)
    config = rt.config(env)
    aws = rt.aws(env)
    if outputs.get("target") == "ec2":
        group = outputs["autoScalingGroupName"]
        what = f"replace every instance of {group} (an instance refresh)"
    else:
        what = f"start a new deployment of ECS service {outputs['serviceName']}"
    confirm(rt, f"Restart {env}: {what}, on the image it runs?", yes)
    # ECS's deployment of the restart is judged like an update's (blue/green, canary and
    # linear have no other rollout wait).
    baseline = traffic.baseline_before_update(rt, env, outputs)
    if outputs.get("target") == "ec2":
        aws.replace_instances(group, _refresh_preferences(rt, config))
    else:
        aws.restart_ecs_service(outputs["clusterName"], outputs["serviceName"])
    rt.console.print(f"restarting {env}: {what}", highlight=False)
    restarted = f"{outputs['image'].split('@')[-1][:19]} (restarted)"
    return _wait(rt, env, outputs, restarted, baseline)


def _refresh_preferences(rt: Runtime, config: Mapping[str, str]) -> dict[str, Any]:
    """The stack's own healthy percentages and warm-up, as `pulumi up` rolls the group;
    without its canary checkpoints, since a restart keeps the image."""

    def setting(key: str) -> int:
        return int(configured(config, rt.project_dir, key))

    return {
        "MinHealthyPercentage": setting("instanceRefreshMinHealthyPercent"),
        "MaxHealthyPercentage": setting("instanceRefreshMaxHealthyPercent"),
        "InstanceWarmup": setting("instanceWarmup"),
        "SkipMatching": False,
    }


# ---- releases, rollback, promote -------------------------------------------------------------


def _release_history(rt: Runtime, env: str, outputs: dict[str, Any]) -> list[releases.Release]:
    images = rt.aws(env).images(repository_name(outputs))
    return releases.release_history(env, rt.stacks.history(env), images)


def release_list(rt: Runtime, env: str) -> tuple[list[releases.Release], dict[str, Any]]:
    outputs = rt.deployed_outputs(env)
    return _release_history(rt, env, outputs), outputs


def show_releases(rt: Runtime, env: str) -> int:
    rt.check_environment(env)
    history, outputs = release_list(rt, env)
    if not history:
        rt.console.print(
            f"no releases: Pulumi's history of {env} has no succeeded update (the stack is "
            f"deployed, so its history was cleared or only failed updates remain). It runs "
            f"{releases.live_digest(outputs)}",
            highlight=False,
        )
        return OK
    live = releases.live_release(history, releases.live_digest(outputs))
    table = Table(title=f"Releases of {env}, newest first")
    for column in ("#", "when (UTC)", "digest", "commit", "how", "live"):
        table.add_column(column)
    for release in reversed(history):
        table.add_row(
            str(release.number),
            release.when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            release.short_digest,
            release.commit[:12],
            release.how,
            "[bold green]live[/]" if live and release.number == live.number else "",
        )
    rt.console.print(table)
    return OK


def pin_and_deploy(
    rt: Runtime,
    env: str,
    digest: str,
    reason: str,
    yes: bool,
    deployed: dict[str, Any] | None = None,
) -> int:
    """Pin `digest`, preview, update and wait; a pin that is not deployed is reverted.

    Whatever happens, the pin ends up equal to what is deployed, or the message says exactly
    how they differ and the command that puts it right. `deployed`: the stack's outputs, when
    the caller has just read them.
    """
    config = rt.config(env)
    previous = config.get(IMAGE_DIGEST_KEY)
    repository = configured_repository(rt, config)
    rt.stacks.set_config(env, IMAGE_DIGEST_KEY, digest)
    try:
        steps = show_preview(rt, env, config)
        if summary.images_built(steps):
            raise UserError(
                f"the preview would build an image; a {reason} must not. Nothing changed"
            )
        confirm(rt, f"{reason.capitalize()} {env} to {digest[:19]}?", yes)
        # Looked up again: the image may have expired or been deleted while this ran.
        _require_in_ecr(rt.aws(env), repository, digest, env)
        outputs, baseline = traffic.up_following(
            rt, env, f"shipyard {reason} {env} to {digest}", deployed
        )
    except KeyboardInterrupt:
        raise UserError(
            f"interrupted; {revert_pin(rt, env, previous, digest)}", exit_code=INTERRUPTED
        ) from None
    except UserError as error:
        raise UserError(
            f"{error}; {revert_pin(rt, env, previous, digest)}", exit_code=error.exit_code
        ) from None
    except BaseException:
        revert_pin(rt, env, previous, digest)
        raise
    config = _deployed_as_pinned(rt, env, digest, outputs)
    if config.get(IMAGE_SOURCE_KEY) == "release":
        clear_pin(rt, env, digest)
    else:
        rt.console.print(
            f"{env} builds app/ on every update, so it stays pinned to {digest[:19]} until you "
            f"remove the pin (`{pin_command(env, None)}`)",
            highlight=False,
        )
    return _wait(rt, env, outputs, digest, baseline)


def _deployed_as_pinned(
    rt: Runtime, env: str, digest: str, outputs: dict[str, Any]
) -> dict[str, str]:
    """After the update: it deployed our pin, and the pin still says so. Returns the stack's
    config as read then."""
    deployed = releases.live_digest(outputs)
    config = rt.config(env)
    pinned = config.get(IMAGE_DIGEST_KEY)
    if deployed == digest and pinned == digest:
        return config
    if deployed != digest:
        happened = (
            f"the update deployed {deployed}, not {digest}: {IMAGE_DIGEST_KEY} was changed by "
            "another change to the stack before the update ran"
        )
    else:
        happened = f"{env} runs {digest} as asked"
    agreement = (
        f"the pin says the same, so they agree. Run the command again if {digest[:19]} is "
        "still wanted"
        if pinned == deployed
        else f"but the pin now says {pinned or 'unset'}; make them agree with "
        f"`{pin_command(env, deployed)}`, or deploy the pin with `shipyard deploy {env}`"
    )
    raise UserError(f"{happened}; {agreement}")


def _require_in_ecr(
    aws: Aws, repository: str, digest: str, env: str, ran_here: bool = True
) -> None:
    if aws.image(repository, digest) is not None:
        return
    if ran_here:
        raise UserError(
            f"{digest[:19]} is no longer in ECR repository {repository} (expired by its "
            f"lifecycle policy or deleted); {env} was not changed. Pick another release"
        )
    raise UserError(
        f"{digest[:19]} is not in ECR repository {repository}, which {env} deploys from: it "
        f"expired or was deleted, or it is another repository's image; {env} was not "
        f"changed. `shipyard releases {env}` lists what it ran"
    )


def rollback(rt: Runtime, env: str, to: str | None, yes: bool) -> int:
    rt.check_environment(env)
    if to is not None and not to.isdigit() and not releases.DIGEST.fullmatch(to):
        raise UserError(
            f"--to {to!r} is neither a release number nor a digest (sha256: and 64 hex digits); "
            f"`shipyard releases {env}` lists both",
            exit_code=USAGE,
        )
    outputs = rt.deployed_outputs(env)
    if to is None and deployments.shifts_traffic(outputs):
        active = rt.aws(env).service_deployments(
            outputs["clusterName"], outputs["serviceName"], deployments.STOPPABLE
        )
        if active:
            return traffic.instant_rollback(rt, env, active[0]["serviceDeploymentArn"], yes)
    history = _release_history(rt, env, outputs)
    live = releases.live_digest(outputs)
    chosen = releases.choose_rollback(history, live, to)
    digest = chosen if isinstance(chosen, str) else chosen.digest
    assert digest is not None
    if digest == live:
        raise UserError(f"{env} already runs {digest[:19]}; nothing to roll back")
    known = isinstance(chosen, releases.Release)
    _require_in_ecr(rt.aws(env), repository_name(outputs), digest, env, ran_here=known)
    label = f"release {chosen.number}" if isinstance(chosen, releases.Release) else digest[:19]
    rt.console.print(f"rolling {env} back from {live[:19]} to {label} ({digest}); building nothing")
    return pin_and_deploy(rt, env, digest, "rollback", yes, outputs)


def promote(rt: Runtime, source: str, target: str, yes: bool) -> int:
    rt.check_environment(source)
    rt.check_environment(target)
    if source == target:
        raise UserError("promote needs two different environments", exit_code=USAGE)
    source_outputs = rt.deployed_outputs(source)
    source_repository = repository_name(source_outputs)
    # The target's own config decides where it deploys from, deployed yet or not.
    target_repository = configured_repository(rt, rt.config(target))
    if target_repository != source_repository:
        raise UserError(
            f"{source} deploys from ECR repository {source_repository} but {target} from "
            f"{target_repository}: they are different services (shipyard:serviceName), "
            "so an image is not promoted between them"
        )
    report = health.check(rt.aws(source), source_outputs)
    if not report.healthy:
        raise UserError(
            f"{source} is not healthy, so its image is not promoted: {report.describe()}",
            exit_code=UNHEALTHY,
        )
    digest = releases.live_digest(source_outputs)
    _require_in_ecr(rt.aws(source), source_repository, digest, target)
    rt.console.print(f"promoting {digest} from {source} (healthy) to {target}")
    return pin_and_deploy(rt, target, digest, "promotion", yes)


# ---- status and logs ---------------------------------------------------------------------


def status(rt: Runtime, env: str) -> int:
    rt.check_environment(env)
    history, outputs = release_list(rt, env)
    digest = releases.live_digest(outputs)
    live = releases.live_release(history, digest)
    report = health.check(rt.aws(env), outputs)
    agree, agreement = health.release_agreement(rt.aws(env), outputs, report.compute)
    table = Table(title=f"{env} ({outputs.get('target', 'ecs')})", show_header=False)
    table.add_row("url", outputs.get("url", ""))
    table.add_row("live digest", digest)
    table.add_row("commit", live.commit if live else "unknown")
    table.add_row("released by", live.how if live else "unknown")
    for what, state in [*agreement, *report.rows, *traffic.last_deployment_rows(rt, env, outputs)]:
        table.add_row(what, state)
    healthy = report.healthy and agree
    table.add_row("healthy", "[green]yes[/]" if healthy else "[red]no[/]")
    rt.console.print(table)
    return OK if healthy else UNHEALTHY


def parse_since(since: str) -> timedelta:
    match = DURATION.fullmatch(since.strip())
    if not match or int(match.group(1)) == 0:
        raise UserError(
            f"--since {since!r} is not a duration; use a number and s, m, h or d, like 10m",
            exit_code=USAGE,
        )
    seconds = int(match.group(1)) * SECONDS_PER_UNIT[match.group(2)]
    if seconds > LONGEST_SINCE.total_seconds():
        raise UserError(
            f"--since {since} reaches back further than CloudWatch keeps logs (at most "
            f"{LONGEST_SINCE.days} days); use a shorter duration, like 30d",
            exit_code=USAGE,
        )
    return timedelta(seconds=seconds)


def logs(rt: Runtime, env: str, since: str, follow: bool) -> int:
    rt.check_environment(env)
    start = datetime.now(UTC) - parse_since(since)
    outputs = rt.deployed_outputs(env)
    aws, group = rt.aws(env), outputs["logGroupName"]
    start_ms, token = int(start.timestamp() * 1000), None
    if not aws.has_log_streams(group):
        rt.console.print(
            f"no logs: nothing has written to {group} yet (no log streams). Has a task or "
            f"instance started? `shipyard status {env}` shows what runs",
            highlight=False,
        )
        return OK
    printed = 0
    while True:
        events, token = aws.log_events(group, start_ms, token)
        printed += len(events)
        for event in events:
            stamp = datetime.fromtimestamp(event["timestamp"] / 1000, UTC).strftime("%H:%M:%S")
            rt.console.print(
                f"{stamp} {event.get('logStreamName', '')} {event['message'].rstrip()}",
                markup=False,
                highlight=False,
            )
            start_ms = max(start_ms, event["timestamp"] + 1)
        if token:
            continue
        if not follow:
            if not printed:
                rt.console.print(f"no log events in {group} in the last {since}", highlight=False)
            return OK
        # Tailing has no waiter to lean on: poll for new events.
        time.sleep(rt.poll)
