"""The images an environment actually ran, from Pulumi's stack history and ECR.

Why these sources: Pulumi's history lists every update of the stack, whether it came from
`pulumi up` or from this CLI, with its result, time, config and git metadata. A succeeded
update waited for the service to become stable (ECS) or for the group to accept the new
launch template (EC2), so it ran. Its config names the digest when it was pinned. A build
names its commit, and ECR's `build-<env>-<commit>-...` tag maps that commit to the digest.
AWS-side records alone (task definition revisions, launch template versions) list what was
registered, including deploys that were rolled back, and differ between targets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from shipyard.aws import ImageInfo
from shipyard.cli.model import DIGEST, IMAGE_DIGEST_KEY, IMAGE_SOURCE_KEY, UpdateRecord
from shipyard.errors import USAGE, UserError

COMMIT = re.compile(r"(?:^|-)([0-9a-f]{40})(?=-|$)")


@dataclass(frozen=True)
class Release:
    number: int
    when: datetime
    digest: str | None  # None: built, but its image is no longer in ECR
    commit: str
    pinned: bool  # deployed by digest (rollback, promotion) rather than built
    message: str = ""  # the update's message: shipyard names what it did there

    @property
    def short_digest(self) -> str:
        return self.digest[7:19] if self.digest else "(expired)"

    @property
    def how(self) -> str:
        """built, or for a digest deployed as it was: rollback, promotion, deploy, pinned."""
        if not self.pinned:
            return "built"
        for how in ("rollback", "promotion", "deploy"):
            if self.message.startswith(f"shipyard {how} "):
                return how
        return "pinned"


def commit_of(tags: Iterable[str]) -> str:
    for tag in tags:
        if match := COMMIT.search(tag):
            return match.group(1)
    return "unknown"


def _built_digest(env: str, update: UpdateRecord, images: list[ImageInfo]) -> str | None:
    """The image an update built: the newest one tagged for this environment and commit
    that was pushed before the update ended.

    Build tags are `build-<env>-<commit>-[dirty-]<inputs digest>`; builds from before they
    named their inputs are tagged `<env>-<commit>` or `<env>-<commit>-dirty-<hash>`.
    """
    head = update.environment.get("git.head", "")
    legacy = f"{env}-{head}"
    prefixes = (f"build-{env}-{head}-", f"{legacy}-dirty-")
    finished = update.end_time or update.start_time
    candidates = [
        image
        for image in images
        if any(tag == legacy or tag.startswith(prefixes) for tag in image.tags)
        and (image.pushed_at is None or image.pushed_at <= finished)
    ]
    candidates.sort(key=lambda image: image.pushed_at or finished)
    return candidates[-1].digest if candidates else None


def release_history(
    env: str, updates: list[UpdateRecord], images: list[ImageInfo]
) -> list[Release]:
    """Releases oldest first, numbered from 1; an update that kept the image adds none."""
    tags_by_digest = {image.digest: image.tags for image in images}
    releases: list[Release] = []
    for update in sorted(updates, key=lambda record: record.order):
        if not update.deployed:
            continue
        pinned_digest = update.config.get(IMAGE_DIGEST_KEY, "")
        if not pinned_digest and update.config.get(IMAGE_SOURCE_KEY) == "release":
            continue  # it deployed its release record: the image it already ran
        if pinned_digest:
            digest: str | None = pinned_digest
            commit = commit_of(tags_by_digest.get(pinned_digest, ()))
        else:
            digest = _built_digest(env, update, images)
            commit = update.environment.get("git.head") or "unknown"
        if releases and (releases[-1].digest, releases[-1].commit) == (digest, commit):
            continue
        releases.append(
            Release(
                number=len(releases) + 1,
                when=update.end_time or update.start_time,
                digest=digest,
                commit=commit,
                pinned=bool(pinned_digest),
                message=update.message,
            )
        )
    return releases


def live_digest(outputs: dict) -> str:
    image = outputs.get("image", "")
    if "@" not in image:
        raise UserError("the stack has no deployed image yet; deploy it with `shipyard deploy`")
    return image.split("@", 1)[1]


def live_release(releases: list[Release], digest: str) -> Release | None:
    return next((release for release in reversed(releases) if release.digest == digest), None)


def choose_rollback(
    releases: list[Release], live_digest_value: str, to: str | None
) -> Release | str:
    """The release named by --to (a number or a digest), or the one before the live one.

    Returns a Release, or a bare digest when --to names one the history does not know.
    """
    if to is None:
        live = live_release(releases, live_digest_value)
        earlier = [
            release
            for release in releases
            if release.digest
            and release.digest != live_digest_value
            and (live is None or release.number < live.number)
        ]
        if not earlier:
            raise UserError("no previous release to roll back to; `shipyard releases` lists them")
        return earlier[-1]
    if to.isdigit():
        number = int(to)
        found = next((release for release in releases if release.number == number), None)
        if found is None:
            raise UserError(
                f"--to {to}: there is no release {number}; choose one of "
                f"{', '.join(str(r.number) for r in releases) or 'none'}",
                exit_code=USAGE,
            )
        if found.digest is None:
            raise UserError(
                f"release {number} (commit {found.commit[:12]}) is no longer in ECR; "
                "choose another release"
            )
        return found
    if DIGEST.fullmatch(to):
        known = next((release for release in releases if release.digest == to), None)
        return known or to
    raise UserError(
        f"--to {to!r} is neither a release number nor a digest (sha256: and 64 hex digits)",
        exit_code=USAGE,
    )
