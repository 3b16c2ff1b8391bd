"""Entry point the Pulumi engine runs for `--policy-pack infra/policy`.

The engine runs this file with its own directory on sys.path, as it does a program.
"""

from pulumi_policy import EnforcementLevel, PolicyPack
from rules import POLICIES

PolicyPack(name="shipyard", enforcement_level=EnforcementLevel.MANDATORY, policies=POLICIES)
