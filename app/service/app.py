"""HTTP endpoints and per-request JSON logging."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO

from flask import Flask, g, jsonify, request


@dataclass(frozen=True)
class ServiceInfo:
    """What the service reports about itself; version and commit are baked in at build time."""

    name: str
    version: str
    commit: str
    environment: str
    # (name, received) of each secret the deployment gives it: names only, never values.
    secrets: tuple[tuple[str, bool], ...] = ()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ServiceInfo:
        # shipyard names the variables that hold secrets (SHIPYARD_SECRET_NAMES), so a
        # deploy can be checked end to end without showing a value.
        names = [name for name in environ.get("SHIPYARD_SECRET_NAMES", "").split(",") if name]
        return cls(
            name=environ.get("SERVICE_NAME", "shipyard-sample"),
            version=environ.get("APP_VERSION", "unknown"),
            commit=environ.get("APP_COMMIT", "unknown"),
            environment=environ.get("APP_ENVIRONMENT", "local"),
            secrets=tuple((name, bool(environ.get(name))) for name in names),
        )


def create_app(info: ServiceInfo | None = None, log_stream: TextIO | None = None) -> Flask:
    info = info or ServiceInfo.from_environ(os.environ)
    app = Flask(info.name)

    @app.before_request
    def start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def log_request(response):
        duration_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        line = {
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round(duration_ms, 3),
        }
        stream = log_stream or sys.stdout
        stream.write(json.dumps(line, separators=(",", ":")) + "\n")
        stream.flush()
        return response

    @app.get("/health")
    def health():
        return jsonify(status="ok")

    @app.get("/")
    def index():
        return jsonify(
            service=info.name,
            version=info.version,
            commit=info.commit,
            environment=info.environment,
            secrets={
                name: "received" if received else "missing" for name, received in info.secrets
            },
        )

    return app
