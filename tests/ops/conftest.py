"""Fixtures for the CLI: moto on 127.0.0.1, a fake adapter, and a runtime wiring them."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console

from devtools.aws_world import World, moto_server, reset_moto
from devtools.fake_stacks import FakeStacks
from shipyard.cli.main import main
from shipyard.cli.runtime import Runtime


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def world(moto_endpoint) -> World:
    reset_moto(moto_endpoint)
    return World(moto_endpoint)


@pytest.fixture
def stacks(world) -> FakeStacks:
    return FakeStacks(world)


@dataclass
class Cli:
    runtime: Runtime
    output: io.StringIO
    answers: list[bool]
    questions: list[str]

    def __call__(self, *argv: str) -> int:
        return main(list(argv), rt=self.runtime)

    @property
    def printed(self) -> str:
        return self.output.getvalue()

    def table(self) -> dict[str, list[str]]:
        """Rows of the tables printed so far: first cell -> the other cells."""
        rows = {}
        for line in self.printed.splitlines():
            cells = [cell.strip() for cell in re.split(r"[│┃]", line)[1:-1]]
            if len(cells) > 1:
                rows[cells[0]] = cells[1:]
        return rows


@pytest.fixture
def cli(stacks, world) -> Cli:
    output = io.StringIO()
    questions: list[str] = []
    answers: list[bool] = []

    def confirm(question: str) -> bool:
        questions.append(question)
        return answers.pop(0) if answers else False

    runtime = Runtime(
        stacks=stacks,
        aws_for_region=lambda region: world.aws,
        console=Console(file=output, width=1000, color_system=None, emoji=False),
        confirm=confirm,
        timeout=1.0,
        poll=0.05,
    )
    return Cli(runtime, output, answers, questions)


COMMITS = ["1" * 40, "2" * 40, "3" * 40]


def unpickled_where_the_engine_does(blob: str, cwd: Path) -> list[str]:
    """The module and class of a pickled dynamic provider as Pulumi's provider host loads
    it: by module name, in the project's virtualenv, without infra/ on sys.path."""
    code = (
        "import base64, dill; "
        f"provider = dill.loads(base64.b64decode({blob!r})); "
        "print(type(provider).__module__, type(provider).__name__)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env={}, capture_output=True, text=True,
        check=False, timeout=60,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.split()


@pytest.fixture
def runnable_staging(stacks, world) -> dict:
    """staging on ECS, released, its service on a task definition as the program makes it."""
    outputs = world.ecs_environment("staging", desired=1)
    stacks.add("staging", outputs)
    stacks.deploy_release("staging", COMMITS[0])
    world.runnable(outputs)
    return outputs


@pytest.fixture
def released_qa(stacks, world) -> dict:
    """qa on EC2, released, with the SSM agent's permissions (sessionManager)."""
    outputs = world.ec2_environment("qa")
    world.instance_refresh("Successful")
    stacks.add("qa", outputs)
    stacks.deploy_release("qa", COMMITS[0])
    stacks.set_config("qa", "shipyard:sessionManager", "true")
    return outputs


@pytest.fixture
def dev(stacks, world):
    """dev on ECS with three built releases, a failed update and a refresh in its history."""
    stacks.add("dev", world.ecs_environment("dev"))
    digests = [stacks.deploy_build("dev", commit) for commit in COMMITS[:2]]
    stacks.record("dev", "update", "failed")
    stacks.record("dev", "refresh", "succeeded")
    digests.append(stacks.deploy_build("dev", COMMITS[2]))
    return digests


def healthy(world):
    world.tasks_running()
    world.targets("healthy")


def healthy_ec2(world):
    world.instances_in_service()
    world.targets("healthy")


def updates(stacks, env: str | None = None) -> list[tuple[str, ...]]:
    """The `pulumi up` calls made so far, of one environment or of all."""
    return [call for call in stacks.calls if call[0] == "up" and env in (None, call[1])]
