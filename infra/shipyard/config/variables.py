"""Container variables as a stack file names them: `NAME=value` pairs, and the names
shipyard sets itself, which a stack may not."""

from __future__ import annotations

from collections.abc import Iterable

# Names (never values) of the variables that hold secrets: the sample service shows which
# it received, so a deploy can be checked end to end.
SECRET_NAMES_VARIABLE = "SHIPYARD_SECRET_NAMES"
# Variables shipyard sets itself; a stack's environmentVariables may not use them.
RESERVED_VARIABLES = frozenset(
    {"APP_ENVIRONMENT", "PORT", "KEEPALIVE_SECONDS", SECRET_NAMES_VARIABLE}
)


def name_value_pairs(entries: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """`NAME=value` strings (environmentVariables) as (name, value) pairs."""
    return tuple((name, value) for name, _, value in (entry.partition("=") for entry in entries))
