"""The Automation API adapter (the only module that imports pulumi.automation) on the real
engine: the calls the CLI's pins make, on a local backend."""

from __future__ import annotations

from shipyard.cli.automation_adapter import AutomationStacks


def test_real_adapter_round_trips_config_on_a_local_backend(engine):
    engine.init("dev")
    stacks = AutomationStacks(engine.project)
    digest = "sha256:" + "e" * 64
    stacks.set_config("dev", "shipyard:imageDigest", digest)
    assert stacks.config("dev")["shipyard:imageDigest"] == digest
    assert "shipyard:imageDigest: sha256:" in engine.stack_file("dev").read_text()
    stacks.remove_config("dev", "shipyard:imageDigest")
    assert "shipyard:imageDigest" not in engine.stack_file("dev").read_text()
    # The engine lists Pulumi.yaml's defaults with the stack's own values: an unset pin reads
    # as its default, "", which the CLI treats as unset (it tests the pin for truth).
    assert stacks.config("dev")["shipyard:imageDigest"] == ""
    assert stacks.environments() == ["dev", "prod", "qa", "staging"]  # the stack files'
