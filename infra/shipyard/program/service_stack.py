"""The service stack: what outlives the environments of one service in one account and region.

It owns the ECR repository every environment deploys from (so destroying an environment
never touches it), the GitHub OIDC identity provider (or uses the account's existing one),
one deploy role and one KMS key per environment, and a read-only preview role for pull
requests.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from shipyard.config import ServiceStackSettings, naming
from shipyard.config.model import deploy_entry
from shipyard.config.service_checks import stack_domain
from shipyard.config.stack_files import program_project_dir
from shipyard.program.components.deploy_access import DeployAccess, DeployAccessArgs, DeployTarget
from shipyard.program.components.environment_key import (
    EnvironmentKeyArgs,
    environment_key,
    images_key,
)
from shipyard.program.components.repository import ServiceRepository, ServiceRepositoryArgs
from shipyard.program.tagging import tag_every_resource


def deploy_targets(settings: ServiceStackSettings) -> list[DeployTarget]:
    """Each entry of deployEnvironments: `stack`, or `stack=github-environment`, with the
    domain its stack file names (its deploy role may write that name's DNS records)."""
    project_dir = program_project_dir()
    targets = []
    for entry in settings.deploy_environments:
        stack, github_environment = deploy_entry(entry)
        domain = stack_domain(project_dir, stack)
        targets.append(DeployTarget(stack, github_environment or stack, domain))
    return targets


def build_service_stack(settings: ServiceStackSettings) -> dict[str, pulumi.Input]:
    name = settings.service_name
    tag_every_resource(naming.resource_prefix(settings.service_name, settings.stack))
    images = images_key(
        f"{name}-images", naming.images_key_alias(name), settings.protect_resources
    )
    repository = ServiceRepository(
        name,
        ServiceRepositoryArgs(
            name=settings.service_name,
            keep_images=settings.keep_images,
            protect=settings.protect_resources,
            moved_from=settings.repository_moved_from,
            kms_key_arn=images.key_arn,
        ),
    )
    targets = deploy_targets(settings)
    identity = aws.get_caller_identity()
    region = aws.get_region().region
    keys: dict[str, pulumi.Output[str]] = {}
    for target in targets:
        prefix = naming.resource_prefix(name, target.stack)
        keys[target.stack] = environment_key(
            f"{prefix}-key",
            EnvironmentKeyArgs(
                environment=target.stack,
                alias=naming.environment_key_alias(name, target.stack),
                account=identity.account_id,
                region=region,
                log_group_prefix=naming.log_group_name(prefix),
                waf_log_group=naming.waf_log_group_name(prefix),
                protect=settings.protect_resources,
            ),
        ).key_arn
    access = DeployAccess(
        name,
        DeployAccessArgs(
            service_name=settings.service_name,
            github_repository=settings.github_repository,
            existing_provider_arn=settings.github_oidc_provider_arn,
            targets=targets,
            repository_arn=repository.repository_arn,
            account=identity.account_id,
            region=region,
            state_bucket=settings.pulumi_state_bucket,
            secrets_key_arn=settings.pulumi_secrets_key_arn,
            protect=settings.protect_resources,
            environment_key_arns=keys,
        ),
    )
    return {
        "kind": "service",
        "repositoryName": repository.repository_name,
        "repositoryUrl": repository.repository_url,
        "oidcProviderArn": access.provider_arn,
        "deployRoleArns": access.deploy_role_arns,
        "buildRoleArn": access.build_role_arn,
        "pricesRoleArn": access.prices_role_arn,
        "previewRoleArn": access.preview_role_arn,
    }
