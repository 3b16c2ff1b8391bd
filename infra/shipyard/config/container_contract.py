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


def one_off_script(
    command: Sequence[str], image: str, region: str, group: str, stream: str, name: str
) -> str:
    """What an instance runs for a one-off command (`shipyard run`, the pre-deploy command)
    through SSM Run Command: `docker run --rm` of the service's container with COMMAND, in
    `image` (empty: the one the service's container runs), with that container's variables
    and secrets through a pipe (never a file or an argument), hardened as it is, its output
    in `stream` of the service's log group. Its exit code is the command's."""
    q = shlex.quote
    given = f"image={q(image)}" if image else (
        f"image=$(docker inspect --format '{{{{.Config.Image}}}}' {CONTAINER_NAME})"
    )
    return f"""set -eu
{given}
aws ecr get-login-password --region {q(region)} \\
  | docker login --username AWS --password-stdin "${{image%%/*}}" >/dev/null
trap 'docker rm --force {q(name)} >/dev/null 2>&1 || true' EXIT
docker inspect --format '{{{{range .Config.Env}}}}{{{{println .}}}}{{{{end}}}}' {CONTAINER_NAME} \\
  | docker run --rm --name {q(name)} --env-file /dev/stdin \\
    --log-driver awslogs --log-opt awslogs-region={q(region)} \\
    --log-opt awslogs-group={q(group)} --log-opt awslogs-stream={q(stream)} \\
    --read-only {" ".join(HARDENED_RUN_OPTIONS)} \\
    "$image" {shlex.join(command)}
"""
