"""`shipyard`: release management for the stacks of this project.

`main(argv) -> int` runs one command; a UserError is printed without a traceback and turns
into its exit code. boto3 and the Pulumi Automation API load only when a command needs them,
so `shipyard --help` starts fast.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.exceptions import TyperException

from shipyard.cli.project import PROJECT_DIR
from shipyard.errors import INTERRUPTED, USAGE, UserError

if TYPE_CHECKING:
    from shipyard.cli.runtime import Runtime


app = typer.Typer(
    name="shipyard",
    help="Preview, deploy, roll back and promote shipyard environments (Pulumi stacks).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def flag(*names: str, help: str, **more: object) -> typer.models.OptionInfo:
    """An on/off option. No metavar: typer would show `<bool>` after each flag."""
    return typer.Option(*names, help=help, metavar="", **more)  # type: ignore[arg-type]


Env = Annotated[str, typer.Argument(help="Environment: a stack with stacks/Pulumi.<env>.yaml.")]
Yes = Annotated[bool, flag("--yes", "-y", help="Do not ask for confirmation.")]
OverBudget = Annotated[
    bool,
    flag("--over-budget", help="Go on when the estimate at maxCapacity is over monthlyBudget."),
]
Timeout = Annotated[
    float | None,
    # The brackets escaped: rich would read "[default: 900]" as markup and drop it.
    typer.Option(help="Seconds to wait for health \\[default: 900].", min=1),
]


def show_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"shipyard {version('shipyard')}")
        raise typer.Exit()


@app.callback()
def options(
    version: Annotated[
        bool,
        flag("--version", help="Show the version and exit.", callback=show_version, is_eager=True),
    ] = False,
) -> None:
    """Preview, deploy, roll back and promote shipyard environments (Pulumi stacks)."""


def default_runtime() -> Runtime:
    import boto3

    from shipyard.aws import Aws
    from shipyard.cli.automation_adapter import AutomationStacks
    from shipyard.cli.runtime import Runtime

    # No emoji codes: ARNs hold ":secret:" and the like, which rich would draw as emoji.
    console = Console(emoji=False)

    def confirm(question: str) -> bool:
        if not sys.stdin.isatty():
            raise UserError("no terminal to confirm on; pass --yes to go ahead")
        return typer.confirm(question, default=False)

    return Runtime(
        stacks=AutomationStacks(PROJECT_DIR),
        # One session and its clients per region, for the whole command.
        aws_for_region=functools.cache(lambda region: Aws(boto3.Session(region_name=region))),
        console=console,
        confirm=confirm,
    )


def interruptible(operation: Callable[..., int], *args: object) -> int:
    """Run a command; Ctrl-C becomes a reported interruption (typer would swallow it)."""
    try:
        return operation(*args)
    except KeyboardInterrupt:
        raise UserError("interrupted", exit_code=INTERRUPTED) from None


def runtime(ctx: typer.Context, timeout: float | None = None) -> Runtime:
    if ctx.obj is None:
        ctx.obj = default_runtime()
    if timeout is not None:
        ctx.obj.timeout = timeout
    return ctx.obj


@app.command("validate")
def validate_command(
    envs: Annotated[
        list[str] | None,
        typer.Argument(metavar="[ENV]...", help="Environments to check \\[default: all]."),
    ] = None,
) -> int:
    """Check stack files without the Pulumi CLI or AWS credentials.

    Evaluates the program offline for each environment and lists every problem by key.
    Exits 1 if any environment has one.
    """
    from shipyard.cli import validation

    return validation.validate(PROJECT_DIR, envs or [], Console(soft_wrap=True, emoji=False))


@app.command("preview")
def preview_command(ctx: typer.Context, env: Env, over_budget: OverBudget = False) -> int:
    """Show the stack's preview with its diff, then changes counted by resource type, and
    the monthly cost before and after.

    Exits 3 when a stateful or protected resource would be replaced or deleted, or the
    estimate at maxCapacity is over monthlyBudget.
    """
    from shipyard.cli import operations

    return interruptible(operations.preview, runtime(ctx), env, over_budget)


@app.command("deploy")
def deploy_command(
    ctx: typer.Context,
    env: Env,
    image: Annotated[
        str | None,
        typer.Option(
            "--image",
            metavar="DIGEST",
            help="Deploy this image (sha256:...) of the service's repository; builds nothing.",
        ),
    ] = None,
    replace_rollback: Annotated[
        bool,
        flag(
            "--replace-rollback", help="Deploy --image even though the environment runs a rollback."
        ),
    ] = False,
    yes: Yes = False,
    timeout: Timeout = None,
    over_budget: OverBudget = False,
) -> int:
    """Preview, confirm, update, and wait until the environment is healthy.

    Without --image, a build stack builds app/ and a release stack keeps its release.
    Refused (exit 3) when the estimate at maxCapacity is over monthlyBudget.
    """
    from shipyard.cli import operations

    return interruptible(
        operations.deploy, runtime(ctx, timeout), env, yes, image, replace_rollback,
        over_budget,
    )  # fmt: skip


@app.command("restart")
def restart_command(ctx: typer.Context, env: Env, yes: Yes = False, timeout: Timeout = None) -> int:
    """Replace every task or instance on the same image, so each reads its secrets again.

    ECS: a new deployment of the same task definition. EC2: an instance refresh. Waits for
    health like deploy; builds nothing and updates no stack.
    """
    from shipyard.cli import operations

    return interruptible(operations.restart, runtime(ctx, timeout), env, yes)


@app.command("releases")
def releases_command(ctx: typer.Context, env: Env) -> int:
    """The images this environment actually ran, newest first."""
    from shipyard.cli import operations

    return interruptible(operations.show_releases, runtime(ctx), env)


@app.command("rollback")
def rollback_command(
    ctx: typer.Context,
    env: Env,
    to: Annotated[
        str | None,
        typer.Option("--to", help="Release number or sha256 digest (default: previous)."),
    ] = None,
    yes: Yes = False,
    timeout: Timeout = None,
) -> int:
    """Put the environment back on an earlier image. Builds nothing.

    During a blue/green, canary or linear deployment (or its bake) it stops it instead.
    """
    from shipyard.cli import operations

    return interruptible(operations.rollback, runtime(ctx, timeout), env, to, yes)


@app.command("promote")
def promote_command(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Argument(metavar="FROM", help="Healthy environment to take the image from.")
    ],
    target: Annotated[str, typer.Argument(metavar="TO", help="Environment to deploy it to.")],
    yes: Yes = False,
    timeout: Timeout = None,
) -> int:
    """Deploy FROM's live digest to TO, unchanged."""
    from shipyard.cli import operations

    return interruptible(operations.promote, runtime(ctx, timeout), source, target, yes)


@app.command("status")
def status_command(ctx: typer.Context, env: Env) -> int:
    """Live digest and commit, counts, target health, last deployment, alarms in ALARM."""
    from shipyard.cli import operations

    return interruptible(operations.status, runtime(ctx), env)


@app.command("logs")
def logs_command(
    ctx: typer.Context,
    env: Env,
    since: Annotated[str, typer.Option(help="How far back: 30s, 10m, 2h, 1d.")] = "10m",
    follow: Annotated[
        bool, flag("--follow", "-f", help="Keep printing new events.")
    ] = False,
) -> int:
    """The service's CloudWatch logs."""
    from shipyard.cli import operations

    return interruptible(operations.logs, runtime(ctx), env, since, follow)


@app.command("run")
def run_command(
    ctx: typer.Context,
    env: Env,
    command: Annotated[
        list[str] | None,
        typer.Argument(metavar="-- COMMAND...", help="The command and its arguments, after --."),
    ] = None,
    image: Annotated[
        str | None,
        typer.Option(
            "--image", metavar="DIGEST",
            help="Run this image (sha256:...) of the service's repository instead of the live one.",
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            help="Seconds the command may run before it is stopped (exit 124) \\[default: 3600].",
            min=1,
        ),
    ] = None,
) -> int:
    """Run COMMAND once in the environment: its image, variables, secrets, network and roles.

    Prints the command's log lines as they arrive and exits with its exit code. Ctrl-C
    stops it. ECS: a task of the service's task definition. EC2: the container on one of
    the group's instances, through SSM Run Command.
    """
    from shipyard.cli import one_off

    return interruptible(one_off.run, runtime(ctx), env, command or [], image, timeout)


@app.command("exec")
def exec_command(
    ctx: typer.Context,
    env: Env,
    command: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[-- COMMAND...]", help="A command to run instead of a shell, after --."
        ),
    ] = None,
    task: Annotated[
        str | None,
        typer.Option(
            "--task", metavar="ID",
            help="ECS: the task to open it in; EC2: the instance \\[default: one running].",
        ),
    ] = None,
) -> int:
    """A shell, or one command, in a running container of the environment.

    ECS: ECS Exec (the stack's exec setting). EC2: docker exec in the service's container,
    over Session Manager (sessionManager). Needs AWS's Session Manager plugin.
    """
    from shipyard.cli import shell

    return interruptible(shell.exec_in, runtime(ctx), env, task, command or [])


@app.command("cost")
def cost_command(
    env: Annotated[
        str | None, typer.Argument(help="Environment, or the service stack (shared).")
    ] = None,
    as_json: Annotated[bool, flag("--json", help="Print the estimate as JSON.")] = False,
    refresh_prices: Annotated[
        bool,
        flag("--refresh-prices",
             help="Remake the price snapshot from AWS's Price List API (needs credentials)."),
    ] = False,
    requests: Annotated[
        int | None,
        typer.Option("--requests", min=0, help="Requests a month (WAF, DNS) \\[costRequests]."),
    ] = None,
    nat_gb: Annotated[
        float | None,
        typer.Option("--nat-gb", min=0, help="GB a month through NAT gateways \\[costNatGb]."),
    ] = None,
    log_gb: Annotated[
        float | None, typer.Option("--log-gb", min=0, help="Log GB a month \\[costLogGb].")
    ] = None,
) -> int:
    """What a stack costs a month, before it exists: no AWS credentials, no Pulumi CLI.

    One line per billed resource; the total at the minimum, desired and maximum count.
    Usage-driven items come from the assumptions printed with it.
    """
    from shipyard.cli import cost, prices

    if refresh_prices:
        for line in prices.refresh_and_report():
            typer.echo(line)
        if env is None:
            return 0
    if env is None:
        raise UserError("name a stack to price: shipyard cost ENV", exit_code=USAGE)
    flags = {"requests": requests, "nat_gb": nat_gb, "log_gb": log_gb}
    console = Console(soft_wrap=True, emoji=False)
    return cost.report(PROJECT_DIR, env, console, as_json, flags)


def one_line(message: str) -> str:
    return " ".join(line.strip() for line in str(message).splitlines() if line.strip())


def _plain_help_options(command: Any) -> None:
    """`--help` without typer's `<bool>`, on the group and each command (typer's own click)."""
    make = command.get_help_option

    def help_option(ctx: Any) -> Any:
        option = make(ctx)
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = help_option
    for sub in getattr(command, "commands", {}).values():
        _plain_help_options(sub)


def main(argv: list[str] | None = None, rt: Runtime | None = None) -> int:
    command = typer.main.get_command(app)
    _plain_help_options(command)
    # No wrapping: an error is one line, whatever the width, when nothing reads it as a terminal.
    errors = Console(stderr=True, soft_wrap=True, emoji=False)
    try:
        result = command.main(
            args=sys.argv[1:] if argv is None else argv,
            prog_name="shipyard",
            standalone_mode=False,
            obj=rt,
        )
    except UserError as error:
        message = str(error) if errors.is_terminal else one_line(str(error))
        errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
        return error.exit_code
    except TyperException as error:  # bad usage: typer says what and exits 2
        show = getattr(error, "show", None)
        if show:
            show()
        else:
            errors.print(f"error: {error.format_message()}")
        return getattr(error, "exit_code", USAGE)
    except (KeyboardInterrupt, typer.Abort):
        errors.print("interrupted")
        return INTERRUPTED
    return result if isinstance(result, int) else 0


def entrypoint() -> None:
    sys.exit(main())
