"""The rules a stack's settings must follow, run by kind of stack.

Each check reads the parsed values and returns its problems, each starting with the key path
it is about and saying what is allowed. Checks run only on values that parsed, so one bad
value gives one message. The rules themselves are in environment_checks.py and
service_checks.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from shipyard.config.keys import SERVICE, path


class Values(dict[str, Any]):
    """Parsed settings by key name, the stack (environment) they configure, its region,
    which config keys the stack holds encrypted (`pulumi config set --secret`), and whether
    this is an offline check."""

    def __init__(
        self,
        environment: str,
        items: dict[str, Any],
        region: str = "",
        secret_keys: frozenset[str] = frozenset(),
        offline: bool = False,
    ) -> None:
        super().__init__(items)
        self.environment = environment
        self.region = region
        self.secret_keys = secret_keys
        # An offline check (shipyard validate), which cannot decrypt `secure:` values.
        self.offline = offline


Problems = str | Iterable[str] | None
Check = Callable[[Values], Problems]
# Key paths a check may report about beyond `shipyard:<key>`.
STACK_NAME = "stack name"


def between(name: str, low: int, high: int) -> Check:
    def check(values: Values) -> Problems:
        if not low <= values[name] <= high:
            return f"{path(name)}: {values[name]} is out of range; use {low} to {high}"
        return None

    return check


def for_target(target: str, check: Check) -> Check:
    """A check that applies only when the stack runs on `target`."""

    def scoped(values: Values) -> Problems:
        return check(values) if values["target"] == target else None

    return scoped


def matches(name: str, pattern: str, advice: str, allow_empty: bool = False) -> Check:
    def check(values: Values) -> Problems:
        value = values[name]
        if allow_empty and value == "":
            return None
        if not re.fullmatch(pattern, value):
            shown = repr(value) if value else "(empty)"
            return f"{path(name)}: {shown} {advice}"
        return None

    return check


def one_of(name: str, allowed: tuple[Any, ...]) -> Check:
    def check(values: Values) -> Problems:
        if values[name] not in allowed:
            listing = ", ".join(str(item) for item in allowed)
            return f"{path(name)}: {values[name]!r} is not allowed; use {listing}"
        return None

    return check


SERVICE_NAME = r"[a-z](?:[a-z0-9]|-(?=[a-z0-9])){1,19}"


def run_checks(values: Values, unparsed: set[str]) -> list[str]:
    """Every problem of every check for the stack's kind, except those about a value that
    did not parse."""
    from shipyard.config.environment_checks import ENVIRONMENT_CHECKS
    from shipyard.config.service_checks import SERVICE_CHECKS

    common: tuple[Check, ...] = (
        one_of("kind", ("environment", SERVICE)),
        matches("serviceName", SERVICE_NAME,
                "is not a valid name; use 2-20 lowercase letters, digits and single hyphens, "
                "starting with a letter and not ending with a hyphen"),
    )  # fmt: skip
    kind_checks = {"environment": ENVIRONMENT_CHECKS, SERVICE: SERVICE_CHECKS}
    problems: list[str] = []
    for check in (*common, *kind_checks.get(values["kind"], ())):
        found = check(values)
        if found is None:
            continue
        for problem in [found] if isinstance(found, str) else found:
            if problem.split(": ", 1)[0] not in unparsed:
                problems.append(problem)
    return problems
