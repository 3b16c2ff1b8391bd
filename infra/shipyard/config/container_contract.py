"""What the program and the CLI both rely on about the service's container: its name (in
the task definition, and on an EC2 instance), and how docker runs it hardened there. The
CLI's one-off commands run the same container the same way (`shipyard run`)."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

CONTAINER_NAME = "app"

# How an EC2 host runs the container, as ECS runs a task (capabilities dropped, see
# program/components/ecs_service.py): no Linux capabilities, no privilege gained through
# setuid binaries, and a cap on processes so a fork bomb cannot take the host down.
PIDS_LIMIT = 512
HARDENED_RUN_OPTIONS = (
    "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--pids-limit", str(PIDS_LIMIT),
)  # fmt: skip


# How much sooner than SSM's own time limit the container is stopped: SSM kills the script
# (SIGKILL, no trap runs), which would leave the container running under dockerd.
STOP_MARGIN_SECONDS = 15


def one_off_script(
    command: Sequence[str], image: str, region: str, group: str, stream: str, name: str,
    timeout: float,
) -> str:  # fmt: skip
    """What an instance runs for a one-off command (`shipyard run`, the pre-deploy command)
    through SSM Run Command: `docker run --rm` of the service's container with COMMAND, in
    `image` (empty: the one the service's container runs), with the service's variables and
    secrets (the running container's, less its image's own ENV lines) through a pipe, never
    a file or an argument; hardened as it is; its output in `stream` of the service's log
    group; stopped `STOP_MARGIN_SECONDS` before `timeout`. Its exit code is the command's
    (124 when stopped for time)."""
    q = shlex.quote
    given = f"image={q(image)}" if image else 'image="$served"'
    env = "'{{range .Config.Env}}{{println .}}{{end}}'"
    limit = max(1, int(timeout) - STOP_MARGIN_SECONDS)
    return f"""set -euo pipefail
if ! served=$(docker inspect --format '{{{{.Config.Image}}}}' {CONTAINER_NAME} 2>/dev/null); then
  echo "no {CONTAINER_NAME} container runs on this instance" >&2
  exit 125
fi
{given}
aws ecr get-login-password --region {q(region)} \
  | docker login --username AWS --password-stdin "${{image%%/*}}" >/dev/null
image_env=$(mktemp)
trap 'rm -f "$image_env"; docker rm --force {q(name)} >/dev/null 2>&1 || true' EXIT
docker image inspect --format {env} "$served" | sed '/^$/d' > "$image_env"
docker inspect --format {env} {CONTAINER_NAME} \
  | {{ grep -vxF -f "$image_env" || true; }} \
  | timeout --signal=TERM --kill-after=10 {limit} \
    docker run --rm --name {q(name)} --env-file /dev/stdin \
    --log-driver awslogs --log-opt awslogs-region={q(region)} \
    --log-opt awslogs-group={q(group)} --log-opt awslogs-stream={q(stream)} \
    --log-opt cache-disabled=true \
    --read-only {" ".join(HARDENED_RUN_OPTIONS)} \
    "$image" {shlex.join(command)}
"""


def one_off_removal(name: str) -> str:
    """What stops and removes a one-off container whose script SSM cancelled or killed."""
    return f"docker rm --force {shlex.quote(name)}"
