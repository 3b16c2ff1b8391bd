"""The local cloud's replacements (devtools/force_new.py): the table made from
terraform-provider-aws's source covers every AWS type the program registers, and decides
replace-or-update as the provider's ForceNew marks say."""

from __future__ import annotations

import json

import pytest

from devtools import force_new
from tests.infra.conftest import SERVICE_STACKS, SHIPPED_STACKS, evaluated

TABLE = force_new.load()


def test_the_table_covers_every_aws_type_the_program_registers_and_names_its_source():
    registered = {
        typ for stack in SHIPPED_STACKS + SERVICE_STACKS
        for typ, _ in evaluated(stack).inputs_by_key() if typ.startswith("aws:")
    }  # fmt: skip
    missing = registered - set(TABLE)
    assert not missing, f"run scripts/force-new-table: no replacement rules for {missing}"
    source = json.loads(force_new.TABLE.read_text())["source"]
    assert source.startswith("github.com/hashicorp/terraform-provider-aws@")


@pytest.mark.parametrize(
    ("typ", "olds", "news", "replaces"),
    [
        # Every change of a task definition is a new revision.
        ("aws:ecs/taskDefinition:TaskDefinition", {"cpu": "256"}, {"cpu": "512"}, ["cpu"]),
        # A service changes in place, except its name or cluster.
        ("aws:ecs/service:Service", {"desiredCount": 1}, {"desiredCount": 2}, []),
        ("aws:ecs/service:Service", {"cluster": "a"}, {"cluster": "b"}, ["cluster"]),
        # A launch template gets a new version; only its name replaces it.
        ("aws:ec2/launchTemplate:LaunchTemplate", {"userData": "a"}, {"userData": "b"}, []),
        # Nested: a one-item block shows as a list in Pulumi, named in the plural.
        ("aws:ecr/repository:Repository",
         {"encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": "a"}]},
         {"encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": "b"}]},
         ["encryptionConfigurations"]),
        ("aws:ecr/repository:Repository", {"imageTagMutability": "MUTABLE"},
         {"imageTagMutability": "IMMUTABLE"}, []),
        ("aws:lb/targetGroup:TargetGroup", {"port": 80, "deregistrationDelay": 5},
         {"port": 8080, "deregistrationDelay": 30}, ["port"]),
        ("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 7},
         {"retentionInDays": 90}, []),
    ],
)  # fmt: skip
def test_replaced_as_the_provider_marks_it(typ, olds, news, replaces):
    assert force_new.replaced(TABLE[typ], olds, news) == replaces
