"""The one exception a user can cause, and the exit codes the CLI returns."""

from __future__ import annotations

OK = 0
FAILED = 1
USAGE = 2
DANGEROUS_CHANGES = 3
UNHEALTHY = 4
INTERRUPTED = 130


class UserError(Exception):
    """Something the user can act on; the message says what to do. Printed without traceback."""

    def __init__(self, message: str, exit_code: int = FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def require_known_environments(requested: list[str], known: list[str]) -> None:
    """Bad usage unless every requested environment has a stack file."""
    unknown = [env for env in requested if env not in known]
    if unknown:
        raise UserError(
            f"unknown environment {', '.join(map(repr, unknown))}; known: {', '.join(known)} "
            "(one stacks/Pulumi.<env>.yaml each)",
            exit_code=USAGE,
        )
