"""Fixtures for evaluating the real Pulumi program under mocks."""

from __future__ import annotations

import functools

import pytest

from devtools import pulumi_mocks

ECS_STACKS = ("dev", "staging", "prod")
EC2_STACKS = ("qa",)
SHIPPED_STACKS = ECS_STACKS + EC2_STACKS


@functools.cache
def evaluated(stack: str) -> pulumi_mocks.Evaluation:
    """Each shipped stack file evaluated once per test session (read-only for tests)."""
    return pulumi_mocks.evaluate(stack)


@pytest.fixture(params=ECS_STACKS)
def shipped(request) -> pulumi_mocks.Evaluation:
    """Each shipped ECS stack; the EC2 ones have tests of their own."""
    return evaluated(request.param)
