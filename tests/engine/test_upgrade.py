"""Upgrades: stacks deployed by the previous release of the program (kept by
scripts/previous-release), then previewed and updated by this one, through the CLI and the
language host. Nothing may be replaced or deleted that the real provider would not replace
(the local cloud replaces what terraform-provider-aws marks ForceNew): no URN may change
without an alias, no input the provider cannot change in place may change."""

from __future__ import annotations

import base64
import json
import tarfile
from pathlib import Path

import pytest

from devtools.engine import ROOT, Engine, copy_program

DATA = Path(__file__).with_name("data")
PREVIOUS = (DATA / "previous-release.commit").read_text().strip()
# The service stack first: the environments use its repository and keys. qa is the EC2
# stack: its rollout step's provider is recorded in state by module name, which moved.
STACKS = ("shared", "dev", "staging", "qa")
DESTRUCTIVE = {"create", "delete", "replace", "create-replacement", "delete-replaced"}
# What this release adds beside the previous one's resources, by stack (type::name, the end
# of the URN): created, nothing else. Empty it when scripts/previous-release moves past it.
NEW_IN_THIS_RELEASE = {
    "shared": {  # the price refresh's own role (.github/workflows/prices.yml)
        "aws:iam/role:Role::shipyard-sample-prices",
        "aws:iam/policy:Policy::shipyard-sample-prices-1",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment::shipyard-sample-prices-1",
    },
}


def destructive_steps(stack: str, steps: dict[str, str]) -> dict[str, str]:
    new = NEW_IN_THIS_RELEASE.get(stack, set())
    return {
        urn: op for urn, op in steps.items()
        if op in DESTRUCTIVE and not (op == "create" and urn.split("$")[-1] in new)
    }  # fmt: skip


def switch_to_this_release(engine: Engine) -> None:
    """What upgrading is: the same stacks, stack files and service (app/, whose changes
    are the user's), this release's program."""
    copy_program(ROOT, engine.project)
    (engine.project / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())


def planned(engine: Engine, stack: str) -> dict[str, str]:
    preview = json.loads(engine.run("preview", "--stack", stack, "--json").stdout)
    return {step["urn"]: step["op"] for step in preview.get("steps", [])}


@pytest.fixture
def previous_release(tmp_path, aws_endpoint, engine) -> Engine:
    """The stacks as the previous release deployed them, in the engine fixture's account."""
    source = tmp_path / "previous"
    with tarfile.open(DATA / "previous-release.tar.gz") as archive:
        archive.extractall(source, filter="data")
    (tmp_path / "upgrade").mkdir()
    old = Engine.in_folder(engine.cli, tmp_path / "upgrade", aws_endpoint, source=source)
    for stack in STACKS:
        old.init(stack)
        old.prepare_first_deploy(stack)
        old.run("up", "--stack", stack, "--yes", "--skip-preview")
    return old


def recorded_rollout_provider(engine: Engine, stack: str) -> bytes:
    """The rollout step's provider as the stack's state records it (pickled)."""
    exported = engine.run("stack", "export", "--show-secrets", "--stack", stack).stdout
    (rollout,) = [
        resource for resource in json.loads(exported)["deployment"]["resources"]
        if resource["type"] == "pulumi-python:dynamic/shipyard:InstanceRefreshWait"
    ]  # fmt: skip
    provider = rollout["inputs"]["__provider"]
    if isinstance(provider, dict):  # kept as a secret: its plaintext is JSON
        provider = json.loads(provider["plaintext"])
    return base64.b64decode(provider)


def test_this_release_updates_the_previous_ones_stacks_without_replacing_anything(
    previous_release,
):
    assert b"shipyard_cli.refresh_wait" in recorded_rollout_provider(previous_release, "qa")
    switch_to_this_release(previous_release)
    for stack in STACKS:
        steps = planned(previous_release, stack)
        destructive = destructive_steps(stack, steps)
        if destructive:
            shown = previous_release.run("preview", "--stack", stack, "--diff").stdout
            pytest.fail(f"upgrading {stack} from {PREVIOUS[:12]}: {destructive}\n{shown}")
        created = {urn.split("$")[-1] for urn, op in steps.items() if op == "create"}
        assert created == NEW_IN_THIS_RELEASE.get(stack, set()), (
            f"{stack} creates {sorted(created)}: NEW_IN_THIS_RELEASE is out of date"
        )
        previous_release.run("up", "--stack", stack, "--yes", "--skip-preview")
        assert set(planned(previous_release, stack).values()) == {"same"}
    # The update recorded the provider's new module name.
    recorded = recorded_rollout_provider(previous_release, "qa")
    assert b"shipyard.program.instance_refresh" in recorded
