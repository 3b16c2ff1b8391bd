"""Fixtures for evaluating the real Pulumi program under mocks."""

from __future__ import annotations

import functools

import pytest

from devtools import pulumi_mocks
from shipyard.cli.offline import key_id
from shipyard.config import SettingsError

ECS_STACKS = ("dev", "staging", "prod")
EC2_STACKS = ("qa",)
SHIPPED_STACKS = ECS_STACKS + EC2_STACKS
# The service stack: the repository and the deploy roles every environment shares.
SERVICE_STACKS = ("shared",)


@functools.cache
def evaluated(stack: str) -> pulumi_mocks.Evaluation:
    """Each shipped stack file evaluated once per test session (read-only for tests)."""
    return pulumi_mocks.evaluate(stack)


@pytest.fixture(params=ECS_STACKS)
def shipped(request) -> pulumi_mocks.Evaluation:
    """Each shipped ECS stack; the EC2 ones have tests of their own."""
    return evaluated(request.param)


def refused(
    stack: str, key_path: str, *, overrides: dict | None = None, config: dict | None = None
) -> tuple[SettingsError, list[str]]:
    """Evaluate a bad stack file: it must fail with SettingsError before any resource exists.

    Returns the error and the problems reported for `key_path`, for the caller's assertions.
    """
    mocks = pulumi_mocks.RecordingMocks()
    with pytest.raises(SettingsError) as raised:
        pulumi_mocks.evaluate(stack, config=config, overrides=overrides, mocks=mocks)
    assert "nothing was deployed" in str(raised.value)
    assert mocks.resources == {}
    problems = [p for p in raised.value.problems if p.startswith(f"{key_path}:")]
    assert problems, raised.value.problems
    return raised.value, problems


def rejected(stack: str, overrides: dict, key_path: str) -> list[str]:
    """The problems a bad stack file (these overrides) is refused with, for `key_path`."""
    return refused(stack, key_path, overrides=overrides)[1]


def looked_up_key_arn(stack: str) -> str:
    """The environment's key as the program finds it, by alias (the mocked lookup's answer)."""
    key = key_id(f"alias/shipyard-sample-{stack}")
    return f"arn:aws:kms:{pulumi_mocks.REGION}:{pulumi_mocks.ACCOUNT}:key/{key}"


def made_key_arn(stack: str) -> str:
    """The environment's key as the service stack makes it (the mocked create's answer)."""
    key = key_id(f"shipyard-sample-{stack}-key")
    return f"arn:aws:kms:{pulumi_mocks.REGION}:{pulumi_mocks.ACCOUNT}:key/{key}"
