"""shipyard's policy pack (infra/policy) run by the real engine's analyzer, through the
Python language host scripts/build-engine builds (every shipped stack passes it:
test_preview.py)."""

from __future__ import annotations

import pytest
from pulumi import automation as auto

from devtools.engine import ROOT

POLICY_PACK = str(ROOT / "infra" / "policy")


def test_a_mandatory_violation_stops_the_update_before_the_resource_is_made(engine, first_deploy):
    # Deletion protection marks a production load balancer, which must keep access logs.
    path = engine.stack_file("dev")
    path.write_text(path.read_text() + "  shipyard:albDeletionProtection: true\n")
    deployed = first_deploy("dev")
    with pytest.raises(auto.CommandError) as refused:
        deployed.up(policy_packs=[POLICY_PACK])
    assert "[mandatory]  alb-access-logs" in str(refused.value)
    # The engine checks each resource as it is registered: what came before may exist (so
    # shipyard's CLI previews with the pack first), the violating load balancer does not.
    made = {r["type"] for r in deployed.export_stack().deployment.get("resources") or []}
    assert "aws:lb/loadBalancer:LoadBalancer" not in made
