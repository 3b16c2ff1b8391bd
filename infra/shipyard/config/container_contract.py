"""What the program and the CLI both rely on about the service's container: its name (in
the task definition, and on an EC2 instance), and how docker runs it hardened there. The
CLI's one-off commands run the same container the same way (`shipyard run`)."""

from __future__ import annotations

CONTAINER_NAME = "app"

# How an EC2 host runs the container, as ECS runs a task (capabilities dropped, see
# program/components/ecs_service.py): no Linux capabilities, no privilege gained through
# setuid binaries, and a cap on processes so a fork bomb cannot take the host down.
PIDS_LIMIT = 512
HARDENED_RUN_OPTIONS = (
    "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--pids-limit", str(PIDS_LIMIT),
)  # fmt: skip
