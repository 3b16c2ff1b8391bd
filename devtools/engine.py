"""The real Pulumi engine on a copy of the project: the CLI on PATH or the one
scripts/build-engine built, a file backend and a passphrase in a temporary folder, and the
local cloud's provider plugins (devtools/local_cloud.py) on PATH. Used by tests/engine and
scripts/engine-check.

The Automation API drives the real CLI (`pulumi preview`, `up`, `destroy`), which runs the
program as it does for a user: through the Python language host that scripts/build-engine
builds beside it, with Pulumi.yaml's runtime options (tests may pass an inline program).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import boto3
from pulumi import automation as auto

from shipyard.cli.model import IMAGE_DIGEST_KEY, IMAGE_SOURCE_KEY
from shipyard.config.edge_checks import ZONE_ID
from shipyard.config.engine_config import engine_config
from shipyard.config.stack_files import project_name, stack_values

ROOT = Path(__file__).resolve().parent.parent
BUILT = ROOT / ".engine" / "bin"
PLUGINS = ROOT / "devtools" / "plugins"
PASSPHRASE = "test-only-passphrase"
# The image a stack that deploys only released images is first pinned to.
FIRST_DIGEST = "sha256:" + "f" * 64


def pulumi_cli() -> str | None:
    """A `pulumi` on PATH, else the one scripts/build-engine built; None without either."""
    return shutil.which("pulumi") or (
        str(BUILT / "pulumi") if (BUILT / "pulumi").is_file() else None
    )



def copy_program(source: Path, project: Path) -> None:
    """`source`'s infra/ into `project`, replacing what is there; its .venv link stays a
    link (to the project's .venv)."""
    target = project / "infra"
    if target.is_symlink():
        target.unlink()
    elif target.exists():
        shutil.rmtree(target)
    shutil.copytree(
        source / "infra", target, symlinks=True,
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )  # fmt: skip

@dataclass
class Engine:
    cli: str
    project: Path
    env: dict[str, str]

    @classmethod
    def in_folder(
        cls, cli: str, folder: Path, aws_endpoint: str = "", source: Path = ROOT
    ) -> Engine:
        """A copy of the project in `folder` (the CLI rewrites the stack files it touches),
        with its own backend and Pulumi home there too. `aws_endpoint`: the moto server the
        local cloud keeps its account in. `source`: the program's checkout (another release's,
        for an upgrade), run by the CLI through the language host."""
        project = folder / "project"
        project.mkdir()
        # The program is copied, so it runs from the project's own infra/ as in a checkout
        # (Pulumi runs it there, and the build context is relative to it); app/ is linked.
        copy_program(source, project)
        (project / "app").symlink_to(source / "app")
        # This checkout's virtualenv: the engine runs dynamic providers in it.
        (project / ".venv").symlink_to(ROOT / ".venv")
        shutil.copy(source / "Pulumi.yaml", project)
        shutil.copytree(source / "stacks", project / "stacks")
        (folder / "state").mkdir()
        env = {
            "PULUMI_HOME": str(folder / "home"),
            "PULUMI_BACKEND_URL": f"file://{folder / 'state'}",
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            # The local cloud's provider plugins, found by name on PATH.
            "PATH": os.pathsep.join((str(Path(cli).parent), str(PLUGINS), os.environ["PATH"])),
            "PULUMI_RUNTIME_VIRTUALENV": str(ROOT / ".venv"),
        }
        if aws_endpoint:
            env.update(
                AWS_ENDPOINT_URL=aws_endpoint, AWS_ACCESS_KEY_ID="testing",
                AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
            )  # fmt: skip
        return cls(cli, project, env)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        completed = subprocess.run(
            [self.cli, *args, "--non-interactive"], cwd=self.project,
            env={**os.environ, **self.env}, capture_output=True, text=True, check=False,
            timeout=300,
        )  # fmt: skip
        if check and completed.returncode:
            raise RuntimeError(
                f"pulumi {' '.join(args)} exited {completed.returncode}: {completed.stderr}"
                f"{completed.stdout[-3000:]}"
            )
        return completed

    def init(self, stack: str) -> None:
        self.run("stack", "init", stack, "--secrets-provider", "passphrase")

    def stack_file(self, stack: str) -> Path:
        return self.project / "stacks" / f"Pulumi.{stack}.yaml"

    def config(self, stack: str) -> dict[str, str]:
        """The stack's config as the engine passes it to the program (secrets unread)."""
        path = self.stack_file(stack)
        return engine_config(stack, stack_values(path, project_name(self.project)), self.project)

    def prepare_first_deploy(self, stack: str, digest: str = FIRST_DIGEST) -> bool:
        """What a user provides before an environment's first `pulumi up`: the public zone
        its domain lives in (in the account, moto), and for a stack that deploys only
        released images, a pin. Returns whether it pinned one."""
        config = self.config(stack)
        zone = config.get("shipyard:hostedZone", "")
        endpoint = self.env.get("AWS_ENDPOINT_URL")
        if zone and endpoint and not ZONE_ID.fullmatch(zone):
            route53 = boto3.client("route53", endpoint_url=endpoint, region_name="us-east-1")
            listed = route53.list_hosted_zones_by_name(DNSName=f"{zone}.")["HostedZones"]
            if not any(found["Name"] == f"{zone}." for found in listed):
                route53.create_hosted_zone(Name=zone, CallerReference=f"engine-{zone}")
        if config.get(IMAGE_SOURCE_KEY) != "release" or config.get(IMAGE_DIGEST_KEY):
            return False
        self.run("config", "set", IMAGE_DIGEST_KEY, digest, "--stack", stack)
        return True

    def stack(self, stack: str, program: Callable[[], None] | None = None) -> auto.Stack:
        """The stack, with the real program run as `pulumi up` runs it (the CLI starts the
        Python language host on infra/, which Pulumi.yaml names), or `program`, inline. The
        caller's environment must hold self.env (the Automation API passes it to the CLI)."""
        workspace = auto.LocalWorkspaceOptions(
            work_dir=str(self.project),
            pulumi_command=auto.PulumiCommand(root=str(Path(self.cli).parent.parent)),
            secrets_provider="passphrase",
        )
        if program is None:
            return auto.create_or_select_stack(
                stack_name=stack, work_dir=str(self.project), opts=workspace
            )
        return auto.create_or_select_stack(
            stack_name=stack, project_name="shipyard", program=program, opts=workspace
        )
