"""(service stack) An environment's own KMS key: it encrypts the secrets Pulumi keeps for the
environment (SSM SecureString parameters).

It lives in the service stack, which an administrator runs, not in the environment's stack:
a deploy role that could create and tag keys could also tag, and so take over, any other
untagged key of the account. The environment's stack finds it by its alias, and its deploy
role may use exactly this key, through SSM only.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class EnvironmentKeyArgs:
    environment: str
    alias: str
    protect: bool


class EnvironmentKey(pulumi.ComponentResource):
    key_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: EnvironmentKeyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("shipyard:index:EnvironmentKey", name, None, opts)
        key = aws.kms.Key(
            name,
            description=f"The {args.environment} environment's own key (secrets Pulumi keeps)",
            key_usage="ENCRYPT_DECRYPT",
            enable_key_rotation=True,
            # The longest wait AWS allows: a key deleted by mistake can still be restored.
            deletion_window_in_days=30,
            # No policy of its own: AWS's default one lets the account administer and use the
            # key through IAM, and each role's policy then says what it may do.
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        aws.kms.Alias(
            name,
            name=args.alias,
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.key_arn = key.arn
        self.register_outputs({"key_arn": self.key_arn})
