"""The secrets Pulumi keeps for an environment: one SSM SecureString parameter per value,
encrypted with the environment's own KMS key (made by the service stack, see
environment_key.py). Values enter only as secrets, so the state and every preview show
them encrypted."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class KeptSecret:
    variable: str
    parameter_name: str
    # Plaintext from the stack's secret config; wrapped as a Pulumi secret before use.
    value: str = field(repr=False)


@dataclass(frozen=True)
class SecretStoreArgs:
    key_arn: pulumi.Input[str]  # the environment's own key
    secrets: tuple[KeptSecret, ...]


class SecretStore(pulumi.ComponentResource):
    # Parameter ARNs by variable name.
    parameter_arns: dict[str, pulumi.Output[str]]
    parameters: list[aws.ssm.Parameter]

    def __init__(
        self, name: str, args: SecretStoreArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("shipyard:index:SecretStore", name, None, opts)
        self.parameters = [
            aws.ssm.Parameter(
                f"{name}-secret-{secret.variable}",
                name=secret.parameter_name,
                type="SecureString",
                tier="Standard",
                key_id=args.key_arn,
                value=pulumi.Output.secret(secret.value),
                description=f"{secret.variable} of {name}, kept by Pulumi (shipyard:secretValues)",
                opts=pulumi.ResourceOptions(parent=self),
            )
            for secret in args.secrets
        ]
        self.parameter_arns = {
            secret.variable: parameter.arn
            for secret, parameter in zip(args.secrets, self.parameters, strict=True)
        }
        self.register_outputs({})
