"""The real Pulumi engine on a copy of the project (devtools/engine.py): skipped with the
reason where there is none, a failure in CI."""

from __future__ import annotations

import os

import pytest

from devtools.engine import Engine, pulumi_cli

pytestmark = pytest.mark.engine


@pytest.fixture
def engine(tmp_path, monkeypatch) -> Engine:
    cli = pulumi_cli()
    if cli is None:
        reason = "no Pulumi CLI: run scripts/build-engine (needs Go) or install Pulumi"
        # CI must run the engine tier: there a missing engine is a failure, not a skip.
        if os.environ.get("CI"):
            pytest.fail(f"the Pulumi engine is required in CI: {reason}", pytrace=False)
        pytest.skip(reason)
    engine = Engine.in_folder(cli, tmp_path)
    for key, value in engine.env.items():
        monkeypatch.setenv(key, value)
    return engine
