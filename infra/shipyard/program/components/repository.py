"""The service's ECR repository and its lifecycle policy, owned by the service stack.

One repository serves every environment of a service, so a digest that ran in staging is
promoted to prod unchanged, and destroying an environment never touches it. Tags are
immutable except the environments' own build tags (`build-*`): pulumi-docker pushes on every
create, so the same build tag is pushed again after a destroy and re-create, a pin then
unpin, or an interrupted push, and ECR refuses even an identical push to an immutable tag.
Build tags carry a digest of every build input (naming.build_tag), so a build tag is only
ever pushed again for the same inputs; deployments always name the digest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

BUILD_TAG_FILTER = "build-*"


@dataclass(frozen=True)
class ServiceRepositoryArgs:
    name: str
    keep_images: int
    protect: bool
    # The service's own key for its images (ECR uses it through grants it makes itself, so
    # pushes and pulls need no KMS permission).
    kms_key_arn: pulumi.Input[str] | None = None
    # The environment whose stack created the repository before the service stack existed:
    # after `pulumi state move` its resources keep their old names (see docs/deploying.md).
    moved_from: str = ""


def lifecycle_policy(keep_images: int) -> str:
    """Keep the newest images for rollback, tagged or not.

    No short expiry for untagged images: one becomes untagged when a build tag is pushed
    again for the same inputs, and another environment may still run it by digest.
    """
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"Keep the {keep_images} newest images for rollback",
                    "selection": {
                        "tagStatus": "any",
                        "countType": "imageCountMoreThan",
                        "countNumber": keep_images,
                    },
                    "action": {"type": "expire"},
                },
            ]
        },
        sort_keys=True,
    )


class ServiceRepository(pulumi.ComponentResource):
    repository_name: pulumi.Output[str]
    repository_url: pulumi.Output[str]
    repository_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: ServiceRepositoryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("shipyard:index:ServiceRepository", name, None, opts)
        repository = aws.ecr.Repository(
            f"{name}-repo",
            name=args.name,
            image_tag_mutability="IMMUTABLE_WITH_EXCLUSION",
            image_tag_mutability_exclusion_filters=[
                aws.ecr.RepositoryImageTagMutabilityExclusionFilterArgs(
                    filter=BUILD_TAG_FILTER, filter_type="WILDCARD"
                )
            ],
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                scan_on_push=True
            ),
            encryption_configurations=[
                aws.ecr.RepositoryEncryptionConfigurationArgs(
                    encryption_type="KMS", kms_key=args.kms_key_arn
                )
            ],
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                aliases=moved(args, "repo"),
                # ECR fixes a repository's encryption when it is created: a change would
                # replace the repository and every image in it. One made before the key
                # keeps ECR's own key (docs/deploying.md, upgrading).
                ignore_changes=["encryptionConfigurations"],
            ),
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=repository.name,
            policy=lifecycle_policy(args.keep_images),
            opts=pulumi.ResourceOptions(parent=self, aliases=moved(args, "lifecycle")),
        )
        self.repository_name = repository.name
        self.repository_url = repository.repository_url
        self.repository_arn = repository.arn
        self.register_outputs(
            {"repository_name": self.repository_name, "repository_url": self.repository_url}
        )


def moved(args: ServiceRepositoryArgs, role: str) -> list[pulumi.Input[pulumi.Alias]]:
    """The name the resource had in the environment stack that created it, as `pulumi state
    move` leaves it in this stack: at the root, named <service>-<env>-<role>."""
    if not args.moved_from:
        return []
    return [
        pulumi.Alias(
            name=f"{args.name}-{args.moved_from}-{role}", parent=pulumi.ROOT_STACK_RESOURCE
        )
    ]
