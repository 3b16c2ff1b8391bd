"""Fixtures for evaluating the real Pulumi program under mocks."""

from __future__ import annotations

import functools

import pytest

from devtools import pulumi_mocks

SHIPPED_STACKS = ("dev", "staging", "prod")


@functools.cache
def evaluated(stack: str) -> pulumi_mocks.Evaluation:
    """Each shipped stack file evaluated once per test session (read-only for tests)."""
    return pulumi_mocks.evaluate(stack)


@pytest.fixture(params=SHIPPED_STACKS)
def shipped(request) -> pulumi_mocks.Evaluation:
    return evaluated(request.param)
