"""The tests' handle on the offline evaluation of the program (shipyard/cli/offline.py).

Tests evaluate the shipped stacks as built from a fixed commit and version, so image tags and
build arguments are known in advance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from shipyard.cli import offline
from shipyard.cli.offline import (
    ACCOUNT,
    AMAZON_LINUX_AMI,
    REGION,
    Evaluation,
    RecordingMocks,
    Registered,
    engine_config,
    stack_config,
)

REPO_ROOT = offline.CHECKOUT_DIR
STACKS_DIR = REPO_ROOT / "stacks"
TEST_COMMIT = "3f2a9c1e5b7d4f6a8c0e2b4d6f8a0c2e4b6d8f0a"
TEST_VERSION = "v1.0.0"

__all__ = [
    "ACCOUNT",
    "AMAZON_LINUX_AMI",
    "REGION",
    "STACKS_DIR",
    "TEST_COMMIT",
    "TEST_VERSION",
    "Evaluation",
    "RecordingMocks",
    "Registered",
    "engine_config",
    "evaluate",
    "project_with_defaults",
    "stack_config",
    "switched",
]


def evaluate(
    stack: str,
    config: Any = None,
    *,
    commit: str = TEST_COMMIT,
    version: str = TEST_VERSION,
    **options: Any,
) -> Evaluation:
    """offline.evaluate, building TEST_COMMIT at TEST_VERSION unless told otherwise."""
    return offline.evaluate(
        stack, config, commit=commit, version=version, **options
    )


def switched(stack: str, strategy: str, **overrides: Any) -> Evaluation:
    """The stack switched to another deployment strategy as a user switches it: the strategy
    set, and every strategy key that does nothing under it (shipyard/config/applicability.py) left
    out, from the stack file and from `overrides` alike."""
    from shipyard.config.applicability import RULES, STRATEGY_KEYS

    config = {**stack_config(stack), **{f"shipyard:{k}": v for k, v in overrides.items()}}
    config["shipyard:deploymentStrategy"] = strategy
    target = str(config.get("shipyard:target") or "ecs")
    shape = {"target": target, "deploymentStrategy": strategy}
    idle = {
        f"shipyard:{name}" for rule in RULES if set(rule.keys) <= STRATEGY_KEYS
        and not rule.when(shape)  # type: ignore[arg-type]
        for name in rule.keys
    }  # fmt: skip
    return evaluate(stack, {key: value for key, value in config.items() if key not in idle})


def project_with_defaults(folder: Path, **defaults: Any) -> Path:
    """This project in `folder` (its program, service and stack files linked), with
    Pulumi.yaml's defaults for these keys changed, as a user changes them there."""
    for name in ("infra", "app", "stacks"):
        (folder / name).symlink_to(REPO_ROOT / name)
    project = yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())
    for key, value in defaults.items():
        project["config"][key]["default"] = value
    (folder / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
    return folder
