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
