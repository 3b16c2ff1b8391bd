"""Which source revision is being built, and a digest of everything that goes into the build.

The digest decides the image tag. pulumi-docker builds and pushes again whenever any of its
inputs differ (build arguments, platform, and a context digest that covers every file's
path, mode and bytes), and ECR refuses to move an immutable tag. A tag that is a function of
all of those inputs is never pushed twice with different contents.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pulumi

from shipyard.config.stack_files import program_project_dir

COMMIT = re.compile(r"[0-9a-f]{7,40}|unknown")


@dataclass(frozen=True)
class SourceRevision:
    commit: str  # the git commit (SHIPYARD_COMMIT in CI), "unknown" without git
    version: str
    dirty: bool = False  # uncommitted changes under app/

    @property
    def label(self) -> str:
        """What the image reports as its commit."""
        return f"{self.commit}-dirty" if self.dirty else self.commit


def _files(root: Path) -> list[Path]:
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    )


def tree_digest(root: Path) -> str:
    """sha256 over the relative paths and bytes (and permission bits) of every file under root.

    It covers every file, including those .dockerignore leaves out: a superset of what
    pulumi-docker hashes, so any change it rebuilds for changes this digest too.
    """
    digest = hashlib.sha256()
    for path in _files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(f"{path.stat().st_mode & 0o7777:o}".encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build_digest(context: Path, args: Mapping[str, str], platform: str, dockerfile: str) -> str:
    """A digest of every input of the image build: the context's files (paths, modes and
    bytes), the Dockerfile's path, the build arguments and the platform."""
    digest = hashlib.sha256(tree_digest(context).encode())
    digest.update(json.dumps([dict(sorted(args.items())), platform, dockerfile]).encode())
    return digest.hexdigest()


def project_root() -> Path:
    """Where Pulumi.yaml is, with app/ beside it: as the engine (or the offline evaluation)
    says, or else the nearest directory up from the working one that holds it. Not the
    package's own path: an installed package is not in the project. Outside a program run
    the SDK answers a placeholder, which holds no Pulumi.yaml."""
    given = pulumi.runtime.get_root_directory()
    if given and (Path(given) / "Pulumi.yaml").is_file():
        return Path(given)
    return program_project_dir()


def app_dir() -> Path:
    return project_root() / "app"


def _git(*args: str) -> str | None:
    try:
        completed = subprocess.run(
            ["git", *args], cwd=project_root(), capture_output=True, text=True, timeout=10,
            check=True,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout.strip() or None


def current_revision() -> SourceRevision:
    """SHIPYARD_COMMIT / SHIPYARD_VERSION (set by CI) win; otherwise ask git."""
    commit = os.environ.get("SHIPYARD_COMMIT") or _git("rev-parse", "HEAD") or "unknown"
    dirty = "SHIPYARD_COMMIT" not in os.environ and bool(_git("status", "--porcelain", "--", "app"))
    version = (
        os.environ.get("SHIPYARD_VERSION") or _git("describe", "--tags", "--always") or commit[:12]
    )
    return SourceRevision(commit=commit, version=version, dirty=dirty)
