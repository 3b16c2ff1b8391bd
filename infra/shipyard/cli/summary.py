"""What a preview will do: counts by resource type and the changes that lose state."""

from __future__ import annotations

from collections import Counter

from rich.table import Table

from shipyard.cli.model import PlannedStep

# Resources whose replacement or deletion loses images, logs, the DNS name or the network.
STATEFUL_TYPES = frozenset(
    {
        "aws:ecr/repository:Repository",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:ecs/cluster:Cluster",
        "aws:ec2/vpc:Vpc",
    }
)
COLUMNS = ("create", "update", "replace", "delete")
# Pulumi reports a replacement as up to three steps; count it once, as a replace.
OP_COLUMN = {
    "create": "create",
    "update": "update",
    "replace": "replace",
    "create-replacement": "replace",
    "delete-replaced": None,
    "delete": "delete",
}
IMAGE_BUILD_TYPE = "docker:index/image:Image"


def counts(steps: list[PlannedStep]) -> Counter[tuple[str, str]]:
    tally: Counter[tuple[str, str]] = Counter()
    seen_replacements: set[str] = set()
    for step in steps:
        column = OP_COLUMN.get(step.op)
        if column is None:
            continue
        if column == "replace":
            if step.urn in seen_replacements:
                continue
            seen_replacements.add(step.urn)
        tally[(step.type, column)] += 1
    return tally


def destructive(steps: list[PlannedStep]) -> list[PlannedStep]:
    """Replaces and deletes of stateful or protected resources, one per resource."""
    found: dict[str, PlannedStep] = {}
    for step in steps:
        loses_state = OP_COLUMN.get(step.op, "") in ("replace", "delete") or (
            step.op == "delete-replaced"
        )
        if loses_state and (step.type in STATEFUL_TYPES or step.protected):
            found.setdefault(step.urn, step)
    return list(found.values())


def images_built(steps: list[PlannedStep]) -> int:
    return sum(
        1
        for step in steps
        if step.type == IMAGE_BUILD_TYPE
        and OP_COLUMN.get(step.op) in ("create", "update", "replace")
    )


def summary_table(steps: list[PlannedStep]) -> Table:
    tally = counts(steps)
    table = Table(title="Changes by resource type")
    table.add_column("resource type")
    for column in COLUMNS:
        table.add_column(column, justify="right")
    for resource_type in sorted({resource_type for resource_type, _ in tally}):
        table.add_row(
            resource_type,
            *[str(tally.get((resource_type, column), "")) for column in COLUMNS],
        )
    if not tally:
        table.add_row("(no changes)", "", "", "", "")
    return table
