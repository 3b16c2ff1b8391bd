"""The real image: built with a version and commit, run, probed, stopped and pushed."""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.request

import pytest

from devtools import containers
from shipyard.config.container_contract import HARDENED_RUN_OPTIONS, PIDS_LIMIT

from .conftest import BUILT_COMMIT, BUILT_VERSION

pytestmark = [pytest.mark.container, pytest.mark.xdist_group("container")]


def get(port: int, path: str) -> tuple[int, dict]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
        return response.status, json.loads(response.read())


def test_container_becomes_healthy_and_answers_health(engine, run_container):
    container = run_container()
    assert engine.health_status(container.name) == "healthy"
    assert get(container.port, "/health") == (200, {"status": "ok"})


def test_root_reports_the_version_and_commit_it_was_built_with(run_container):
    container = run_container(env={"APP_ENVIRONMENT": "staging"})
    status, body = get(container.port, "/")
    assert status == 200
    assert body["version"] == BUILT_VERSION
    assert body["commit"] == BUILT_COMMIT
    assert body["environment"] == "staging"


def test_root_names_the_secrets_it_received_without_their_values(run_container):
    # As ECS or the boot script start it: the secret as a variable, its name in the list.
    container = run_container(
        env={
            "SHIPYARD_SECRET_NAMES": "API_KEY,DATABASE_PASSWORD",
            "DATABASE_PASSWORD": "test-only-value-8e2f",
        }
    )
    status, body = get(container.port, "/")
    assert status == 200
    assert body["secrets"] == {"API_KEY": "missing", "DATABASE_PASSWORD": "received"}
    assert "test-only-value-8e2f" not in json.dumps(body)


def test_request_logs_reach_stdout_as_json(engine, run_container):
    container = run_container()
    get(container.port, "/")
    stdout, _ = engine.logs(container.name)
    records = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    assert {"method": "GET", "path": "/", "status": 200} in [
        {key: record[key] for key in ("method", "path", "status")} for record in records
    ]
    assert all(record["duration_ms"] >= 0 for record in records)


def test_port_override_is_honoured(engine, run_container):
    # Healthy on 9090 means the image's own HEALTHCHECK followed PORT too.
    container = run_container(env={"PORT": "9090"}, container_port=9090)
    assert get(container.port, "/health")[0] == 200


def test_runs_on_a_read_only_root_filesystem(engine, run_container):
    # The ECS task definition sets readonlyRootFilesystem; the image must live with it.
    container = run_container(read_only=True)
    assert engine.inspect(container.name)["HostConfig"]["ReadonlyRootfs"] is True
    assert get(container.port, "/")[0] == 200


def second_request_on_one_connection(port: int, idle: float) -> int | None:
    """Status of a second request sent after `idle` seconds on a kept-alive connection, as a
    load balancer reuses one; None when the app had closed it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/health")
        connection.getresponse().read()
        time.sleep(idle)
        connection.request("GET", "/health")
        return connection.getresponse().status
    except (http.client.HTTPException, ConnectionError):
        return None
    finally:
        connection.close()


def test_runs_hardened_as_the_ec2_boot_script_runs_it(engine, run_container):
    # No capabilities, no new privileges, a PIDs limit, read-only: it still serves.
    container = run_container(read_only=True, options=HARDENED_RUN_OPTIONS)
    host = engine.inspect(container.name)["HostConfig"]
    assert host["PidsLimit"] == PIDS_LIMIT
    assert "no-new-privileges" in " ".join(host.get("SecurityOpt") or [])
    assert get(container.port, "/health") == (200, {"status": "ok"})


def test_idle_connections_outlive_the_load_balancers_reuse(run_container):
    # gunicorn's own default closes them after 2 s; shipyard's sets idleTimeout + 5 s.
    assert second_request_on_one_connection(run_container().port, idle=4) == 200
    # The same probe against a short keep-alive sees the connection closed under it.
    short = run_container(env={"KEEPALIVE_SECONDS": "1"})
    assert second_request_on_one_connection(short.port, idle=4) is None


def test_sigterm_stops_cleanly_with_exit_code_zero(engine, run_container):
    container = run_container()
    started = time.monotonic()
    engine.run("kill", "--signal", "TERM", container.name)
    exit_code = engine.run("wait", container.name, timeout=30).stdout.strip()
    elapsed = time.monotonic() - started
    assert exit_code == "0"
    assert elapsed < 10, f"took {elapsed:.1f} s to stop"


def test_image_metadata(engine, built_image):
    image = engine.inspect(built_image)
    config = image["Config"]
    assert config["Labels"]["org.opencontainers.image.version"] == BUILT_VERSION
    assert config["Labels"]["org.opencontainers.image.revision"] == BUILT_COMMIT
    assert config["User"] == "10001:10001"
    assert config["Cmd"][0] == "gunicorn"  # exec form: gunicorn is PID 1 and gets SIGTERM
    # Docker keeps the health check in Config; podman beside it.
    healthcheck = config.get("Healthcheck") or image["Healthcheck"]
    assert healthcheck["Test"] == ["CMD", "python3", "-m", "service.healthcheck"]


def test_push_to_a_loopback_registry_and_read_the_digest_back(engine, built_image, tmp_path):
    with containers.local_registry(tmp_path) as registry:
        reference = f"{registry}/shipyard-sample:{BUILT_COMMIT[:12]}"
        pushed_digest = engine.push(built_image, reference)
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", pushed_digest)
        assert containers.registry_digest(reference) == pushed_digest
        # The digest names the image by itself, tag or no tag.
        by_digest = f"{registry}/shipyard-sample@{pushed_digest}"
        assert containers.registry_digest(by_digest) == pushed_digest
