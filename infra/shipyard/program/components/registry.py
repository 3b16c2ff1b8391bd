"""The image an environment runs, always referenced by digest, and its release record.

The image is built from app/ and pushed to the service's repository, or pinned to a digest
already there. Once the compute has rolled it out, the environment's release record, an SSM
parameter (/shipyard/<service>/<env>/release), is set to that digest: it is the one source
of truth for what the environment should run. A stack that only deploys released images
reads it at the next update (see program/stack.py), so `pulumi up`, the pipeline and the CLI agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker


@dataclass(frozen=True)
class ImageBuild:
    """Build app/ during `pulumi up` and push it under a tag that names its inputs."""

    context: str  # relative to the project directory, so inputs match on every machine
    dockerfile: str
    tag: str
    args: dict[str, str]
    platform: str


@dataclass(frozen=True)
class Repository:
    """The service stack's repository, as looked up by name before any resource."""

    name: str
    url: str
    arn: str
    registry_id: str


@dataclass(frozen=True)
class ImageRegistryArgs:
    repository: Repository
    # Exactly one of these: an already-pushed digest, or a build.
    pinned_digest: str = ""
    build: ImageBuild | None = None


@dataclass(frozen=True)
class ReleaseRecordArgs:
    parameter: str  # /shipyard/<service>/<env>/release
    image_ref: pulumi.Input[str]  # repo@sha256:...
    # The rollout it records: a rollout that fails (or that AWS rolls back) fails the update
    # before the record moves.
    rollout: pulumi.Resource


class ReleaseRecord(pulumi.ComponentResource):
    """Records the digest an environment runs, once its rollout is over."""

    def __init__(
        self, name: str, args: ReleaseRecordArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("shipyard:index:ReleaseRecord", name, None, opts)
        aws.ssm.Parameter(
            f"{name}-release",
            name=args.parameter,
            type="String",
            # Not a secret: shown as it is in `pulumi preview --diff`.
            insecure_value=pulumi.Output.from_input(args.image_ref).apply(
                lambda ref: ref.split("@", 1)[1]
            ),
            description="The image digest this environment runs (shipyard's release record)",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.rollout]),
        )
        self.register_outputs({})


class ImageRegistry(pulumi.ComponentResource):
    image_ref: pulumi.Output[str]

    def __init__(
        self, name: str, args: ImageRegistryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("shipyard:index:ImageRegistry", name, None, opts)
        if bool(args.pinned_digest) == bool(args.build):
            raise ValueError("ImageRegistryArgs needs exactly one of pinned_digest and build")
        if args.build:
            self.image_ref = self._build_and_push(name, args.repository, args.build)
        else:
            self.image_ref = pulumi.Output.from_input(
                f"{args.repository.url}@{args.pinned_digest}"
            )
        self.register_outputs({"image_ref": self.image_ref})

    def _build_and_push(
        self, name: str, repository: Repository, build: ImageBuild
    ) -> pulumi.Output[str]:
        token = aws.ecr.get_authorization_token_output(registry_id=repository.registry_id)
        image = docker.Image(
            f"{name}-image",
            image_name=f"{repository.url}:{build.tag}",
            build=docker.DockerBuildArgs(
                context=build.context,
                dockerfile=build.dockerfile,
                platform=build.platform,
                args=build.args,
            ),
            registry=docker.RegistryArgs(
                server=repository.url,
                username=token.user_name,
                password=pulumi.Output.secret(token.password),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # repo_digest is repository@sha256:..., the exact bytes pushed.
        return image.repo_digest
