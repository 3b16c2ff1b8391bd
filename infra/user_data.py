"""The boot script of an EC2 instance: install Docker, log in to ECR, pull by digest, run.

It holds no secret: the registry password is fetched at boot with the instance role and
handed to docker on stdin. Every value is shell-quoted.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from container import CONTAINER_NAME


@dataclass(frozen=True)
class BootContainer:
    image_ref: str  # repo@sha256:...
    port: int
    environment: tuple[tuple[str, str], ...]
    stop_timeout: int
    log_group_name: str
    region: str


def render_user_data(container: BootContainer) -> str:
    q = shlex.quote
    env_flags = "".join(
        f"  --env {q(f'{name}={value}')} \\\n" for name, value in container.environment
    )
    return f"""#!/bin/bash
# Rendered by shipyard. Runs the service's container on this instance; holds no secret.
set -euo pipefail

image={q(container.image_ref)}
region={q(container.region)}
log_group={q(container.log_group_name)}
port={container.port}
registry="${{image%%/*}}"

dnf install -y docker
systemctl enable --now docker
aws ecr get-login-password --region "$region" \\
  | docker login --username AWS --password-stdin "$registry"
docker pull "$image"
docker run --detach --name {CONTAINER_NAME} --restart always \\
  --log-driver awslogs \\
  --log-opt "awslogs-region=$region" \\
  --log-opt "awslogs-group=$log_group" \\
  --publish "$port:$port" \\
  --stop-timeout {container.stop_timeout} \\
  --read-only \\
{env_flags}  "$image"
"""
