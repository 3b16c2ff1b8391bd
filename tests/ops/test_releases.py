"""Release history from Pulumi updates and ECR images, without any AWS or Pulumi."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from shipyard.aws import ImageInfo
from shipyard.cli.model import IMAGE_DIGEST_KEY, UpdateRecord
from shipyard.cli.releases import choose_rollback, commit_of, release_history
from shipyard.errors import USAGE, UserError

T0 = datetime(2026, 11, 1, tzinfo=UTC)
A, B = "a" * 40, "b" * 40


def digest(char: str) -> str:
    return "sha256:" + char * 64


def update(version: int, head: str, *, pin: str = "", dirty: bool = False, result="succeeded",
           kind="update") -> UpdateRecord:  # fmt: skip
    return UpdateRecord(
        version=version, kind=kind, result=result, start_time=T0 + timedelta(hours=version),
        end_time=T0 + timedelta(hours=version, minutes=5),
        config={IMAGE_DIGEST_KEY: pin} if pin else {},
        environment={"git.head": head, "git.dirty": str(dirty).lower()},
    )  # fmt: skip


def image(char: str, *tags: str, hours: float = 0) -> ImageInfo:
    return ImageInfo(digest(char), tags, T0 + timedelta(hours=hours))


def test_builds_pins_failures_and_no_change_updates():
    images = [image("1", f"dev-{A}", hours=1), image("2", f"dev-{B}", hours=3)]
    updates = [
        update(1, A),
        update(2, A),  # config-only change: same image, no new release
        update(3, B, result="failed"),
        update(4, B, kind="refresh"),
        update(5, B),
        update(6, B, pin=digest("1")),  # a rollback
    ]
    history = release_history("dev", list(reversed(updates)), images)
    assert [(r.number, r.digest, r.commit, r.pinned) for r in history] == [
        (1, digest("1"), A, False),
        (2, digest("2"), B, False),
        (3, digest("1"), A, True),
    ]


def test_a_self_managed_backend_numbers_no_update_so_start_times_order_them():
    """A file or S3 backend lists updates newest first with every version 0 (seen on the
    real engine, tests/engine/test_cli.py): rolling back must still find the one before."""
    pins = [update(hour, A, pin=digest(char)) for hour, char in ((1, "1"), (2, "2"))]
    unnumbered = [dataclasses.replace(record, version=0) for record in reversed(pins)]
    history = release_history("dev", unnumbered, [])
    assert [release.digest for release in history] == [digest("1"), digest("2")]
    assert choose_rollback(history, digest("2"), None) == history[0]


def test_a_dirty_build_is_the_newest_dirty_image_pushed_before_the_update_ended():
    images = [
        image("3", f"dev-{A}-dirty-111", hours=0.5),
        image("4", f"dev-{A}-dirty-222", hours=1),
        image("5", f"dev-{A}-dirty-333", hours=9),  # pushed after the update: not it
    ]
    (release,) = release_history("dev", [update(1, A, dirty=True)], images)
    assert release.digest == digest("4")


def test_builds_of_one_commit_with_other_inputs_are_told_apart_by_push_time():
    # The same commit built twice (a release tag added in between): two build tags.
    images = [
        image("6", f"build-dev-{A}-0123456789ab", hours=1),
        image("7", f"build-dev-{A}-ba9876543210", hours=2),
        image("8", f"build-staging-{A}-0123456789ab", hours=1.5),  # another stack's
    ]
    first, second = release_history("dev", [update(1, A), update(2, A)], images)
    assert (first.digest, second.digest) == (digest("6"), digest("7"))
    assert first.commit == second.commit == A


def test_a_build_whose_image_expired_is_listed_without_a_digest():
    (release,) = release_history("dev", [update(1, A)], [])
    assert release.digest is None and release.short_digest == "(expired)"


@pytest.mark.parametrize(
    ("tags", "commit"),
    [
        ((f"prod-{A}",), A),
        ((f"build-prod-{A}-0123456789ab",), A),
        ((f"build-qa-{B}-dirty-0123456789ab",), B),
        ((f"dev-{B}-dirty-9f",), B),
        (("latest", f"x-{A}"), A),
        (("v1",), "unknown"),
    ],
)
def test_commit_of_tags(tags, commit):
    assert commit_of(tags) == commit


def test_choose_rollback():
    images = [image("1", f"dev-{A}"), image("2", f"dev-{B}")]
    history = release_history("dev", [update(1, A), update(2, B)], images)
    assert choose_rollback(history, digest("2"), None).number == 1
    assert choose_rollback(history, digest("2"), "1").digest == digest("1")
    assert choose_rollback(history, digest("2"), digest("9")) == digest("9")
    with pytest.raises(UserError, match="no previous release"):
        choose_rollback(history, digest("1"), None)
    with pytest.raises(UserError) as raised:
        choose_rollback(history, digest("2"), "sha256:xyz")
    assert raised.value.exit_code == USAGE
