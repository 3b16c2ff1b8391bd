"""The ECR repository and the image deployed from it, always referenced by digest.

One repository serves every environment of a service, so a digest that ran in staging can
be promoted to prod unchanged. Exactly one stack creates it (and its lifecycle policy); the
others name it and deploy from it.

Tags are immutable except the stacks' own build tags (`build-*`). pulumi-docker pushes on
every create, so the same build tag is pushed again after a destroy and re-create, a pin
then unpin, or an interrupted push, and ECR refuses even an identical push to an immutable
tag. Build tags carry a digest of every build input (naming.build_tag), so a mutable build
tag is only ever re-pushed for the same inputs; deployments always name the digest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker

BUILD_TAG_FILTER = "build-*"


@dataclass(frozen=True)
class ImageBuild:
    """Build app/ during `pulumi up` and push it under a tag that names its inputs."""

    context: str  # relative to the project directory, so inputs match on every machine
    dockerfile: str
    tag: str
    args: dict[str, str]
    platform: str


@dataclass(frozen=True)
class ImageRegistryArgs:
    repository_name: str
    create_repository: bool  # False: the repository belongs to another stack
    keep_images: int
    protect: bool
    # Exactly one of these: pin an already-pushed digest, or build one.
    pinned_digest: str = ""
    build: ImageBuild | None = None


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


class ImageRegistry(pulumi.ComponentResource):
    repository_url: pulumi.Output[str]
    repository_arn: pulumi.Output[str]
    repository_name: pulumi.Output[str]
    image_ref: pulumi.Output[str]

    def __init__(
        self, name: str, args: ImageRegistryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("shipyard:index:ImageRegistry", name, None, opts)
        if bool(args.pinned_digest) == bool(args.build):
            raise ValueError("ImageRegistryArgs needs exactly one of pinned_digest and build")
        repository = (
            self._create_repository(name, args)
            if args.create_repository
            else aws.ecr.get_repository_output(
                name=args.repository_name, opts=pulumi.InvokeOptions(parent=self)
            )
        )
        if args.build:
            self.image_ref = self._build_and_push(name, repository, args.build)
        else:
            self.image_ref = repository.repository_url.apply(
                lambda url: f"{url}@{args.pinned_digest}"
            )
        self.repository_url = repository.repository_url
        self.repository_arn = repository.arn
        self.repository_name = repository.name
        self.register_outputs(
            {
                "repository_url": self.repository_url,
                "repository_arn": self.repository_arn,
                "image_ref": self.image_ref,
            }
        )

    def _create_repository(self, name: str, args: ImageRegistryArgs) -> aws.ecr.Repository:
        repository = aws.ecr.Repository(
            f"{name}-repo",
            name=args.repository_name,
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
                aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS")
            ],
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=repository.name,
            policy=lifecycle_policy(args.keep_images),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return repository

    def _build_and_push(
        self,
        name: str,
        repository: aws.ecr.Repository | pulumi.Output[aws.ecr.GetRepositoryResult],
        build: ImageBuild,
    ) -> pulumi.Output[str]:
        token = aws.ecr.get_authorization_token_output(registry_id=repository.registry_id)
        image = docker.Image(
            f"{name}-image",
            image_name=repository.repository_url.apply(lambda url: f"{url}:{build.tag}"),
            build=docker.DockerBuildArgs(
                context=build.context,
                dockerfile=build.dockerfile,
                platform=build.platform,
                args=build.args,
            ),
            registry=docker.RegistryArgs(
                server=repository.repository_url,
                username=token.user_name,
                password=pulumi.Output.secret(token.password),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # repo_digest is repository@sha256:..., the exact bytes pushed.
        return image.repo_digest
