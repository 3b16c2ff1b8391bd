"""`pulumi preview` of every shipped stack by the real engine, against the local cloud
(devtools/local_cloud.py), with shipyard's policy pack (infra/policy) run by the engine's
analyzer through the Python language host: the engine merges and checks the config, runs
the program, registers every resource the mocks register, and the pack passes them."""

from __future__ import annotations

import pytest

from devtools import pulumi_mocks
from devtools.engine import ROOT
from shipyard.cli import validation

SHIPPED = ("shared", "dev", "staging", "prod", "qa")
POLICY_PACK = str(ROOT / "infra" / "policy")


@pytest.mark.parametrize("stack", SHIPPED)
def test_the_engine_previews_every_resource_of_each_shipped_stack_and_the_pack_passes_it(
    engine, first_deploy, stack
):
    # `shipyard validate` passes it too (tests/engine/test_agreement.py: and both refuse
    # the same bad stack files).
    assert validation.check(engine.project, stack).problems == []
    printed: list[str] = []
    result = first_deploy(stack).preview(policy_packs=[POLICY_PACK], on_output=printed.append)
    registered = pulumi_mocks.evaluate(stack).resources
    # Every resource the program registers under the mocks, and the stack itself.
    assert result.change_summary == {"create": len(registered) + 1}
    shown = "\n".join(printed)
    assert "shipyard@v0.0.1" in shown and "mandatory" not in shown
