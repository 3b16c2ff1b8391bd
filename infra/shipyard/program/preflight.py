"""What the settings alone cannot check, checked before any resource: whether the container's
environment fits in what carries it, whether the secret grants fit in the role that starts
the container, and whether referenced secrets are in the stack's account. They need what the
program renders (the task definition, the boot script, the role's policy) or the account.
Each problem is a settings error that names its key, as the settings' own are."""

from __future__ import annotations

import json

from shipyard.config import Settings, SettingsError, aws_limits, naming
from shipyard.config.keys import path
from shipyard.config.secret_references import PULUMI, SecretReference
from shipyard.program.components import iam
from shipyard.program.container import container_environment
from shipyard.program.secret_wiring import secret_grant
from shipyard.program.user_data import BootContainer, render_user_data

# The task definition around the container environment: the container definition's other
# fields, the family, roles and sizes. Measured at about 1.3 KiB; kept generous.
TASK_DEFINITION_OVERHEAD = 4096


def preflight(settings: Settings, account: str, region: str) -> None:
    problems = [
        *foreign_secrets(settings, account),
        *grant_fits_the_role(settings, account, region),
        *environment_fits(settings, account, region),
    ]
    if problems:
        raise SettingsError(problems)


def foreign_secrets(settings: Settings, account: str) -> list[str]:
    """Secrets are read in the stack's own account (which only the program can look up)."""
    return [
        f"{path('secrets')}: {ref.variable} is in account {ref.account}, but the stack "
        f"deploys to {account}; the environment's roles read secrets of their own account "
        "only, so store it there"
        for ref in settings.secrets
        if ref.account and ref.account != account
    ]


def grant_fits_the_role(settings: Settings, account: str, region: str) -> list[str]:
    """The grant, with the rest of the starting role's policy, fits IAM's cap on a role's
    inline policies. Every ARN is known here, so the count is exact but for the bound on
    the rest of the policy."""
    if not settings.secrets:
        return []
    partition = aws_limits.partition_of(region)
    kept = [ref.arn(region, account) for ref in settings.secrets if ref.kind == PULUMI]
    # A key ARN's length: its ID is a UUID.
    key_arn = f"arn:{partition}:kms:{region}:{account}:key/{'0' * 36}"
    grant = secret_grant(settings, region, account, kept, key_arn)
    size = iam.policy_characters(grant.statements()) + iam.STARTING_ROLE_BASE_CHARACTERS
    limit = aws_limits.ROLE_INLINE_POLICY_CHARS
    if size <= limit:
        return []
    role = "instance role" if settings.target == "ec2" else "task execution role"
    return [
        f"{path('secrets')}: {len(settings.secrets)} secrets make the {role}'s policy about "
        f"{size} characters, over IAM's {limit:,} for a role's inline policies; keep several "
        "values in one Secrets Manager secret and reference its JSON keys (one grant covers "
        "them all)"
    ]


def environment_fits(settings: Settings, account: str, region: str) -> list[str]:
    """The environment has to fit in what carries it: the task definition or the user data."""
    references = settings.secrets
    environment = _environment(settings, references)
    if settings.target == "ec2":
        size = len(sized_user_data(settings, account, region, environment, references).encode())
        limit, carrier = aws_limits.USER_DATA_BYTES, "EC2 user data (16 KB)"
        if size > limit and references:
            # Each secret adds its fetch to the boot script: blame the key that made it big.
            plain = _environment(settings, ())
            alone = len(sized_user_data(settings, account, region, plain, ()).encode())
            if alone <= limit:
                return [
                    f"{path('secrets')}: {len(references)} secrets make the boot script "
                    f"{size} bytes, over {carrier} ({alone} bytes without them); reference "
                    "fewer, or keep several values in one Secrets Manager secret as JSON keys"
                ]
    else:
        listing = [{"name": name, "value": value} for name, value in environment]
        size = len(json.dumps(listing).encode()) + TASK_DEFINITION_OVERHEAD
        limit, carrier = aws_limits.TASK_DEFINITION_BYTES, "an ECS task definition (64 KiB)"
    if size > limit:
        return [
            f"{path('environmentVariables')}: {size} bytes with the rest of it do not fit in "
            f"{carrier}; move large values to a file in the image or to a parameter store"
        ]
    return []


def _environment(
    settings: Settings, references: tuple[SecretReference, ...]
) -> tuple[tuple[str, str], ...]:
    return container_environment(
        settings.environment,
        settings.container_port,
        settings.idle_timeout,
        settings.environment_variables,
        secret_names=(reference.variable for reference in references),
    )


def sized_user_data(
    settings: Settings,
    account: str,
    region: str,
    environment: tuple[tuple[str, str], ...],
    secrets: tuple[SecretReference, ...],
) -> str:
    """The boot script as the program renders it, with an image reference of full length."""
    prefix = settings.resource_prefix
    return render_user_data(
        BootContainer(
            image_ref=f"{account}.dkr.ecr.{region}.amazonaws.com/{settings.service_name}"
            f"@sha256:{'0' * 64}",
            port=settings.container_port,
            environment=environment,
            stop_timeout=settings.health_check.stop_timeout,
            log_group_name=naming.log_group_name(prefix),
            region=region,
            health_check_path=settings.health_check.path,
            group_name=prefix,
            boot_timeout=settings.ec2.boot_timeout,
            secrets=secrets,
            health_command=settings.container_health_check,
        )
    )
