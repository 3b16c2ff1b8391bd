"""Fixtures that build the real image once per session with docker, or podman without a daemon."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from devtools import containers

BUILT_VERSION = "1.4.2"
BUILT_COMMIT = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"


def _unavailable(reason: str) -> None:
    # CI must exercise the real image: there a missing engine is a failure, not a skip.
    if os.environ.get("CI"):
        pytest.fail(f"container engine required in CI: {reason}", pytrace=False)
    pytest.skip(f"no container engine: {reason}")


@pytest.fixture(scope="session")
def engine(tmp_path_factory) -> containers.Engine:
    try:
        return containers.detect_engine(tmp_path_factory.mktemp("engine"))
    except containers.EngineUnavailable as error:
        _unavailable(str(error))
        raise


@pytest.fixture(scope="session")
def built_image(engine) -> Iterator[str]:
    tag = f"localhost/shipyard-sample:test-{uuid.uuid4().hex[:8]}"
    try:
        base = containers.test_base_image(engine)
    except containers.EngineUnavailable as error:
        _unavailable(str(error))
        raise
    engine.build(
        tag,
        build_args={"APP_VERSION": BUILT_VERSION, "APP_COMMIT": BUILT_COMMIT},
        base_image=base,
    )
    yield tag
    engine.run("rmi", "--force", tag, check=False)


@dataclass
class RunningContainer:
    name: str
    port: int


@pytest.fixture
def run_container(engine, built_image) -> Iterator[Callable[..., RunningContainer]]:
    started: list[str] = []

    def start(
        env: dict[str, str] | None = None,
        container_port: int = 8080,
        read_only: bool = False,
        options: tuple[str, ...] = (),
    ) -> RunningContainer:
        name = f"shipyard-test-{uuid.uuid4().hex[:8]}"
        port = containers.free_port()
        started.append(name)
        engine.start(
            built_image,
            name=name,
            host_port=port,
            container_port=container_port,
            env=env,
            read_only=read_only,
            options=options,
        )
        engine.wait_healthy(name)
        return RunningContainer(name, port)

    yield start
    for name in started:
        engine.remove(name)
