"""Where the container's secrets come from, and what the role that starts it may read:
references checked against the account, the values Pulumi keeps written as parameters,
and the grant the execution or instance role gets (docs/secrets.md)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.iam import SecretGrant
from components.secret_store import KeptSecret, SecretStore, SecretStoreArgs
from container import ContainerSecret
from secret_references import PULUMI, SECRETS_MANAGER, SSM, SecretReference
from settings import Settings, SettingsError


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

    referenced_parameters = [
        ref.arn(region, account) for ref in settings.secrets if ref.kind == SSM
    ]
    grant = SecretGrant(
        parameter_arns=[
            *(store.parameter_arns.values() if store else ()),
            *referenced_parameters,
        ],
        secret_arns=[ref.arn("", "") for ref in settings.secrets if ref.kind == SECRETS_MANAGER],
        kept_key_arn=key_arn if store else None,
        referenced_parameter_arns=referenced_parameters,
        region=region,
        account=account,
    )
    return SecretWiring(
        tuple(ContainerSecret(ref, value_from(ref)) for ref in settings.secrets),
        grant,
        list(store.parameters) if store else [],
    )


