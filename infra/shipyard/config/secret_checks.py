"""The rules for container secrets: `secrets` references, the values Pulumi keeps in
`secretValues`, and no secret-looking plain variables in `environmentVariables`."""

from __future__ import annotations

import re

from shipyard.config import aws_limits
from shipyard.config.checks import Check, Problems, Values
from shipyard.config.keys import path
from shipyard.config.secret_names import secret_looking
from shipyard.config.secret_references import (
    PULUMI,
    SSM_NAME_LIMIT,
    SSM_STANDARD_VALUE_BYTES,
    VARIABLE_NAME,
    SecretReference,
    outside_boundary,
    parse_entry,
    readable_names,
)
from shipyard.config.stack_files import ENCRYPTED
from shipyard.config.variables import RESERVED_VARIABLES, name_value_pairs


def parsed_references(values: Values) -> tuple[list[SecretReference], list[str]]:
    """The `secrets` entries that parse, and the problems of those that do not."""
    references, problems = [], []
    for entry in values["secrets"]:
        try:
            references.append(parse_entry(entry, values["serviceName"], values.environment))
        except ValueError as error:
            problems.append(f"{path('secrets')}: {error}")
    return references, problems


def secret_references(values: Values) -> Problems:
    references, problems = parsed_references(values)
    plain = {name for name, _ in name_value_pairs(values["environmentVariables"])}
    seen: set[str] = set()
    for reference in references:
        variable = reference.variable
        if variable in RESERVED_VARIABLES:
            problems.append(f"{path('secrets')}: {variable} is set by shipyard; name it otherwise")
        elif variable in plain:
            problems.append(
                f"{path('secrets')}: {variable} is also in environmentVariables; the container "
                "gets one value per name, so remove it from one of the two"
            )
        elif variable in seen:
            problems.append(f"{path('secrets')}: {variable} is listed twice; keep one")
        seen.add(variable)
        problems += _where_it_lives(values, reference)
    kept = {r.name for r in references if r.kind == PULUMI}
    problems += [
        f"{path('secrets')}: {r.variable} references {r.name}, where Pulumi keeps the value of "
        f"the bare name {r.name.rsplit('/', 1)[-1]}; reference it by the bare name only"
        for r in references
        if r.kind != PULUMI and "/" + r.name.lstrip("/") in kept
    ]
    return problems


def _where_it_lives(values: Values, reference: SecretReference) -> list[str]:
    key, variable = path("secrets"), reference.variable
    if reference.kind == PULUMI:
        if len(reference.name) > SSM_NAME_LIMIT:
            return [f"{key}: {variable} is too long for an SSM parameter name; shorten it"]
        if values["serviceName"][:3].lower() in ("aws", "ssm"):
            return [
                f"{key}: {variable} would be stored under /{values['serviceName']}/, but SSM "
                "reserves names starting with aws or ssm; rename the service or reference a "
                "parameter of your own"
            ]
        return []
    partition = aws_limits.partition_of(values.region) if values.region else "aws"
    # Only an ARN names a partition (a bare SSM name is the stack's own).
    if reference.region and reference.partition != partition:
        return [
            f"{key}: {variable} is in partition {reference.partition}, but the stack deploys "
            f"to {values.region or 'the aws partition'} ({partition}); a secret is read in "
            "its own partition only, so store it there"
        ]
    if values.region and reference.region and reference.region != values.region:
        return [
            f"{key}: {variable} is in {reference.region}, but the stack deploys to "
            f"{values.region}; ECS and the instances read secrets of their own region only, "
            "so replicate it there"
        ]
    if outside_boundary(reference, values["serviceName"], values.environment):
        parameters, secrets = readable_names(values["serviceName"], values.environment)
        return [
            f"{key}: {variable} references {reference.name}, which the environment's roles "
            f"may not read: their permissions boundary allows parameters under {parameters} "
            f"and secrets named {secrets}...; store it there"
        ]
    return []


def secret_values(values: Values) -> Problems:
    """Every bare name in `secrets` has its value in secretValues, kept encrypted. Messages
    name an entry by its index, or by its name once that is a valid name: never a value."""
    key = path("secretValues")
    entries = values["secretValues"]
    # Only an offline check (which cannot decrypt) reads an entry as ENCRYPTED.
    readable = [
        (index, entry)
        for index, entry in enumerate(entries)
        if not (values.offline and entry == ENCRYPTED)
    ]
    problems: list[str] = []
    if readable and key not in values.secret_keys:
        problems.append(
            f"{key}: set in plain text; remove it from the stack file and set each value with "
            f"`pulumi config set --secret --path '{key}[N]' NAME=value`"
        )
    references, _ = parsed_references(values)
    # Names in `secrets` are public; any other text of an entry may be part of a value.
    kept = {r.variable for r in references if r.kind == PULUMI}
    given: dict[str, str] = {}
    for index, entry in readable:
        name, separator, value = entry.partition("=")
        if not separator or not VARIABLE_NAME.fullmatch(name):
            problems.append(f"{key}[{index}]: is not NAME=value; set it again as NAME=value")
        elif name not in kept:
            problems.append(
                f"{key}[{index}]: its name is not a bare name in shipyard:secrets (not shown, "
                "in case it is part of a value), so the container would not get it; add the "
                "name to secrets, or remove the entry"
            )
        elif name in given:
            problems.append(f"{key}[{index}]: {name} has a value already; keep one")
        elif not value:
            problems.append(f"{key}[{index}]: {name} has an empty value; SSM stores none")
        elif len(value.encode()) > SSM_STANDARD_VALUE_BYTES:
            problems.append(
                f"{key}[{index}]: {name}'s value is over {SSM_STANDARD_VALUE_BYTES} bytes, "
                "the most a Standard-tier SSM parameter holds; store it in Secrets Manager and "
                "reference it"
            )
        elif values["target"] == "ec2" and ("\n" in value or "\r" in value):
            # The boot script hands secrets to Docker's --env-file, one line per variable:
            # every instance launch would fail (program/boot_secrets.py). Known here, at preview.
            problems.append(
                f"{key}[{index}]: {name}'s value has a line break, which the EC2 instances "
                "cannot pass to the container (Docker's --env-file takes one line per "
                "variable); put it on one line (base64 it, say), or run on target: ecs"
            )
        if name in kept:
            given.setdefault(name, value)
    if len(readable) == len(entries):  # where any is encrypted, the names cannot be known
        problems += [
            f"{path('secrets')}: {name} is kept by Pulumi but has no value; set it with "
            f"`pulumi config set --secret --path '{key}[{len(entries)}]' {name}=VALUE "
            f"-s {values.environment}`"
            for name in sorted(kept - set(given))
        ]
    return problems


# user:password@ in a URL (postgres://app:hunter2@db/...): a secret whatever the name.
URL_CREDENTIALS = re.compile(r"://[^/\s:@]+:[^/\s@]+@")


def plain_secrets(values: Values) -> Problems:
    problems = []
    for name, value in name_value_pairs(values["environmentVariables"]):
        if secret_looking(name):
            problems.append(
                f"{path('environmentVariables')}: {name} looks like a secret, and environment "
                "variables are plain text in the task definition, the user data and the "
                "state; move it to shipyard:secrets (docs/secrets.md)"
            )
        elif URL_CREDENTIALS.search(value):
            problems.append(
                f"{path('environmentVariables')}: {name} holds a URL with a password in it; "
                "move it to shipyard:secrets (docs/secrets.md), or give the URL without it "
                "and the password as a secret"
            )
    return problems


SECRET_CHECKS: tuple[Check, ...] = (secret_references, secret_values, plain_secrets)
