"""Build tags against ECR's tag rules: a re-run of `pulumi up` never fails on a tag.

pulumi-docker builds and pushes whenever its inputs differ and on every create, and ECR
refuses to overwrite an immutable tag even with the same digest. The scenarios below are
walked through moto's ECR (which enforces IMMUTABLE_WITH_EXCLUSION), configured exactly as
the program configures the repository, with pushes decided the way pulumi-docker decides.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

import shipyard.program.stack as stack_module
from devtools import pulumi_mocks
from shipyard.cli.project import CHECKOUT_DIR

from .conftest import evaluated

IMAGE = "docker:index/image:Image"
REPOSITORY = "aws:ecr/repository:Repository"


def built(evaluation: pulumi_mocks.Evaluation) -> dict[str, Any] | None:
    found = evaluation.of_type(IMAGE)
    return found[0].inputs if found else None


def tag_of(image: dict[str, Any]) -> str:
    return image["imageName"].rsplit(":", 1)[1]


@dataclass
class Registry:
    """moto's ECR, holding the repository the dev stack creates, as the program creates it."""

    client: Any
    pushes: list[tuple[str, str]] = field(default_factory=list)  # (tag, build inputs)

    @classmethod
    def like_the_program(cls) -> Registry:
        repository = evaluated("shared").one(REPOSITORY).inputs
        client = boto3.client("ecr", region_name="us-east-1")
        client.create_repository(
            repositoryName="shipyard-sample",
            imageTagMutability=repository["imageTagMutability"],
            imageTagMutabilityExclusionFilters=repository["imageTagMutabilityExclusionFilters"],
        )
        return cls(client)

    def push(self, tag: str, content: str) -> None:
        """A push of freshly built bytes: builds are not reproducible, so each differs."""
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"digest": "sha256:" + hashlib.sha256(content.encode()).hexdigest()},
                "layers": [],
                "build": len(self.pushes),
            }
        )
        digest = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
        self.client.put_image(
            repositoryName="shipyard-sample", imageManifest=manifest, imageTag=tag,
            imageDigest=digest,
        )  # fmt: skip
        self.pushes.append((tag, content))


@dataclass
class Deployer:
    """`pulumi up` of one stack as far as the image goes: pulumi-docker pushes when the
    Image is new to the state or any of its inputs changed."""

    registry: Registry
    stack: str = "dev"
    state: dict[str, Any] | None = None

    def up(self, **kwargs: Any) -> None:
        image = built(pulumi_mocks.evaluate(self.stack, **kwargs))
        if image is not None and image != self.state:
            self.registry.push(tag_of(image), json.dumps(image, sort_keys=True))
        self.state = image

    def destroy(self) -> None:
        self.state = None


@pytest.fixture
def registry():
    with mock_aws():
        yield Registry.like_the_program()


@pytest.fixture
def app_copy(tmp_path, monkeypatch) -> Path:
    """A copy of app/ the test may change, built in place of the real one."""
    copy = tmp_path / "app"
    shutil.copytree(CHECKOUT_DIR / "app", copy)
    monkeypatch.setattr(stack_module, "app_dir", lambda: copy)
    return copy


def test_same_inputs_give_the_same_tag_and_any_changed_input_another(app_copy):
    def tag(**kwargs: Any) -> str:
        image = built(pulumi_mocks.evaluate("dev", **kwargs))
        assert image is not None
        return tag_of(image)

    first = tag()
    assert tag() == first
    assert tag(version="v1.0.1") != first  # APP_VERSION
    assert tag(commit="4" * 40) != first
    assert tag(commit="4" * 40).startswith(f"build-dev-{'4' * 40}-")
    (app_copy / "requirements.txt").chmod(0o664)  # another umask
    mode_changed = tag()
    assert mode_changed != first
    (app_copy / "service" / "app.py").write_text("# changed\n")
    assert tag() not in (first, mode_changed)


def test_no_scenario_pushes_a_tag_ecr_refuses(registry, app_copy):
    deployer = Deployer(registry)
    deployer.up()
    deployer.up()  # nothing changed: nothing pushed
    assert len(registry.pushes) == 1
    deployer.up(version="v1.0.1")  # a release tag added to the same commit
    (app_copy / "requirements.txt").chmod(0o664)  # a checkout with another umask
    deployer.up(version="v1.0.1")
    deployer.destroy()  # destroy and re-create
    deployer.up(version="v1.0.1")
    deployer.up(overrides={"imageDigest": "sha256:" + "a" * 64})  # pin ...
    deployer.up(version="v1.0.1")  # ... then unpin at the same commit
    # An interrupted push: the image reached ECR, but the state never recorded it.
    deployer.destroy()
    deployer.up(version="v1.0.1")
    tags = [tag for tag, _ in registry.pushes]
    assert len(tags) == 6 and len(set(tags)) == 3
    # A tag is pushed again only with exactly the inputs it was first pushed with.
    inputs_by_tag: dict[str, set[str]] = {}
    for tag, content in registry.pushes:
        inputs_by_tag.setdefault(tag, set()).add(content)
    assert all(len(contents) == 1 for contents in inputs_by_tag.values())


def test_two_stacks_building_one_commit_never_share_a_tag(registry):
    Deployer(registry, "dev").up()
    Deployer(registry, "staging").up(overrides={"imageSource": "build"})
    assert len({tag for tag, _ in registry.pushes}) == 2


def test_every_tag_but_the_build_tags_stays_immutable(registry):
    registry.push("v1.0.0", "release")
    with pytest.raises(registry.client.exceptions.ImageAlreadyExistsException):
        registry.push("v1.0.0", "another build")
