"""Which source revision is being built: commit and version for tags, labels and build args."""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
APP_DIR = REPO_ROOT / "app"


@dataclass(frozen=True)
class SourceRevision:
    commit: str
    version: str


def tree_digest(root: Path) -> str:
    """sha256 over the relative paths and bytes of every file under root, in sorted order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _git(*args: str) -> str | None:
    try:
        completed = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout.strip() or None


def current_revision() -> SourceRevision:
    """SHIPYARD_COMMIT / SHIPYARD_VERSION (set by CI) win; otherwise ask git.

    Uncommitted changes under app/ add "-dirty-" and a hash of app/'s files, so a changed
    image never reuses a tag (ECR's immutable tags would reject the push), and the same
    files give the same tag.
    """
    commit = os.environ.get("SHIPYARD_COMMIT") or _git("rev-parse", "HEAD") or "unknown"
    if "SHIPYARD_COMMIT" not in os.environ and _git("status", "--porcelain", "--", "app"):
        commit = f"{commit}-dirty-{tree_digest(APP_DIR)[:12]}"
    version = (
        os.environ.get("SHIPYARD_VERSION") or _git("describe", "--tags", "--always") or commit[:12]
    )
    return SourceRevision(commit=commit, version=version)
