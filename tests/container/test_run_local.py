"""scripts/run-local, the command users run to try the service on their machine."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request

import pytest

from devtools import containers

pytestmark = [pytest.mark.container, pytest.mark.xdist_group("container")]
SCRIPT = containers.REPO_ROOT / "scripts" / "run-local"


def test_run_local_builds_runs_healthy_and_cleans_up_on_ctrl_c(engine, built_image):
    port = containers.free_port()
    # The script as users run it: without the tests' containers.conf (whose ulimits hide
    # rootful podman's open-files default, which the runtime cannot set on this machine).
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
    try:
        deadline = time.monotonic() + 300
        assert process.stdout is not None
        for line in process.stdout:
            seen.append(line)
            if line.startswith("healthy:") or time.monotonic() > deadline:
                break
        assert seen and seen[-1].startswith(f"healthy: http://127.0.0.1:{port}/"), "".join(seen)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert response.status == 200
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=60)
    # The EXIT trap removed the container.
    assert engine.run("inspect", "shipyard-sample-local", check=False).returncode != 0


def test_run_local_rejects_a_port_that_is_not_a_number():
    completed = subprocess.run(
        [str(SCRIPT), "eighty"], capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode == 2
    assert "PORT must be a number, got 'eighty'" in completed.stderr
