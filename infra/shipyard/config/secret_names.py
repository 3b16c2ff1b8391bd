"""Variable names that say they hold a secret. Settings refuse them in
environmentVariables, and the policy pack in what the program registers."""

from __future__ import annotations

import re

# Names that hold secrets by convention; names that only point at one (a file, an ARN, a
# URL) are fine.
SECRET_LOOKING_NAME = re.compile(
    r"PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE_?KEY|API_?KEY|(^|_)KEY$", re.IGNORECASE
)
POINTER_SUFFIX = re.compile(r"_(FILE|PATH|ARN|URL|URI|ID|NAMES?|ENDPOINT)$", re.IGNORECASE)


def secret_looking(name: str) -> bool:
    """Whether a plain environment variable's name says it holds a secret."""
    return bool(SECRET_LOOKING_NAME.search(name)) and not POINTER_SUFFIX.search(name)
