"""Build, run and push the sample image with whichever container engine this machine has.

Test and benchmark plumbing only; users build with plain `docker build` (see scripts/run-local).
Docker is used when its daemon answers. Otherwise podman, configured for machines without a
Docker daemon or systemd: runc as the runtime, health checks run on demand, a base image made
with debootstrap because no registry can be pulled from, and the host's CA bundle handed to
pip inside the build for networks behind a TLS-inspecting proxy.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
APP_DIR = REPO_ROOT / "app"
DEBOOTSTRAP_BASE_IMAGE = "localhost/shipyard-debootstrap-base:bookworm"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")

PODMAN_CONTAINERS_CONF = """\
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
"""


class EngineUnavailable(RuntimeError):
    """No container engine can build and run images here; the message says why."""


class EngineCommandFailed(RuntimeError):
    """An engine command exited non-zero; the message carries its output."""


@dataclass
class Engine:
    command: str
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    @property
    def is_podman(self) -> bool:
        return self.command == "podman"

    def run(
        self, *args: str, timeout: float = 600, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        completed = subprocess.run(
            [self.command, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and completed.returncode != 0:
            raise EngineCommandFailed(
                f"{self.command} {' '.join(args)} exited {completed.returncode}:\n"
                f"{completed.stdout}\n{completed.stderr}"
            )
        return completed

    def build(
        self,
        tag: str,
        *,
        build_args: Mapping[str, str] | None = None,
        base_image: str | None = None,
        context: Path = APP_DIR,
        no_cache: bool = False,
    ) -> None:
        args = ["build", "--tag", tag, *self.machine_build_options()]
        all_build_args = dict(build_args or {})
        if base_image:
            all_build_args["BASE_IMAGE"] = base_image
        if no_cache:
            args.append("--no-cache")
        for key, value in sorted(all_build_args.items()):
            args += ["--build-arg", f"{key}={value}"]
        self.run(*args, str(context), timeout=1200)

    def machine_build_options(self) -> list[str]:
        """Build options this machine needs and users' machines do not."""
        if not self.is_podman:
            return []
        # Keep HEALTHCHECK (OCI images drop it) and reach PyPI the way the host does.
        options = ["--format", "docker", "--network", "host"]
        if machine_ca_bundle():
            options += ["--secret", f"id=ca-bundle,src={HOST_CA_BUNDLE}"]
        return options

    def start(
        self,
        image: str,
        *,
        name: str,
        host_port: int,
        container_port: int = 8080,
        env: Mapping[str, str] | None = None,
        read_only: bool = False,
        options: Sequence[str] = (),
    ) -> None:
        args = ["run", "--detach", "--name", name, *options]
        if read_only:
            # As ECS's readonlyRootFilesystem: no writable /tmp either, only /dev/shm.
            args += ["--read-only"] + (["--read-only-tmpfs=false"] if self.is_podman else [])
        args += ["--publish", f"127.0.0.1:{host_port}:{container_port}"]
        for key, value in sorted((env or {}).items()):
            args += ["--env", f"{key}={value}"]
        self.run(*args, image)

    def remove(self, name: str) -> None:
        self.run("rm", "--force", name, check=False)

    def inspect(self, name: str) -> dict:
        return json.loads(self.run("inspect", name).stdout)[0]

    def health_status(self, name: str) -> str:
        if self.is_podman:
            # Without systemd podman has no timer for health checks; run the probe on demand.
            self.run("healthcheck", "run", name, check=False)
        state = self.inspect(name)["State"]
        health = state.get("Health") or state.get("Healthcheck") or {}
        return health.get("Status", "none")

    def wait_healthy(self, name: str, timeout: float = 60) -> float:
        """Poll the image's own HEALTHCHECK; returns the seconds it took to become healthy."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.health_status(name) == "healthy":
                return time.monotonic() - started
            if not self.inspect(name)["State"].get("Running", False):
                logs = self.run("logs", name, check=False)
                raise EngineCommandFailed(f"{name} exited:\n{logs.stdout}\n{logs.stderr}")
            time.sleep(0.5)
        raise TimeoutError(f"{name} not healthy after {timeout} s")

    def logs(self, name: str) -> tuple[str, str]:
        completed = self.run("logs", name, check=False)
        return completed.stdout, completed.stderr

    def image_size(self, image: str) -> int:
        return int(self.run("image", "inspect", "--format", "{{.Size}}", image).stdout.strip())

    def image_exists(self, image: str) -> bool:
        return self.run("image", "inspect", image, check=False).returncode == 0

    def push(self, image: str, destination: str) -> str:
        """Push to an insecure registry on loopback and return the digest the engine pushed."""
        if self.is_podman:
            with tempfile.TemporaryDirectory() as scratch:
                digest_file = Path(scratch) / "digest"
                self.run(
                    "push",
                    "--tls-verify=false",
                    "--digestfile",
                    str(digest_file),
                    image,
                    destination,
                )
                return digest_file.read_text().strip()
        self.run("tag", image, destination)
        output = self.run("push", destination).stdout
        for token in output.split():
            if token.startswith("sha256:"):
                return token
        raise EngineCommandFailed(f"docker push printed no digest:\n{output}")


def _answers(command: Sequence[str], env: Mapping[str, str]) -> tuple[bool, str]:
    try:
        completed = subprocess.run(
            list(command), env=dict(env), capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, str(error)
    last_error_lines = completed.stderr.strip().splitlines()[-1:]
    return completed.returncode == 0, "".join(last_error_lines)


def podman_environment(config_dir: Path) -> dict[str, str]:
    config = config_dir / "containers.conf"
    config.write_text(PODMAN_CONTAINERS_CONF)
    return {**os.environ, "CONTAINERS_CONF": str(config)}


def detect_engine(config_dir: Path) -> Engine:
    """Docker when its daemon answers, else podman set up for this machine, else why neither."""
    reasons = []
    if shutil.which("docker"):
        ok, why = _answers(["docker", "info"], os.environ)
        if ok:
            return Engine("docker")
        reasons.append(f"docker has no daemon ({why})")
    else:
        reasons.append("docker is not installed")
    if shutil.which("podman"):
        env = podman_environment(config_dir)
        ok, why = _answers(["podman", "info"], env)
        if ok:
            return Engine("podman", env)
        reasons.append(f"podman does not work ({why})")
    else:
        reasons.append("podman is not installed")
    raise EngineUnavailable("; ".join(reasons))


def machine_ca_bundle() -> Path | None:
    """The host's CA bundle where pip needs it (PIP_CERT set: a proxy re-signs TLS here);
    the Dockerfile takes it as the build secret `ca-bundle`, as run-local's --ca-bundle."""
    return HOST_CA_BUNDLE if HOST_CA_BUNDLE.is_file() and os.environ.get("PIP_CERT") else None


def test_base_image(engine: Engine) -> str | None:
    """The BASE_IMAGE to build on: the Dockerfile's default where it can be pulled.

    SHIPYARD_BASE_IMAGE overrides. Podman here has no registry to pull from, so it builds
    on a Debian bookworm root filesystem made once with debootstrap and kept as an image.
    """
    if os.environ.get("SHIPYARD_BASE_IMAGE"):
        return os.environ["SHIPYARD_BASE_IMAGE"]
    if not engine.is_podman:
        return None
    if not engine.image_exists(DEBOOTSTRAP_BASE_IMAGE):
        _import_debootstrap_base(engine)
    return DEBOOTSTRAP_BASE_IMAGE


def _import_debootstrap_base(engine: Engine) -> None:
    if not shutil.which("debootstrap"):
        raise EngineUnavailable("debootstrap is not installed; run scripts/setup.sh")
    with tempfile.TemporaryDirectory(prefix="shipyard-rootfs-") as scratch:
        rootfs = Path(scratch) / "rootfs"
        subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                "--include=python3,python3-venv",
                "bookworm",
                str(rootfs),
            ],
            capture_output=True,
            text=True,
            timeout=900,
            check=True,
        )
        for leftover in (
            "var/cache/apt/archives",
            "var/lib/apt/lists",
            "usr/share/doc",
            "usr/share/man",
            "usr/share/locale",
        ):
            shutil.rmtree(rootfs / leftover, ignore_errors=True)
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        subprocess.run(
            ["podman", "import", "-", DEBOOTSTRAP_BASE_IMAGE],
            stdin=tar.stdout,
            env=engine.env,
            capture_output=True,
            timeout=600,
            check=True,
        )
        tar.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


REGISTRY_CONFIG = """\
version: 0.1
storage:
  filesystem:
    rootdirectory: {root}
http:
  addr: 127.0.0.1:{port}
"""


@contextlib.contextmanager
def local_registry(workdir: Path) -> Iterator[str]:
    """Debian's docker-registry on 127.0.0.1, no TLS and no auth; yields host:port."""
    binary = shutil.which("docker-registry")
    if not binary:
        raise EngineUnavailable("docker-registry is not installed; run scripts/setup.sh")
    port = free_port()
    config = workdir / "registry.yml"
    config.write_text(REGISTRY_CONFIG.format(root=workdir / "storage", port=port))
    log = (workdir / "registry.log").open("w")
    server = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=log)
    try:
        wait_for_port(port)
        yield f"127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def registry_digest(reference: str) -> str:
    """The manifest digest the registry serves for a reference, read back with skopeo."""
    completed = subprocess.run(
        [
            "skopeo",
            "inspect",
            "--tls-verify=false",
            "--format",
            "{{.Digest}}",
            f"docker://{reference}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return completed.stdout.strip()
