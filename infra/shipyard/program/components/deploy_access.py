"""GitHub Actions' way into the account: an OIDC provider, a deploy role per environment, a
read-only preview role for pull requests, a build role and a prices role for runs on main,
and the permissions boundary every environment's own roles carry.

A workflow job assumes a deploy role only from the one GitHub repository and GitHub
environment named in the trust policy (`sub` = repo:<owner>/<name>:environment:<env>), with
the audience AWS's STS expects; pull requests assume only the preview role. What each role
may do is data, in deploy_policy.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from shipyard.config import aws_limits, naming
from shipyard.program.components import deploy_policy, iam
from shipyard.program.components.policy_scope import Scope

GITHUB_TOKEN_HOST = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"
# A deploy role's permissions exceed IAM's cap on a role's inline policies
# (aws_limits.ROLE_INLINE_POLICY_CHARS); a managed policy holds 6,144 (whitespace not
# counted), and a role may have 10 attached. So the statements are split into managed
# policies of at most this size.
MANAGED_POLICY_LIMIT = 6_144


@dataclass(frozen=True)
class DeployTarget:
    stack: str  # the environment's Pulumi stack
    github_environment: str  # the GitHub environment its deploy jobs run in
    domain_name: str = ""  # its shipyard:domainName: the DNS records it may write


@dataclass(frozen=True)
class DeployAccessArgs:
    service_name: str
    github_repository: str  # owner/name
    existing_provider_arn: str  # empty: create the provider
    targets: list[DeployTarget]
    repository_arn: pulumi.Input[str]
    account: str
    region: str
    state_bucket: str
    secrets_key_arn: str
    protect: bool
    # Each environment's own KMS key, by stack.
    environment_key_arns: dict[str, pulumi.Output[str]]


def github_trust(provider_arn: pulumi.Input[str], subject: str) -> pulumi.Output[str]:
    """Only GitHub's tokens for this audience and this one subject (repository and
    environment, or pull requests) may assume the role."""
    return iam.trust_policy(
        {"Federated": provider_arn},
        "sts:AssumeRoleWithWebIdentity",
        {
            "StringEquals": {
                f"{GITHUB_TOKEN_HOST}:aud": STS_AUDIENCE,
                f"{GITHUB_TOKEN_HOST}:sub": subject,
            }
        },
    )


def policy_documents(statements: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Statements grouped, in order, into documents that each fit a managed policy."""
    documents: list[list[dict[str, Any]]] = [[]]
    for statement in statements:
        candidate = [*documents[-1], statement]
        if documents[-1] and document_size(candidate) > MANAGED_POLICY_LIMIT:
            documents.append([statement])
        else:
            documents[-1] = candidate
    return documents


def document_size(statements: list[dict[str, Any]]) -> int:
    """Characters IAM counts: the JSON without whitespace (unknown ARNs as 90 characters)."""
    text = json.dumps(
        {"Version": "2012-10-17", "Statement": statements},
        separators=(",", ":"),
        default=lambda _: "x" * 90,
    )
    return len(text)


class DeployAccess(pulumi.ComponentResource):
    provider_arn: pulumi.Output[str]
    deploy_role_arns: dict[str, pulumi.Output[str]]
    build_role_arn: pulumi.Output[str]
    prices_role_arn: pulumi.Output[str]
    preview_role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: DeployAccessArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("shipyard:index:DeployAccess", name, None, opts)
        if args.existing_provider_arn:
            self.provider_arn = pulumi.Output.from_input(args.existing_provider_arn)
        else:
            # An account has one provider per URL; GitHub's certificate is trusted by AWS
            # itself, so no thumbprint is pinned.
            provider = aws.iam.OpenIdConnectProvider(
                f"{name}-github",
                url=f"https://{GITHUB_TOKEN_HOST}",
                client_id_lists=[STS_AUDIENCE],
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            self.provider_arn = provider.arn
        self.deploy_role_arns = {}
        for target in args.targets:
            scope = self._scope(
                args, target.stack, args.environment_key_arns[target.stack], target.domain_name
            )
            boundary = aws.iam.Policy(
                f"{name}-{target.stack}-boundary",
                name=naming.boundary_policy_name(args.service_name, target.stack),
                description=f"The most any role of {target.stack} may do",
                policy=pulumi.Output.json_dumps(
                    {"Version": "2012-10-17", "Statement": deploy_policy.workload_boundary(scope)}
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.deploy_role_arns[target.stack] = self._role(
                f"{name}-{target.stack}-deploy",
                naming.deploy_role_name(args.service_name, target.stack),
                f"repo:{args.github_repository}:environment:{target.github_environment}",
                deploy_policy.deploy_statements(scope),
                depends_on=[boundary],
            )
        # Pushing images is the build job's alone, and only from a run on main.
        self.build_role_arn = self._role(
            f"{name}-build",
            naming.build_role_name(args.service_name),
            f"repo:{args.github_repository}:ref:refs/heads/main",
            deploy_policy.build_statements(self._scope(args, "build")),
        )
        # Reading public prices, from main only, with nothing else.
        self.prices_role_arn = self._role(
            f"{name}-prices",
            naming.prices_role_name(args.service_name),
            f"repo:{args.github_repository}:ref:refs/heads/main",
            deploy_policy.prices_statements(),
        )
        preview_scope = self._scope(args, "preview")
        self.preview_role_arn = self._role(
            f"{name}-preview",
            naming.preview_role_name(args.service_name),
            f"repo:{args.github_repository}:pull_request",
            deploy_policy.preview_statements(
                preview_scope,
                [target.stack for target in args.targets],
                list(args.environment_key_arns.values()),
            ),
        )
        self.register_outputs(
            {
                "provider_arn": self.provider_arn,
                "deploy_role_arns": self.deploy_role_arns,
                "build_role_arn": self.build_role_arn,
                "prices_role_arn": self.prices_role_arn,
                "preview_role_arn": self.preview_role_arn,
            }
        )

    @staticmethod
    def _scope(
        args: DeployAccessArgs,
        environment: str,
        key_arn: pulumi.Input[str] | None = None,
        domain_name: str = "",
    ) -> Scope:
        return Scope(
            service=args.service_name,
            environment=environment,
            region=args.region,
            account=args.account,
            repository_arn=args.repository_arn,
            boundary_arn=naming.boundary_policy_arn(args.account, args.service_name, environment),
            state_bucket=args.state_bucket,
            secrets_key_arn=args.secrets_key_arn,
            environment_key_arn=key_arn,
            domain_name=domain_name,
        )

    def _role(
        self,
        logical_name: str,
        role_name: str,
        subject: str,
        statements: list[dict[str, Any]],
        depends_on: list[pulumi.Resource] | None = None,
    ) -> pulumi.Output[str]:
        role = aws.iam.Role(
            logical_name,
            name=role_name,
            assume_role_policy=github_trust(self.provider_arn, subject),
            max_session_duration=aws_limits.DEPLOY_ROLE_SESSION_SECONDS,
            opts=pulumi.ResourceOptions(parent=self),
        )
        for index, document in enumerate(policy_documents(statements), start=1):
            policy = aws.iam.Policy(
                f"{logical_name}-{index}",
                name=f"{role_name}-{index}",
                policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": document}),
                opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on or []),
            )
            aws.iam.RolePolicyAttachment(
                f"{logical_name}-{index}",
                role=role.name,
                policy_arn=policy.arn,
                opts=pulumi.ResourceOptions(parent=self),
            )
        return role.arn
