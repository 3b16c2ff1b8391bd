"""Unit tests of the sample service, through Flask's test client and a real loopback server."""

from __future__ import annotations

import io
import json
import runpy
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from service import healthcheck
from service.app import ServiceInfo, create_app

APP_DIR = Path(__file__).resolve().parents[2] / "app"
INFO = ServiceInfo(name="orders", version="2.0.1", commit="deadbeef", environment="staging")


@pytest.fixture
def log_stream() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def client(log_stream):
    return create_app(INFO, log_stream=log_stream).test_client()


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        ("GET", "/health", 200, {"status": "ok"}),
        (
            "GET",
            "/",
            200,
            {
                "service": "orders",
                "version": "2.0.1",
                "commit": "deadbeef",
                "environment": "staging",
                "secrets": {},
            },
        ),
        ("GET", "/missing", 404, None),
        ("POST", "/health", 405, None),
    ],
)
def test_endpoints(client, method, path, status, body):
    response = client.open(path, method=method)
    assert response.status_code == status
    if body is not None:
        assert response.get_json() == body


@pytest.mark.parametrize(("path", "status"), [("/health", 200), ("/", 200), ("/nope", 404)])
def test_each_request_logs_one_json_line(client, log_stream, path, status):
    client.get(path)
    lines = log_stream.getvalue().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["method"] == "GET"
    assert record["path"] == path
    assert record["status"] == status
    assert isinstance(record["duration_ms"], float) and record["duration_ms"] >= 0


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, ServiceInfo("shipyard-sample", "unknown", "unknown", "local")),
        (
            {
                "SERVICE_NAME": "api",
                "APP_VERSION": "1",
                "APP_COMMIT": "c0ffee",
                "APP_ENVIRONMENT": "prod",
            },
            ServiceInfo("api", "1", "c0ffee", "prod"),
        ),
    ],
)
def test_service_info_from_environment(environ, expected):
    assert ServiceInfo.from_environ(environ) == expected


def test_root_names_the_secrets_received_and_never_shows_a_value():
    environ = {
        "SHIPYARD_SECRET_NAMES": "DATABASE_PASSWORD,API_KEY",
        "DATABASE_PASSWORD": "test-only-value-3c1d",
    }
    client = create_app(ServiceInfo.from_environ(environ), io.StringIO()).test_client()
    body = client.get("/").get_json()
    assert body["secrets"] == {"DATABASE_PASSWORD": "received", "API_KEY": "missing"}
    assert "test-only-value-3c1d" not in json.dumps(body)


@pytest.mark.parametrize(
    ("environ", "bind"), [({}, "0.0.0.0:8080"), ({"PORT": "9000"}, "0.0.0.0:9000")]
)
def test_gunicorn_listens_on_port_variable(monkeypatch, environ, bind):
    monkeypatch.delenv("PORT", raising=False)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    settings = runpy.run_path(str(APP_DIR / "gunicorn.conf.py"))
    assert settings["bind"] == bind
    assert settings["graceful_timeout"] < 10


def test_healthcheck_probe_against_a_live_server(monkeypatch):
    server = make_server("127.0.0.1", 0, create_app(INFO, log_stream=io.StringIO()))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("PORT", str(server.server_port))
        assert healthcheck.main() == 0
    finally:
        server.shutdown()
    # Same port, nothing listening any more: the probe reports unhealthy.
    assert healthcheck.main() == 1
