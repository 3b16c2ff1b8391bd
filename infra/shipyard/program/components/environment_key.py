"""(service stack) The customer-managed KMS keys: one per environment, which encrypts the
secrets Pulumi keeps for the environment (SSM SecureString parameters), its log groups and
its alarm topic; and one for the service's images (ECR).

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
    account: str
    region: str
    # The environment's log groups: /shipyard/<service>-<env> and what is under it, and its
    # web ACL's (WAF requires the name aws-waf-logs-...).
    log_group_prefix: str
    waf_log_group: str
    protect: bool


def key_policy(args: EnvironmentKeyArgs) -> pulumi.Output[str]:
    """The account administers and uses the key through IAM (each role's own policy says
    what it may do); CloudWatch Logs may use it for this environment's log groups only (the
    encryption context it sends names the group); CloudWatch may use it to publish alarms
    to the encrypted alarm topic."""
    logs_arn = f"arn:aws:logs:{args.region}:{args.account}:log-group:{args.log_group_prefix}"
    waf_logs_arn = f"arn:aws:logs:{args.region}:{args.account}:log-group:{args.waf_log_group}"
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministersThroughIam",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{args.account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "LogsOfThisEnvironment",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{args.region}.amazonaws.com"},
                    "Action": ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*",
                               "kms:GenerateDataKey*", "kms:ReEncrypt*"],
                    "Resource": "*",
                    "Condition": {"ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": [
                            logs_arn, f"{logs_arn}/*", waf_logs_arn,
                        ],
                    }},
                },
                {
                    "Sid": "AlarmsPublishToTheEncryptedTopic",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                    # As AWS documents it, without a condition: if CloudWatch passed no
                    # source account, alarms would fail to publish, silently. The topic's
                    # own policy keeps it to this account's alarms.
                },
            ],
        }
    )  # fmt: skip


@dataclass(frozen=True)
class ManagedKeyArgs:
    description: str
    alias: str
    protect: bool
    # None: AWS's default key policy (the account, through IAM).
    policy: pulumi.Input[str] | None = None


class ManagedKey(pulumi.ComponentResource):
    """A symmetric key rotated yearly, and its alias. A deleted one is kept 30 days (the
    longest wait AWS allows), so one deleted by mistake can be restored. The service
    stack's administrator creates it, so KMS's check that the creator could change the
    policy later holds."""

    key_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: ManagedKeyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("shipyard:index:ManagedKey", name, None, opts)
        key = aws.kms.Key(
            name,
            description=args.description,
            key_usage="ENCRYPT_DECRYPT",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=args.policy,
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


def environment_key(name: str, args: EnvironmentKeyArgs) -> ManagedKey:
    return ManagedKey(
        name,
        ManagedKeyArgs(
            description=f"The {args.environment} environment's own key (logs, alarms, secrets)",
            alias=args.alias,
            protect=args.protect,
            policy=key_policy(args),
        ),
    )


def images_key(name: str, alias: str, protect: bool) -> ManagedKey:
    """ECR uses it through grants it makes when it creates the repository, so pushes and
    pulls need no KMS permission: AWS's default key policy does."""
    return ManagedKey(
        name,
        ManagedKeyArgs(
            description=f"{name}: the service's container images (ECR)",
            alias=alias,
            protect=protect,
        ),
    )
