"""The boot script of an EC2 instance: install Docker, log in to ECR, pull by digest, run, and
let Auto Scaling put the instance in service only once the container answers its health
check.

The group's launch lifecycle hook holds a new instance in Pending:Wait until this script
completes the lifecycle action, so the load balancer never sees an instance that is still
booting, and the health check grace period starts only when the container is healthy. Any
failure abandons the launch at once, and Auto Scaling replaces the instance.

It holds no secret: the registry password is fetched at boot with the instance role and
handed to docker on stdin, and the container's secrets (shipyard:secrets) are fetched at
boot too and handed to docker through a pipe (see secret_steps). Every value is
shell-quoted.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from shipyard.config.container_contract import CONTAINER_NAME, HARDENED_RUN_OPTIONS
from shipyard.config.secret_references import SecretReference
from shipyard.program.boot_secrets import secret_steps
from shipyard.program.container import docker_health_options

LIFECYCLE_HOOK_NAME = "shipyard-container-healthy"
# Each attempt takes at most this long: a probe of up to 2 s, then 2 s of sleep.
SECONDS_PER_HEALTH_ATTEMPT = 4
# Kept back from the hook's timeout for completing the lifecycle action itself.
HOOK_MARGIN_SECONDS = 15


@dataclass(frozen=True)
class BootContainer:
    image_ref: str  # repo@sha256:...
    port: int
    environment: tuple[tuple[str, str], ...]
    stop_timeout: int
    log_group_name: str
    region: str
    health_check_path: str
    group_name: str
    boot_timeout: int  # the lifecycle hook's heartbeat timeout, in seconds
    secrets: tuple[SecretReference, ...] = ()
    # containerHealthCheck, run as Docker's own health check; () turns the image's off.
    health_command: tuple[str, ...] = ()


def health_attempts(boot_timeout: int) -> int:
    """Probes the script makes before it gives up, so it finishes inside the hook's timeout."""
    return max(1, (boot_timeout - HOOK_MARGIN_SECONDS) // SECONDS_PER_HEALTH_ATTEMPT)


def render_user_data(container: BootContainer) -> str:
    q = shlex.quote
    env_flags = "".join(
        f"  --env {q(f'{name}={value}')} \\\n" for name, value in container.environment
    )
    docker_state, fetch_secrets, secret_flag = secret_steps(container.secrets)
    hardened = " ".join(HARDENED_RUN_OPTIONS)
    health = " ".join(q(option) for option in docker_health_options(container.health_command))
    # With a health command, the instance also waits for Docker to call the container healthy.
    docker_health = (
        f"[ \"$(docker inspect --format '{{{{.State.Health.Status}}}}' {CONTAINER_NAME})\" "
        "= healthy ]"
        if container.health_command
        else "true"
    )
    # A failure inside $(...) must fail the script too, not leave a variable empty.
    errexit = "shopt -s inherit_errexit\n" if container.secrets else ""
    imds = "http://169.254.169.254/latest"
    return f"""#!/bin/bash
# Rendered by shipyard. Runs the service's container on this instance, then lets Auto Scaling
# put the instance in service once the container is healthy. Holds no secret.
set -euo pipefail
{errexit}
image={q(container.image_ref)}
region={q(container.region)}
log_group={q(container.log_group_name)}
port={container.port}
health_url={q(f"http://127.0.0.1:{container.port}{container.health_check_path}")}
group={q(container.group_name)}
hook={LIFECYCLE_HOOK_NAME}
registry="${{image%%/*}}"

# This instance's ID, from IMDSv2 (tokens required; hop limit 1 keeps it to the host).
imds_token=$(curl -fsS -X PUT {imds}/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 300")
instance_id=$(curl -fsS -H "X-aws-ec2-metadata-token: $imds_token" {imds}/meta-data/instance-id)

finish_launch() {{
  aws autoscaling complete-lifecycle-action --region "$region" \\
    --auto-scaling-group-name "$group" --lifecycle-hook-name "$hook" \\
    --instance-id "$instance_id" --lifecycle-action-result "$1"
}}
# A failure from here on abandons the launch at once, rather than at the hook's timeout.
trap 'finish_launch ABANDON' ERR

{docker_state}dnf install -y docker{fetch_secrets}
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
  {hardened} \\
  {health} \\
{env_flags}{secret_flag}  "$image"

# Until the hook's time is nearly up, counted from the script's start (SECONDS): booting,
# installing Docker and pulling the image have used some of it already.
deadline={container.boot_timeout - HOOK_MARGIN_SECONDS}
for ((attempt = 1; attempt <= {health_attempts(container.boot_timeout)}; attempt++)); do
  if curl -fsS -o /dev/null --max-time 2 "$health_url" && {docker_health}; then
    finish_launch CONTINUE
    exit 0
  fi
  if ((SECONDS >= deadline)); then break; fi
  sleep 2
done
echo "the container did not answer $health_url in time; abandoning this instance" >&2
finish_launch ABANDON
exit 1
"""
