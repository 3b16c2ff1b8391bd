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

from container import CONTAINER_NAME, HARDENED_RUN_OPTIONS
from secret_references import SECRETS_MANAGER, SecretReference

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


def health_attempts(boot_timeout: int) -> int:
    """Probes the script makes before it gives up, so it finishes inside the hook's timeout."""
    return max(1, (boot_timeout - HOOK_MARGIN_SECONDS) // SECONDS_PER_HEALTH_ATTEMPT)


# Docker keeps a container's configuration, its environment included, under these
# directories (dockerd's container config, containerd's metadata of the running task).
DOCKER_STATE = ("/var/lib/docker/containers", "/var/lib/containerd")


def secret_steps(secrets: tuple[SecretReference, ...]) -> tuple[str, str, str]:
    """The script's lines that keep Docker's state in memory, those that fetch the secrets,
    and the docker run options that pass them.

    Values are read with the instance role into this shell's memory only, and reach docker
    through a pipe (`--env-file <(...)`, printf being a builtin): never in a file, in an
    argument (the process list), in the output (the instance's logs) or in the user data.
    Docker's own copy of the container's environment is kept in memory too: its state
    directories are tmpfs (Amazon Linux 2023 has no swap). A reboot therefore loses the
    container; its health check fails and Auto Scaling replaces the instance.
    """
    if not secrets:
        return "", "", ""
    q = shlex.quote
    fetches = []
    for secret in sorted(secrets, key=lambda secret: secret.variable):
        if secret.kind == SECRETS_MANAGER:
            # A secret is always referenced by its full ARN: region and account are its own.
            call = (
                f"secret_value {q(secret.arn('', ''))} {q(secret.json_key)} "
                f"{q(secret.version_stage)} "
                f"{q(secret.version_id)}"
            )
        else:
            call = f"parameter_value {q(secret.name)}"
        fetches.append(f"secret_values[{secret.variable}]=$({call})")
    mounts = " ".join(DOCKER_STATE)
    fetch_lines = "\n".join(fetches)
    steps = f"""

# The container's secrets, read with the instance role into this shell only.
parameter_value() {{
  aws ssm get-parameter --region "$region" --with-decryption --name "$1" \\
    --query Parameter.Value --output text
}}
secret_value() {{  # secret ARN, JSON key, version stage, version id
  local options=(--secret-id "$1") value
  if [[ -n $3 ]]; then options+=(--version-stage "$3"); fi
  if [[ -n $4 ]]; then options+=(--version-id "$4"); fi
  value=$(aws secretsmanager get-secret-value --region "$region" "${{options[@]}}" \\
    --query SecretString --output text)
  if [[ $value == None ]]; then  # what the CLI prints for a binary secret
    echo "secret $1 has no text value (SecretString); store it as text" >&2
    return 1
  fi
  if [[ -n $2 ]]; then
    value=$(printf '%s' "$value" | python3 -c 'import json, sys
value = json.load(sys.stdin)[sys.argv[1]]
print(value if isinstance(value, str) else json.dumps(value), end="")' "$2")
  fi
  printf '%s' "$value"
}}
declare -A secret_values
{fetch_lines}
for name in "${{!secret_values[@]}}"; do
  if [[ ${{secret_values[$name]}} == *$'\\n'* ]]; then
    echo "the value of secret $name has several lines; Docker's --env-file takes one" >&2
    false
  fi
  # Docker's env file parser prints a line that is not UTF-8, value and all.
  if ! printf '%s' "${{secret_values[$name]}}" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1; then
    echo "the value of secret $name is not UTF-8 text; Docker's --env-file takes only that" >&2
    false
  fi
done
secret_env_file() {{
  local name
  for name in "${{!secret_values[@]}}"; do
    printf '%s=%s\\n' "$name" "${{secret_values[$name]}}"
  done
}}
"""
    # awslogs keeps a local cache of the logs next to the container's config by default
    # (Docker's dual logging, up to 100 MB): off, so the tmpfs holds only the config.
    # Before Docker is installed: its package may start containerd, whose state would then
    # stay open on the disk underneath.
    tmpfs = f"""# Docker's copy of the container's environment stays in memory (see user_data.py).
for state in {mounts}; do
  mkdir -p "$state"
  mount -t tmpfs -o mode=0700,size=64m tmpfs "$state"
  mountpoint -q "$state"
done

"""
    return tmpfs, steps, (
        '  --log-opt "cache-disabled=true" \\\n  --env-file <(secret_env_file) \\\n'
    )


def render_user_data(container: BootContainer) -> str:
    q = shlex.quote
    env_flags = "".join(
        f"  --env {q(f'{name}={value}')} \\\n" for name, value in container.environment
    )
    docker_state, fetch_secrets, secret_flag = secret_steps(container.secrets)
    hardened = " ".join(HARDENED_RUN_OPTIONS)
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
{env_flags}{secret_flag}  "$image"

# Until the hook's time is nearly up, counted from the script's start (SECONDS): booting,
# installing Docker and pulling the image have used some of it already.
deadline={container.boot_timeout - HOOK_MARGIN_SECONDS}
for ((attempt = 1; attempt <= {health_attempts(container.boot_timeout)}; attempt++)); do
  if curl -fsS -o /dev/null --max-time 2 "$health_url"; then
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
