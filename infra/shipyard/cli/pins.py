"""The pin (shipyard:imageDigest) a rollback, promotion or release sets: how it is put back,
cleared, and spelled as a command."""

from __future__ import annotations

from shipyard.cli.model import IMAGE_DIGEST_KEY
from shipyard.cli.runtime import Runtime
from shipyard.errors import UserError


def clear_pin(rt: Runtime, env: str, digest: str) -> None:
    """The pin carried the digest into one update; the release record holds it from now on.

    Left in the stack file, it would deploy that digest again over a later release (the
    pipeline's, or another operator's rollback) at the next `pulumi up` from this checkout.
    A build stack reads no record, so it keeps its pin: unpinned, it would build again.
    """
    try:
        rt.stacks.remove_config(env, IMAGE_DIGEST_KEY)
    except (UserError, KeyboardInterrupt) as error:
        failure = "it was interrupted" if isinstance(error, KeyboardInterrupt) else str(error)
        raise UserError(
            f"{env} runs {digest} and its release record says so, but clearing the pin from "
            f"the stack file failed ({failure}); clear it with "
            f"`{pin_command(env, None)}` before the next `pulumi up` from this checkout"
        ) from None


def pin_command(env: str, value: str | None) -> str:
    if value:
        return f"pulumi config set {IMAGE_DIGEST_KEY} {value} -s {env}"
    return f"pulumi config rm {IMAGE_DIGEST_KEY} -s {env}"


def revert_pin(rt: Runtime, env: str, previous: str | None, ours: str) -> str:
    """Put the pin back as it was, unless someone else changed it meanwhile; say which."""
    try:
        now = rt.config(env).get(IMAGE_DIGEST_KEY)
        if now != ours:
            return (
                f"the pin was left as it is: {IMAGE_DIGEST_KEY} changed to {now or 'unset'} "
                "meanwhile, by another change to the stack"
            )
        if previous:
            rt.stacks.set_config(env, IMAGE_DIGEST_KEY, previous)
        else:
            rt.stacks.remove_config(env, IMAGE_DIGEST_KEY)
    except (UserError, KeyboardInterrupt) as error:
        failure = "it was interrupted" if isinstance(error, KeyboardInterrupt) else str(error)
        return (
            f"putting the pin back failed ({failure}): {env}'s {IMAGE_DIGEST_KEY} may still be "
            f"{ours}, which is not deployed; restore it with `{pin_command(env, previous)}`"
        )
    return f"the pin was reverted: {env}'s {IMAGE_DIGEST_KEY} is {previous or 'unset'} again"
