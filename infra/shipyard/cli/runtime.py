"""What every command runs with: the stacks, AWS, the console and the operator's answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from shipyard.aws import Aws
from shipyard.cli.model import Stacks
from shipyard.cli.project import PROJECT_DIR
from shipyard.errors import UserError, require_known_environments


@dataclass
class Runtime:
    stacks: Stacks
    aws_for_region: Callable[[str], Aws]
    console: Console
    confirm: Callable[[str], bool]
    timeout: float = 900.0
    poll: float = 10.0
    project_dir: Path = PROJECT_DIR
    _regions: dict[str, str] = field(default_factory=dict, repr=False)

    def check_environment(self, env: str) -> None:
        require_known_environments([env], self.stacks.environments())

    def config(self, env: str) -> dict[str, str]:
        """The stack's config, read now (a `pulumi` call); its region is kept for `aws`."""
        config = self.stacks.config(env)
        if config.get("aws:region"):
            self._regions.setdefault(env, config["aws:region"])
        return config

    def aws(self, env: str) -> Aws:
        if env not in self._regions and not self.config(env).get("aws:region"):
            raise UserError(
                f"stack {env} has no aws:region; set it with `pulumi config set aws:region ...`"
            )
        return self.aws_for_region(self._regions[env])

    def deployed_outputs(self, env: str) -> dict[str, Any]:
        outputs = self.stacks.outputs(env)
        if not outputs.get("image"):
            raise UserError(f"{env} has not been deployed yet; run `shipyard deploy {env}` first")
        return outputs


def confirm(rt: Runtime, question: str, yes: bool) -> None:
    if not yes and not rt.confirm(question):
        raise UserError("not confirmed; nothing was changed")


def require_ssm_agent(rt: Runtime, env: str, purpose: str) -> None:
    """On EC2, Session Manager and Run Command need the SSM agent's permissions, which the
    instances get only with sessionManager: say so before anything is asked of AWS."""
    if str(rt.config(env).get("shipyard:sessionManager", "")).lower() != "true":
        raise UserError(
            f"Session Manager is off in {env}; set shipyard:sessionManager: true in "
            f"stacks/Pulumi.{env}.yaml and deploy (`shipyard deploy {env}`), then run this "
            f"again ({purpose} needs the SSM agent's permissions)"
        )
