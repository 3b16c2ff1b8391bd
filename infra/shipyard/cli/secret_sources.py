"""Before anything changes: every parameter and secret a stack references must exist.

ECS reads them when a task starts and the boot script when an instance starts, so a missing
one surfaces only as tasks that never start or instances that are abandoned, long after the
update succeeded. `shipyard preview`, `deploy`, `rollback` and `promote` look first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from shipyard.aws import Aws
from shipyard.config.secret_references import SECRETS_MANAGER, SSM, SecretReference, parse_entry
from shipyard.config.stack_files import (
    configured,
    plaintext_secret_values,
    project_name,
    stack_file,
)
from shipyard.errors import UserError


def referenced_secrets(
    config: Mapping[str, str], project_dir: Path, env: str
) -> list[SecretReference]:
    """The references of a stack's `secrets` that parse; the program reports the others."""
    service = configured(config, project_dir, "serviceName")
    try:
        entries = json.loads(config.get("shipyard:secrets") or "[]")
    except json.JSONDecodeError:
        return []
    references = []
    for entry in entries if isinstance(entries, list) else []:
        try:
            references.append(parse_entry(str(entry), service, env))
        except ValueError:
            continue
    return references


def require_secrets_exist(aws: Aws, references: list[SecretReference], region: str) -> None:
    """Raise UserError naming every referenced parameter or secret that does not exist (or
    is a plain-text parameter). Only metadata is read. Values Pulumi keeps are written by the
    update itself, so they are not looked for."""
    parameters = {ref.name: ref for ref in references if ref.kind == SSM}
    problems = [
        f"shipyard:secrets: {parameters[name].variable} references SSM parameter {name} "
        f"in {region}, which {problem}"
        for name, problem in aws.parameter_problems(list(parameters)).items()
    ]
    for ref in references:
        if ref.kind == SECRETS_MANAGER:
            state = aws.secret_problem(ref.arn(region, ""))
            if state:
                problems.append(
                    f"shipyard:secrets: {ref.variable} references secret {ref.arn(region, '')}, "
                    f"which {state}"
                )
    if problems:
        listing = "\n".join(f"  - {problem}" for problem in problems)
        raise UserError(
            f"{len(problems)} referenced secret(s) missing, so the service could not start; "
            f"nothing was changed. Create them, or fix the references (docs/secrets.md):\n"
            f"{listing}"
        )


def require_no_plaintext(project_dir: Path, env: str) -> None:
    """A stack file's secretValues entries must each be encrypted (`secure:`)."""
    path = stack_file(project_dir, env)
    if not path.is_file():
        return
    problems = plaintext_secret_values(path, project_name(project_dir))
    if problems:
        listing = "\n".join(f"  - {problem}" for problem in problems)
        raise UserError(
            f"a secret is in the stack file in plain text; nothing was changed:\n{listing}"
        )
