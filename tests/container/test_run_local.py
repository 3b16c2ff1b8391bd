"""scripts/run-local, the command users run to try the service on their machine."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.request

import pytest

from devtools import containers

pytestmark = [pytest.mark.container, pytest.mark.xdist_group("container")]
SCRIPT = containers.REPO_ROOT / "scripts" / "run-local"
NAME = "shipyard-sample-local"


def _start_run_local(engine) -> tuple[subprocess.Popen[str], int]:
    """Start the script as users run it and read its output until it says healthy."""
    port = containers.free_port()
    # Without the tests' containers.conf (whose ulimits hide rootful podman's open-files
    # default, which the runtime cannot set on this machine).
    user_env = {key: value for key, value in engine.env.items() if key != "CONTAINERS_CONF"}
    env = {**user_env, "EXTRA_BUILD_OPTIONS": " ".join(engine.machine_build_options())}
    base = containers.test_base_image(engine)
    if base:
        env["BASE_IMAGE"] = base
    process = subprocess.Popen(
        [str(SCRIPT), str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    seen: list[str] = []
    deadline = time.monotonic() + 300
    assert process.stdout is not None
    for line in process.stdout:
        seen.append(line)
        if line.startswith("healthy:") or time.monotonic() > deadline:
            break
    if not (seen and seen[-1].startswith(f"healthy: http://127.0.0.1:{port}/")):
        _stop(engine, process)
        pytest.fail("run-local did not say healthy:\n" + "".join(seen))
    return process, port


def _finish(engine, process: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str]:
    """The script's exit code and the rest of its output; a script that hangs fails the test
    after it and its container are removed, so one hang does not leak into other tests."""
    try:
        rest, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(engine, process)
        rest, _ = process.communicate()
        pytest.fail(f"run-local still ran {timeout:.0f} s later; its output:\n{rest}")
    return process.returncode, rest


def _stop(engine, process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    engine.run("rm", "--force", NAME, check=False)


def test_run_local_builds_runs_healthy_and_cleans_up_on_ctrl_c(engine, built_image):
    process, port = _start_run_local(engine)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert response.status == 200
    finally:
        os.killpg(process.pid, signal.SIGINT)
    returncode, rest = _finish(engine, process)
    assert returncode == 130, rest  # the shell's code for "stopped by Ctrl-C"
    # The EXIT trap removed the container.
    assert engine.run("inspect", NAME, check=False).returncode != 0


def test_run_local_fails_and_cleans_up_when_the_container_stops(engine, built_image):
    process, _ = _start_run_local(engine)
    engine.run("kill", NAME, check=False)
    returncode, rest = _finish(engine, process)
    assert returncode == 1, rest
    assert f"error: {NAME} stopped (exit code" in rest
    assert engine.run("inspect", NAME, check=False).returncode != 0


def test_run_local_rejects_a_port_that_is_not_a_number():
    completed = subprocess.run(
        [str(SCRIPT), "eighty"], capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode == 2
    assert "PORT must be a number, got 'eighty'" in completed.stderr
