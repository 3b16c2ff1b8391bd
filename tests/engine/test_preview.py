"""`pulumi preview` of every shipped stack by the real engine, against the local cloud
(devtools/local_cloud.py): the engine merges and checks the config, runs the program, and
registers every resource the mocks register, through the providers' gRPC interface."""

from __future__ import annotations

import os
import runpy

import pytest
from pulumi import automation as auto

from devtools import pulumi_mocks

from .conftest import ROOT, Engine

SHIPPED = ("shared", "dev", "staging", "prod", "qa")


def stack_of(engine: Engine, stack: str) -> auto.Stack:
    """The stack, with the real program as an inline program (the Automation API runs the
    real CLI; it needs no language host, which the Go module proxy does not serve)."""

    def program() -> None:
        os.chdir(engine.project)
        runpy.run_path(str(ROOT / "infra" / "__main__.py"), run_name="__main__")

    workspace = auto.LocalWorkspaceOptions(
        work_dir=str(engine.project),
        pulumi_command=auto.PulumiCommand(root=str(os.path.dirname(os.path.dirname(engine.cli)))),
        secrets_provider="passphrase",
    )
    return auto.create_or_select_stack(
        stack_name=stack, project_name="shipyard", program=program, opts=workspace
    )


@pytest.mark.parametrize("stack", SHIPPED)
def test_the_engine_previews_every_resource_of_each_shipped_stack(engine, stack, monkeypatch):
    monkeypatch.setenv("SHIPYARD_COMMIT", pulumi_mocks.TEST_COMMIT)
    monkeypatch.setenv("SHIPYARD_VERSION", pulumi_mocks.TEST_VERSION)
    result = stack_of(engine, stack).preview()
    registered = pulumi_mocks.evaluate(stack).resources
    # Every resource the program registers under the mocks, and the stack itself.
    assert result.change_summary == {"create": len(registered) + 1}
