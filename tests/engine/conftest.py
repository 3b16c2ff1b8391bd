"""The real Pulumi engine: the CLI built from source (scripts/build-engine) or one on PATH,
with a local file backend and a passphrase secrets provider in a temporary folder, on a
copy of the project (the CLI rewrites the stack files it touches)."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from devtools import pulumi_mocks

ROOT = pulumi_mocks.REPO_ROOT
BUILT = ROOT / ".engine" / "bin"
PLUGINS = ROOT / "devtools" / "plugins"
pytestmark = pytest.mark.engine


def pulumi_cli() -> str | None:
    return shutil.which("pulumi") or (
        str(BUILT / "pulumi") if (BUILT / "pulumi").is_file() else None
    )


@dataclass
class Engine:
    cli: str
    project: Path
    env: dict[str, str]

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.cli, *args, "--non-interactive"], cwd=self.project, env=self.env,
            capture_output=True, text=True, check=check, timeout=120,
        )  # fmt: skip

    def init(self, stack: str) -> None:
        self.run("stack", "init", stack, "--secrets-provider", "passphrase")

    def stack_file(self, stack: str) -> Path:
        return self.project / "stacks" / f"Pulumi.{stack}.yaml"


@pytest.fixture
def engine(tmp_path, monkeypatch) -> Engine:
    cli = pulumi_cli()
    if cli is None:
        reason = "no Pulumi CLI: run scripts/build-engine (needs Go) or install Pulumi"
        # CI must run the engine tier: there a missing engine is a failure, not a skip.
        if os.environ.get("CI"):
            pytest.fail(f"the Pulumi engine is required in CI: {reason}", pytrace=False)
        pytest.skip(reason)
    project = tmp_path / "project"
    project.mkdir()
    # The project's virtualenv too: the engine runs dynamic providers in it.
    for name in ("infra", "app", ".venv"):
        (project / name).symlink_to(ROOT / name)
    shutil.copy(ROOT / "Pulumi.yaml", project)
    shutil.copytree(ROOT / "stacks", project / "stacks")
    env = {
        "PULUMI_HOME": str(tmp_path / "home"),
        "PULUMI_BACKEND_URL": f"file://{tmp_path / 'state'}",
        "PULUMI_CONFIG_PASSPHRASE": "test-only-passphrase",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        # The local cloud's provider plugins, found by name on PATH.
        "PATH": os.pathsep.join((str(Path(cli).parent), str(PLUGINS), os.environ["PATH"])),
        "PULUMI_RUNTIME_VIRTUALENV": str(ROOT / ".venv"),
    }
    (tmp_path / "state").mkdir()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Engine(cli, project, {**os.environ, **env})
