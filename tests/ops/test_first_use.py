"""A new user's first commands, as a shell runs them: `shipyard` in a subprocess, with no
Pulumi CLI and no AWS credentials. Bad arguments are refused before either is needed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def shipyard(*argv: str) -> subprocess.CompletedProcess[str]:
    bin_dir = Path(sys.executable).parent
    # Only the virtualenv and the system's basics: no pulumi, no Go-built engine.
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"),
        "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "COLUMNS": "200",
    }  # fmt: skip
    return subprocess.run(
        [str(bin_dir / "shipyard"), *argv], cwd=ROOT, env=env, capture_output=True, text=True,
        check=False, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("bad", ["BAD", "sha256:abc", "latest", "sha256:" + "g" * 64])
def test_rollback_to_a_malformed_digest_exits_2_before_looking_for_pulumi(bad):
    completed = shipyard("rollback", "dev", "--to", bad)
    assert completed.returncode == 2, completed.stderr
    assert f"--to '{bad}' is neither a release number nor a digest" in completed.stderr
    assert "Pulumi CLI" not in completed.stderr


def test_deploy_of_a_malformed_digest_exits_2_before_looking_for_pulumi():
    completed = shipyard("deploy", "dev", "--image", "latest")
    assert completed.returncode == 2
    assert "--image 'latest' is not an image digest" in completed.stderr


@pytest.mark.parametrize(
    "argv", [["--help"], *[[command, "--help"] for command in (
        "validate", "preview", "deploy", "restart", "releases", "rollback", "promote",
        "status", "logs")]],
)  # fmt: skip
def test_help_shows_no_type_placeholder_on_flags(argv):
    completed = shipyard(*argv)
    assert completed.returncode == 0
    assert "<bool>" not in completed.stdout
    assert "--help" in completed.stdout
