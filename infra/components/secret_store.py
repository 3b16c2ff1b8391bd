"""The secrets Pulumi keeps for an environment: a KMS key of its own (rotated yearly) and one
SSM SecureString parameter per value, encrypted with it. Values enter only as secrets, so
the state and every preview show them encrypted."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class KeptSecret:
    variable: str
    parameter_name: str
    # Plaintext from the stack's secret config; wrapped as a Pulumi secret before use.
    value: str


@dataclass(frozen=True)
class SecretStoreArgs:
    key_alias: str
    secrets: tuple[KeptSecret, ...]
    protect: bool


def key_policy(account: str) -> pulumi.Output[str]:
    """The account administers and uses the key through IAM, as AWS's default key policy
    does; each role's own policy then says what it may do (execution and instance roles:
    decrypt through SSM only)."""
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministersThroughIam",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    )


class SecretStore(pulumi.ComponentResource):
    key_arn: pulumi.Output[str]
    # Parameter ARNs by variable name.
    parameter_arns: dict[str, pulumi.Output[str]]
    parameters: list[aws.ssm.Parameter]

    def __init__(
        self, name: str, args: SecretStoreArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("shipyard:index:SecretStore", name, None, opts)
        key = aws.kms.Key(
            f"{name}-secrets",
            description=f"{name}: secrets Pulumi keeps (SSM SecureString)",
            key_usage="ENCRYPT_DECRYPT",
            enable_key_rotation=True,
            # The longest wait AWS allows: a key deleted by mistake can still be restored.
            deletion_window_in_days=30,
            # No policy of its own: AWS's default one lets the account administer and use the
            # key through IAM, and each role's own policy then says what it may do (execution
            # and instance roles: decrypt through SSM only). Given explicitly, the same policy
            # would make KMS check that the deploy role could change it later (its lockout
            # check), which the deploy role, limited to keys tagged as its own, cannot show
            # for a key that does not exist yet.
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        aws.kms.Alias(
            f"{name}-secrets",
            name=args.key_alias,
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.parameters = [
            aws.ssm.Parameter(
                f"{name}-secret-{secret.variable}",
                name=secret.parameter_name,
                type="SecureString",
                tier="Standard",
                key_id=key.arn,
                value=pulumi.Output.secret(secret.value),
                description=f"{secret.variable} of {name}, kept by Pulumi (shipyard:secretValues)",
                opts=pulumi.ResourceOptions(parent=self),
            )
            for secret in args.secrets
        ]
        self.key_arn = key.arn
        self.parameter_arns = {
            secret.variable: parameter.arn
            for secret, parameter in zip(args.secrets, self.parameters, strict=True)
        }
        self.register_outputs({"key_arn": self.key_arn})
