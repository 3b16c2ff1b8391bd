"""Where the container's secrets come from, and what the role that starts it may read:
references checked against the account, the values Pulumi keeps written as parameters,
and the grant the execution or instance role gets (docs/secrets.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from components import iam
from components.iam import SecretGrant
from components.secret_store import KeptSecret, SecretStore, SecretStoreArgs
from container import ContainerSecret
from secret_references import PULUMI, SECRETS_MANAGER, SSM, SecretReference
from settings import Settings, SettingsError, aws_limits


def foreign_secrets(settings: Settings, account: str) -> None:
    """Secrets are read in the stack's own account: refuse, before any resource, an ARN of
    another one (settings cannot know the account; only this lookup does)."""
    foreign = [ref for ref in settings.secrets if ref.account and ref.account != account]
    if foreign:
        raise SettingsError(
            [
                f"shipyard:secrets: {ref.variable} is in account {ref.account}, but the stack "
                f"deploys to {account}; the environment's roles read secrets of their own "
                "account only, so store it there"
                for ref in foreign
            ]
        )


def secret_grant(
    settings: Settings,
    region: str,
    account: str,
    kept_parameter_arns: Sequence[pulumi.Input[str]],
    key_arn: str,
) -> SecretGrant:
    """What the role that starts the container may read: the parameters Pulumi writes (by
    their ARNs, `kept_parameter_arns`) and every referenced parameter and secret."""
    referenced_parameters = [
        ref.arn(region, account) for ref in settings.secrets if ref.kind == SSM
    ]
    # Several JSON keys of one secret are one grant.
    secret_arns = dict.fromkeys(
        ref.arn("", "") for ref in settings.secrets if ref.kind == SECRETS_MANAGER
    )
    return SecretGrant(
        parameter_arns=[*kept_parameter_arns, *referenced_parameters],
        secret_arns=list(secret_arns),
        kept_key_arn=key_arn if kept_parameter_arns else None,
        referenced_parameter_arns=referenced_parameters,
        region=region,
        account=account,
    )


def grant_fits_the_role(settings: Settings, account: str, region: str) -> None:
    """The grant, with the rest of the starting role's policy, fits IAM's cap on a role's
    inline policies; refuse, before any resource, a list of secrets that does not. Every
    ARN is known here, so the count is exact but for the rest of the policy's bound."""
    if not settings.secrets:
        return
    partition = aws_limits.partition_of(region)
    kept = [ref.arn(region, account) for ref in settings.secrets if ref.kind == PULUMI]
    # A key ARN's length: its ID is a UUID.
    key_arn = f"arn:{partition}:kms:{region}:{account}:key/{'0' * 36}"
    grant = secret_grant(settings, region, account, kept, key_arn)
    size = iam.policy_characters(grant.statements()) + iam.STARTING_ROLE_BASE_CHARACTERS
    limit = aws_limits.ROLE_INLINE_POLICY_CHARS
    if size > limit:
        role = "instance role" if settings.target == "ec2" else "task execution role"
        raise SettingsError(
            [
                f"shipyard:secrets: {len(settings.secrets)} secrets make the {role}'s policy "
                f"about {size} characters, over IAM's {limit:,} for a role's inline "
                "policies; keep several values in one Secrets Manager secret and reference "
                "its JSON keys (one grant covers them all)"
            ]
        )


@dataclass(frozen=True)
class SecretWiring:
    container_secrets: tuple[ContainerSecret, ...]
    grant: SecretGrant | None
    # The parameters Pulumi writes: tasks and instances start only once they exist.
    parameters: list[pulumi.Resource]


def wire_secrets(settings: Settings, account: str, region: str, key_arn: str) -> SecretWiring:
    """Where the container's secrets come from, and what its starting role may read."""
    if not settings.secrets:
        return SecretWiring((), None, [])
    kept = [ref for ref in settings.secrets if ref.kind == PULUMI]
    store = None
    if kept:
        values = dict(settings.secret_values)
        store = SecretStore(
            settings.resource_prefix,
            SecretStoreArgs(
                key_arn=key_arn,
                secrets=tuple(
                    KeptSecret(ref.variable, ref.name, values[ref.variable]) for ref in kept
                ),
            ),
        )

    def value_from(ref: SecretReference) -> pulumi.Input[str]:
        if store is not None and ref.kind == PULUMI:
            return store.parameter_arns[ref.variable]
        return ref.value_from(region, account)

    kept_arns = list(store.parameter_arns.values()) if store else []
    grant = secret_grant(settings, region, account, kept_arns, key_arn)
    return SecretWiring(
        tuple(ContainerSecret(ref, value_from(ref)) for ref in settings.secrets),
        grant,
        list(store.parameters) if store else [],
    )


