"""`shipyard validate`: check stack files without the Pulumi CLI or AWS credentials.

Every stack file is checked: the environments' and the service stack's.

Each environment's stack file is read as Pulumi reads it and the real program is evaluated
under Pulumi's mocks (shipyard/cli/offline.py), the way the tests do. Whatever the program
refuses before registering a resource is reported: every settings problem by key, a file
Pulumi would not load, a missing Dockerfile. What only AWS knows (how many zones the region
has, whether the repository exists) is checked by `pulumi preview`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from shipyard.cli import offline
from shipyard.cli.offline_policy import stack_findings
from shipyard.config.stack_files import (
    StackFileError,
    plaintext_secret_values,
    project_name,
    secure_keys,
    stack_file,
    stack_names,
    stack_values,
)
from shipyard.errors import FAILED, OK, require_known_environments


@dataclass(frozen=True)
class Verdict:
    environment: str
    problems: list[str] = field(default_factory=list)
    resources: int = 0


def check(project_dir: Path, environment: str) -> Verdict:
    path, project = stack_file(project_dir, environment), project_name(project_dir)
    # A key set twice is listed with every other problem: the file is read with the last
    # value kept, as if the first were gone.
    duplicates: list[str] = []
    try:
        plaintext = plaintext_secret_values(path, project, duplicates)
        values = stack_values(path, project, duplicates)
        secret = secure_keys(path, project, duplicates)
    except StackFileError as error:
        return Verdict(environment, [str(error)])
    found = list(dict.fromkeys(duplicates))
    if plaintext:
        return Verdict(environment, found + plaintext)
    try:
        # From the stack file itself, so its encrypted keys count as set with --secret.
        evaluation = offline.evaluate(
            environment, values, project_dir=project_dir, secret_keys=secret
        )
    except Exception as error:  # the program's own refusal, whatever its class
        problems = getattr(error, "problems", None)
        return Verdict(environment, found + (list(problems) if problems else [str(error)]))
    # The policy pack, as every preview runs it: a mandatory finding would stop the deploy.
    mandatory = [
        f"policy {finding.describe()}"
        for finding in stack_findings(evaluation)
        if finding.level == "mandatory"
    ]
    return Verdict(environment, found + mandatory, len(evaluation.resources))


def validate(project_dir: Path, requested: list[str], console: Console) -> int:
    known = stack_names(project_dir)
    require_known_environments(requested, known)
    verdicts = [check(project_dir, env) for env in requested or known]
    for verdict in verdicts:
        if verdict.problems:
            console.print(
                f"[red]{verdict.environment}[/]: {len(verdict.problems)} problem(s)",
                highlight=False,
            )
            for problem in verdict.problems:
                console.print(f"  - {problem}", markup=False, highlight=False)
        else:
            console.print(
                f"[green]{verdict.environment}[/]: ok ({verdict.resources} resources)",
                highlight=False,
            )
    return FAILED if any(verdict.problems for verdict in verdicts) else OK
