"""The real Pulumi engine on a copy of the project (devtools/engine.py): skipped with the
reason where there is none, a failure in CI."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from pulumi import automation as auto

from devtools import pulumi_mocks
from devtools.aws_world import moto_server, reset_moto
from devtools.engine import Engine, pulumi_cli

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here is an engine test (`-m "not engine"` leaves them out); a
    `pytestmark` in a conftest marks nothing."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.engine)


@pytest.fixture(scope="session")
def aws_endpoint():
    """moto on 127.0.0.1: the local cloud's account (devtools/moto_account.py), which the
    rollout step and shipyard's own AWS calls reach too."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def engine(tmp_path, monkeypatch, aws_endpoint) -> Engine:
    cli = pulumi_cli()
    if cli is None:
        reason = "no Pulumi CLI: run scripts/build-engine (needs Go) or install Pulumi"
        # CI must run the engine tier: there a missing engine is a failure, not a skip.
        if os.environ.get("CI"):
            pytest.fail(f"the Pulumi engine is required in CI: {reason}", pytrace=False)
        pytest.skip(reason)
    reset_moto(aws_endpoint)
    engine = Engine.in_folder(cli, tmp_path, aws_endpoint)
    for key, value in engine.env.items():
        monkeypatch.setenv(key, value)
    # What the program builds, as in the mocked tests: a fixed commit and version.
    monkeypatch.setenv("SHIPYARD_COMMIT", pulumi_mocks.TEST_COMMIT)
    monkeypatch.setenv("SHIPYARD_VERSION", pulumi_mocks.TEST_VERSION)
    return engine


@pytest.fixture
def first_deploy(engine) -> Callable[[str], auto.Stack]:
    """A stack as its first deploy finds the account: for an environment, the service stack
    deployed (its repository and keys), its zone, and a pin where it deploys only released
    images (devtools/engine.py)."""
    service_deployed = False

    def prepare(stack: str) -> auto.Stack:
        nonlocal service_deployed
        if stack != "shared" and not service_deployed:
            engine.stack("shared").up()
            service_deployed = True
        deployed = engine.stack(stack)
        engine.prepare_first_deploy(stack)
        return deployed

    return prepare
