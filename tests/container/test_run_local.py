"""scripts/run-local, the command users run to try the service on their machine."""

from __future__ import annotations

import contextlib
import datetime
import os
import signal
import socketserver
import ssl
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devtools import containers

pytestmark = [pytest.mark.container, pytest.mark.xdist_group("container")]
SCRIPT = containers.REPO_ROOT / "scripts" / "run-local"
NAME = "shipyard-sample-local"
# Lines a run must not print: a build-argument warning, podman's health-check scheduling
# noise, bash's report of the log follower it killed.
NOISE = ("[Warning]", "not consumed", "level=error", "Killed")


@dataclass(frozen=True)
class Invocation:
    command: list[str]
    env: dict[str, str]


def as_users_run_it(
    engine, *arguments: str, build_options: str = "", ca_bundle: bool = True
) -> Invocation:
    """The command a user of this machine would type: its base image and CA bundle through
    the documented options."""
    options = []
    base = containers.test_base_image(engine)
    if base:
        options += ["--base-image", base]
    bundle = containers.machine_ca_bundle()
    if bundle and ca_bundle:
        options += ["--ca-bundle", str(bundle)]
    # Without the tests' containers.conf (whose ulimits hide rootful podman's open-files
    # default, which the runtime cannot set on this machine).
    env = {key: value for key, value in engine.env.items() if key != "CONTAINERS_CONF"}
    network = "--network host" if engine.is_podman else ""
    env["EXTRA_BUILD_OPTIONS"] = f"{network} {build_options}".strip()
    return Invocation([str(SCRIPT), *options, *arguments], env)


def _start_run_local(engine) -> tuple[subprocess.Popen[str], int, str]:
    """Start the script as users run it and read its output until it says healthy."""
    port = containers.free_port()
    invocation = as_users_run_it(engine, str(port))
    process = subprocess.Popen(
        invocation.command,
        env=invocation.env,
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
    return process, port, "".join(seen)


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


def _no_noise(output: str) -> None:
    assert [line for line in output.splitlines() if any(n in line for n in NOISE)] == []


def test_run_local_builds_runs_healthy_and_cleans_up_on_ctrl_c(engine, built_image):
    process, port, started = _start_run_local(engine)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert response.status == 200
    finally:
        os.killpg(process.pid, signal.SIGINT)
    returncode, rest = _finish(engine, process)
    assert returncode == 130, rest  # the shell's code for "stopped by Ctrl-C"
    _no_noise(started + rest)
    # The EXIT trap removed the container.
    assert engine.run("inspect", NAME, check=False).returncode != 0


def test_run_local_stopped_alone_reports_no_killed_follower(engine, built_image):
    # A TERM to the script alone (a supervisor, or a terminal whose follower ignores the
    # interrupt): the follower is killed and reaped without bash reporting it.
    process, _, _ = _start_run_local(engine)
    process.send_signal(signal.SIGTERM)
    returncode, rest = _finish(engine, process)
    assert returncode == 143, rest
    _no_noise(rest)
    assert engine.run("inspect", NAME, check=False).returncode != 0


def test_run_local_fails_and_cleans_up_when_the_container_stops(engine, built_image):
    process, _, _ = _start_run_local(engine)
    engine.run("kill", NAME, check=False)
    returncode, rest = _finish(engine, process)
    assert returncode == 1, rest
    assert f"error: {NAME} stopped (exit code" in rest
    assert engine.run("inspect", NAME, check=False).returncode != 0


def test_a_base_image_that_cannot_be_pulled_is_named_with_the_option_to_pass(engine):
    # A registry on a closed loopback port: the pull fails here and everywhere.
    unreachable = "127.0.0.1:9/shipyard/no-such-base:1"
    invocation = as_users_run_it(engine, "--base-image", unreachable)
    completed = subprocess.run(
        invocation.command, env=invocation.env, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert (
        f"error: the build could not pull its base image {unreachable}; pass --base-image "
        "IMAGE" in completed.stderr
    )


@dataclass
class Proxy:
    url: str
    connects: list[str]  # the CONNECT targets asked for


@pytest.fixture
def resigning_proxy(tmp_path) -> Iterator[Proxy]:
    """An HTTPS proxy on loopback that answers every CONNECT with a certificate of its own,
    as a TLS-inspecting proxy does to a client that does not trust its CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "re-signing proxy")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = tmp_path / "proxy.crt", tmp_path / "proxy.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)

    class Resigning(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = self.request.recv(4096)
                if not chunk:
                    return
                request += chunk
            connects.append(request.split()[1].decode())
            self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            with contextlib.suppress(OSError), context.wrap_socket(
                self.request, server_side=True
            ) as tls:
                tls.recv(1)

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    connects: list[str] = []
    with Server(("127.0.0.1", 0), Resigning) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield Proxy(f"http://127.0.0.1:{server.server_address[1]}", connects)
        server.shutdown()


def test_a_proxy_that_re_signs_tls_is_named_with_the_option_to_pass(engine, resigning_proxy):
    # The build reaches the loopback proxy on the host's network (podman's is already).
    network = "" if engine.is_podman else "--network host"
    # Without the CA bundle: what a user behind such a proxy types first.
    invocation = as_users_run_it(
        engine,
        build_options=f"{network} --no-cache --build-arg HTTPS_PROXY={resigning_proxy.url}",
        ca_bundle=False,
    )
    completed = subprocess.run(
        invocation.command, env=invocation.env, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert (
        "error: pip did not trust PyPI's certificate, so a proxy re-signs TLS here; pass "
        "--ca-bundle FILE" in completed.stderr
    ), completed.stdout + completed.stderr
    assert "pypi.org:443" in resigning_proxy.connects
    _no_noise(completed.stdout + completed.stderr)


def test_run_local_says_its_options_and_refuses_bad_ones_before_building(tmp_path: Path):
    def run(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPT), *arguments], capture_output=True, text=True, timeout=60, check=False
        )

    shown = run("--help")
    assert shown.returncode == 0
    assert "--base-image IMAGE" in shown.stdout and "--ca-bundle FILE" in shown.stdout
    not_pem = tmp_path / "bundle.txt"
    not_pem.write_text("not a certificate\n")
    cases = {
        ("eighty",): "PORT must be a number, got 'eighty'",
        ("--ca-bundle", str(tmp_path / "missing.pem")): "--ca-bundle: cannot read the file",
        ("--ca-bundle", str(not_pem)): f"--ca-bundle: '{not_pem}' holds no PEM certificate",
        ("--base-image",): "--base-image needs a value",
        ("--colour",): "unknown option --colour; see --help",
    }
    for arguments, said in cases.items():
        completed = run(*arguments)
        assert (completed.returncode, said in completed.stderr) == (2, True), completed.stderr
