"""The cost of a change, where the change is reviewed: `shipyard preview` prints the monthly
estimate before and after it, and `preview` and `deploy` refuse one whose estimate at
maxCapacity is over the stack's `monthlyBudget` (exit 3, like the risk gate), unless
--over-budget. Before: the config of the last update that succeeded, evaluated by this
program; after: the stack's config as it stands."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shipyard.cli import cost, offline, prices
from shipyard.cli.model import UpdateRecord
from shipyard.cli.runtime import Runtime
from shipyard.config import NAMESPACE
from shipyard.config.engine_config import stack_file_values
from shipyard.config.stack_files import ENCRYPTED, configured
from shipyard.errors import DANGEROUS_CHANGES, UserError

BUDGET_KEY = f"{NAMESPACE}:monthlyBudget"


def as_stack_file(config: Mapping[str, str], project_dir: Path) -> dict[str, Any]:
    """A stack's config as `pulumi config` lists it, or as Pulumi's history holds it (a
    secret hidden as `[secret]`), in the form a stack file holds it, which the offline
    evaluation takes."""
    shown = {key: ENCRYPTED if value == "[secret]" else value for key, value in config.items()}
    return stack_file_values(shown, project_dir)


def _estimate(
    rt: Runtime, env: str, config: Mapping[str, Any], snapshot: prices.Snapshot
) -> cost.Estimate:
    # secretValues is always set with --secret; `pulumi config` lists it decrypted.
    secret = {key for key in config if key == f"{NAMESPACE}:secretValues"}
    evaluation = offline.evaluate(
        env, dict(config), project_dir=rt.project_dir, secret_keys=secret
    )
    return cost.estimate(evaluation, snapshot, cost.Assumptions.of(evaluation.config))


def _deployed(history: list[UpdateRecord]) -> UpdateRecord | None:
    return max((r for r in history if r.deployed), key=lambda r: r.order, default=None)


def review(
    rt: Runtime, env: str, listed: Mapping[str, str], over_budget: bool = False
) -> None:
    """Print the change's monthly cost; refuse it over the budget (exit 3). `listed`: the
    stack's config as `pulumi config` has it, which the caller read for its preview."""
    try:
        snapshot = prices.load()
    except UserError as missing:
        rt.console.print(f"monthly cost: not estimated ({missing})", highlight=False)
        snapshot = None
    config = as_stack_file(listed, rt.project_dir)
    # The stack's own, else Pulumi.yaml's default, as the engine would give it.
    budget = int(configured(listed, rt.project_dir, "monthlyBudget") or 0)
    if snapshot is None:
        if budget and not over_budget:
            raise UserError(
                f"{BUDGET_KEY} is {budget}, but there is no price snapshot to hold {env} to "
                "it; make one (`shipyard cost --refresh-prices`) or pass --over-budget",
                exit_code=DANGEROUS_CHANGES,
            )
        return
    after = _estimate(rt, env, config, snapshot)  # the stack's own assumptions
    deployed = _deployed(rt.stacks.history(env))
    now = after.total("desired")
    if deployed is None:
        rt.console.print(f"monthly cost: ${now:,.2f} (nothing deployed yet)", highlight=False)
    else:
        deployed_config = as_stack_file(deployed.config, rt.project_dir)
        before = _estimate(rt, env, deployed_config, snapshot).total("desired")
        sign = "-" if now < before else "+"
        rt.console.print(
            f"monthly cost: ${before:,.2f} -> ${now:,.2f} ({sign}${abs(now - before):,.2f})",
            highlight=False,
        )
    ceiling = after.total("max")
    if budget and ceiling > budget:
        said = (
            f"{BUDGET_KEY}: {env} may cost ${ceiling:,.2f} a month at maxCapacity "
            f"({after.counts['max']}), over its budget of ${budget:,}"
        )
        if over_budget:
            rt.console.print(f"{said}; going on (--over-budget)", highlight=False)
            return
        raise UserError(
            f"{said}; lower maxCapacity or the sizes, raise the budget, or pass --over-budget",
            exit_code=DANGEROUS_CHANGES,
        )
