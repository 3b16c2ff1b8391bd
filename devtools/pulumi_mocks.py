"""The tests' handle on the offline evaluation of the program (shipyard_cli/offline.py).

Tests evaluate the shipped stacks as built from a fixed commit and version, so image tags and
build arguments are known in advance.
"""

from __future__ import annotations

from typing import Any

from shipyard_cli import offline
from shipyard_cli.offline import (
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
    "stack_config",
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
