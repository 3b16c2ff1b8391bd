"""`pulumi preview` of every shipped stack by the real engine, against the local cloud
(devtools/local_cloud.py): the engine merges and checks the config, runs the program, and
registers every resource the mocks register, through the providers' gRPC interface."""

from __future__ import annotations

import pytest

from devtools import pulumi_mocks
from shipyard_cli import validation

SHIPPED = ("shared", "dev", "staging", "prod", "qa")


@pytest.mark.parametrize("stack", SHIPPED)
def test_the_engine_previews_every_resource_of_each_shipped_stack(engine, first_deploy, stack):
    # `shipyard validate` passes it too (tests/engine/test_agreement.py: and both refuse
    # the same bad stack files).
    assert validation.check(engine.project, stack).problems == []
    result = first_deploy(stack).preview()
    registered = pulumi_mocks.evaluate(stack).resources
    # Every resource the program registers under the mocks, and the stack itself.
    assert result.change_summary == {"create": len(registered) + 1}
