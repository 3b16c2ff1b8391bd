"""shipyard's commands end to end on the real engine: `preview`, `deploy --image`,
`rollback` and `promote` drive the Automation API adapter, which runs the program through
the Python language host; AWS is moto, where the local cloud keeps what the stacks made and
shipyard's own calls (images, health, the release record) find it."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from devtools.aws_world import World
from shipyard.cli.automation_adapter import AutomationStacks
from shipyard.cli.main import main
from shipyard.cli.runtime import Runtime


@pytest.fixture
def world(engine, aws_endpoint) -> World:
    """The account after `pulumi up -s shared`, with two images pushed and everything that
    runs healthy (moto runs no tasks)."""
    engine.init("shared")
    engine.run("up", "--stack", "shared", "--yes", "--skip-preview")
    world = World(aws_endpoint, make_repository=False)
    world.tasks_running()
    world.tasks_registered(2)
    return world


class Shipyard:
    def __init__(self, engine, world: World) -> None:
        self.output = io.StringIO()
        self.runtime = Runtime(
            stacks=AutomationStacks(engine.project), aws_for_region=lambda region: world.aws,
            console=Console(file=self.output, width=1000, color_system=None),
            confirm=lambda question: True, timeout=5.0, poll=0.05, project_dir=engine.project,
        )  # fmt: skip

    def __call__(self, *argv: str) -> int:
        self.output.seek(0)
        self.output.truncate()
        return main(list(argv), rt=self.runtime)

    @property
    def printed(self) -> str:
        return self.output.getvalue()


def store_secrets(engine, world: World, env: str) -> None:
    """Create what the stack's secrets reference, as a team does before a first deploy, and
    point the stack at the secrets' ARNs as Secrets Manager chose them."""
    config = engine.config(env)
    entries = json.loads(world.store_secrets(env, config)["shipyard:secrets"])
    for index, (old, new) in enumerate(
        zip(json.loads(config["shipyard:secrets"]), entries, strict=True)
    ):
        if old != new:
            # An ARN, which the CLI may take for a secret by its look.
            engine.run("config", "set", "--plaintext", "--path", f"shipyard:secrets[{index}]", new,
                       "--stack", env)  # fmt: skip


def live(shipyard: Shipyard, env: str) -> str:
    return str(shipyard.runtime.stacks.outputs(env)["image"]).split("@", 1)[1]


def test_deploy_rollback_and_promote_on_the_engine(engine, world):
    shipyard = Shipyard(engine, world)
    for env in ("dev", "staging"):
        engine.init(env)
        store_secrets(engine, world, env)
    first, second = world.push_image("v1"), world.push_image("v2")

    assert shipyard("deploy", "staging", "--image", first, "--yes") == 0, shipyard.printed
    assert live(shipyard, "staging") == first
    assert world.release_record("staging") == first
    # A release stack's pin lasts one update: the record holds the image from then on.
    assert "shipyard:imageDigest" not in engine.stack_file("staging").read_text()

    assert shipyard("preview", "staging") == 0, shipyard.printed
    assert "(no changes)" in shipyard.printed and "65 unchanged" in shipyard.printed

    assert shipyard("deploy", "staging", "--image", second, "--yes") == 0, shipyard.printed
    assert (live(shipyard, "staging"), world.release_record("staging")) == (second, second)

    assert shipyard("rollback", "staging", "--yes") == 0, shipyard.printed
    assert (live(shipyard, "staging"), world.release_record("staging")) == (first, first)
    assert "building nothing" in shipyard.printed

    assert shipyard("deploy", "dev", "--image", second, "--yes") == 0, shipyard.printed
    assert shipyard("promote", "dev", "staging", "--yes") == 0, shipyard.printed
    assert (live(shipyard, "staging"), world.release_record("staging")) == (second, second)
    assert shipyard("releases", "staging") == 0, shipyard.printed
    table = shipyard.printed
    assert all(how in table for how in ("deploy", "rollback", "promotion")), table
