"""Every CLI command that changes a stack runs the policy pack first: a mandatory violation
stops it before `pulumi up`, naming the rule and the resource."""

from __future__ import annotations

import pytest

from shipyard.cli.model import IMAGE_DIGEST_KEY
from shipyard.errors import FAILED, OK
from shipyard.policy.rules import _policy

from .conftest import COMMITS, healthy, updates

# A mandatory rule the shipped stacks break (their HTTP listener), standing in for any rule a
# change of settings or code could break.
NO_PLAIN_HTTP = _policy(
    "test-no-plain-http", "No listener speaks plain HTTP.", "aws:lb/listener:Listener",
    lambda props: ["plain HTTP listener"] if props.get("protocol") == "HTTP" else [],
)  # fmt: skip
EXPECTED = (
    "dev: 1 mandatory policy violation(s) of infra/policy, so nothing was changed; fix the "
    "resource or its settings: - test-no-plain-http (mandatory) on aws:lb/listener:Listener "
    "shipyard-sample-dev-http: shipyard-sample-dev-http: plain HTTP listener"
)


@pytest.mark.parametrize(
    "argv",
    [("deploy", "dev", "--yes"), ("rollback", "dev", "--yes"), ("preview", "dev")],
)
def test_a_mandatory_violation_stops_the_command_before_any_update(
    cli, stacks, world, dev, capsys, argv
):
    healthy(world)
    before = dict(stacks.config("dev"))
    stacks.calls.clear()
    stacks.policies.append(NO_PLAIN_HTTP)
    assert cli(*argv) == FAILED
    assert EXPECTED in " ".join(capsys.readouterr().err.split())
    assert updates(stacks, "dev") == []
    assert stacks.config("dev") == before  # a rollback's pin is reverted
    assert IMAGE_DIGEST_KEY not in stacks.config("dev")


def test_promote_is_gated_too(cli, stacks, world, dev, capsys):
    healthy(world)
    stacks.add("staging", world.ecs_environment("staging"))
    stacks.deploy_release("staging", COMMITS[0])
    stacks.calls.clear()
    stacks.policies.append(NO_PLAIN_HTTP)
    assert cli("promote", "dev", "staging", "--yes") == FAILED
    assert "test-no-plain-http (mandatory)" in capsys.readouterr().err
    assert updates(stacks, "staging") == []


def test_an_advisory_finding_is_printed_and_the_preview_passes(cli, stacks, world, dev):
    healthy(world)
    assert cli("preview", "dev") == OK
    # dev's tasks need public IPs in the default VPC: an advisory rule of the pack says so.
    assert "policy: ecs-no-public-ip (advisory) on aws:ecs/service:Service" in cli.printed
