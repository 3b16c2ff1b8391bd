"""Entry point the Pulumi engine runs for `--policy-pack infra/policy`; the rules are
shipyard.policy.rules, in the project's virtualenv (PulumiPolicy.yaml)."""

from pulumi_policy import EnforcementLevel, Policy, PolicyPack

from shipyard.policy.rules import POLICIES

policies: list[Policy] = [*POLICIES]
PolicyPack(name="shipyard", enforcement_level=EnforcementLevel.MANDATORY, policies=policies)
