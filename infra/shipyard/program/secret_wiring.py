"""Where the container's secrets come from, and what the role that starts it may read: the
values Pulumi keeps written as parameters, and the grant the execution or instance role gets
(docs/secrets.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from shipyard.config import Settings
from shipyard.config.secret_references import PULUMI, SECRETS_MANAGER, SSM, SecretReference
from shipyard.program.components.iam import SecretGrant
from shipyard.program.components.secret_store import KeptSecret, SecretStore, SecretStoreArgs
from shipyard.program.container import ContainerSecret


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


