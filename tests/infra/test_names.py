"""Every physical name, as AWS will see it, within its type's limits.

Mocks run none of the provider's checks, so this is where a name over AWS's limit is caught:
auto-named resources get their logical name plus "-" and 7 random characters, explicit names
are what the program sets. The limits below are the Terraform AWS provider's validators and
pulumi-aws's auto-naming caps (docs/naming.md has the sources), kept apart from
infra/shipyard/config/naming.py so the program's own table is checked against them.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from devtools import pulumi_mocks
from shipyard.config import SettingsError, naming

from .conftest import SERVICE_STACKS, SHIPPED_STACKS, evaluated

# type -> (property holding the name, max length, allowed characters as a full regex)
ELB_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
ECR_NAME = r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*"
AWS_NAME_LIMITS: dict[str, tuple[str, int, str]] = {
    "aws:lb/loadBalancer:LoadBalancer": ("name", 32, rf"(?!internal-){ELB_NAME}"),
    "aws:lb/targetGroup:TargetGroup": ("name", 32, ELB_NAME),
    "aws:iam/role:Role": ("name", 64, r"[\w+=,.@-]+"),
    "aws:iam/rolePolicy:RolePolicy": ("name", 128, r"[\w+=,.@-]+"),
    "aws:iam/instanceProfile:InstanceProfile": ("name", 128, r"[\w+=,.@-]+"),
    "aws:ecs/cluster:Cluster": ("name", 255, r"[A-Za-z0-9_-]+"),
    "aws:ecs/service:Service": ("name", 255, r"[A-Za-z0-9_-]+"),
    "aws:ecs/taskDefinition:TaskDefinition": ("family", 255, r"[A-Za-z0-9_-]+"),
    "aws:ec2/launchTemplate:LaunchTemplate": ("name", 125, r"[A-Za-z0-9()./_-]{3,}"),
    "aws:ec2/securityGroup:SecurityGroup": ("name", 255, r"(?!sg-)[\x20-\x7e]+"),
    "aws:autoscaling/group:Group": ("name", 255, r"[\x20-\x7e]+"),
    "aws:autoscaling/policy:Policy": ("name", 255, r"[\x20-\x7e]+"),
    # AWS API LifecycleHookName: [A-Za-z0-9\-_\/]+, 1-255.
    "aws:autoscaling/lifecycleHook:LifecycleHook": ("name", 255, r"[A-Za-z0-9_/-]+"),
    "aws:appautoscaling/policy:Policy": ("name", 255, r"[\x20-\x7e]+"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("name", 255, r"[\x20-\x7e]+"),
    "aws:cloudwatch/logGroup:LogGroup": ("name", 512, r"[A-Za-z0-9_./#-]+"),
    "aws:ecr/repository:Repository": ("name", 256, ECR_NAME),
    "aws:iam/policy:Policy": ("name", 128, r"[\w+=,.@-]+"),
    # Parameters a user creates: up to 1011 characters, not under /aws or /ssm.
    "aws:ssm/parameter:Parameter": ("name", 1011, r"(?!/?(?:aws|ssm))[A-Za-z0-9_./-]+"),
    # S3 bucket names: 3-63 lowercase letters, digits, hyphens, a letter or digit at each end.
    "aws:s3/bucket:Bucket": ("bucket", 63, r"[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]"),
    # WAFv2 Name: 1-128 letters, digits, _ and -.
    "aws:wafv2/webAcl:WebAcl": ("name", 128, r"[\w-]+"),
    # SNS CreateTopic Name: up to 256 letters, digits, hyphens and underscores.
    "aws:sns/topic:Topic": ("name", 256, r"[A-Za-z0-9_-]+"),
    # alias/ and then letters, digits, / _ -; alias/aws/ is AWS's own.
    "aws:kms/alias:Alias": ("name", 256, r"alias/(?!aws/)[A-Za-z0-9/_-]+"),
    # The tag part of repository:tag: Docker's tag grammar.
    "docker:index/image:Image": ("imageName", 128, r"[A-Za-z0-9_][A-Za-z0-9_.-]*"),
}  # fmt: skip
# Types that carry no name of their own (tags at most).
UNNAMED_TYPES = {
    "pulumi:pulumi:Stack",
    "aws:ec2/vpc:Vpc",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/routeTable:RouteTable",
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:ec2/eip:Eip",
    "aws:ec2/natGateway:NatGateway",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:lb/listener:Listener",
    "aws:lb/listenerRule:ListenerRule",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:appautoscaling/target:Target",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    "pulumi-python:dynamic/shipyard:InstanceRefreshWait",
    "aws:kms/key:Key",
    "aws:sns/topicSubscription:TopicSubscription",
    # Named by their domain: a DNS name, checked by settings (environment_checks.DOMAIN).
    "aws:acm/certificate:Certificate",
    "aws:ec2/flowLog:FlowLog",
    "aws:wafv2/webAclAssociation:WebAclAssociation",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
    "aws:acm/certificateValidation:CertificateValidation",
    "aws:route53/record:Record",
    # Settings of a bucket, named by the bucket.
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketPolicy:BucketPolicy",
}
AUTONAME_LENGTH = len("-") + 7


def physical_names(evaluation: pulumi_mocks.Evaluation) -> list[tuple[str, str]]:
    """(type, name as AWS sees it) of every named resource; fails on an unclassified type."""
    names = []
    for record in evaluation.resources.values():
        if record.type.startswith("shipyard:") or record.type in UNNAMED_TYPES:
            continue
        assert record.type in AWS_NAME_LIMITS, f"classify {record.type}: named or not?"
        prop = AWS_NAME_LIMITS[record.type][0]
        if record.type == "docker:index/image:Image":
            name = record.inputs[prop].rsplit(":", 1)[1]
        elif record.inputs.get(prop):
            name = record.inputs[prop]
        else:
            name = f"{record.name}-{'a' * (AUTONAME_LENGTH - 1)}"
        names.append((record.type, name))
    return names


def too_long_or_refused(evaluation: pulumi_mocks.Evaluation) -> list[str]:
    problems = []
    for typ, name in physical_names(evaluation):
        _, limit, pattern = AWS_NAME_LIMITS[typ]
        if len(name) > limit or not re.fullmatch(pattern, name):
            problems.append(f"{typ} {name!r} ({len(name)} > {limit} or not {pattern})")
    return problems


@pytest.mark.parametrize("stack", SHIPPED_STACKS + SERVICE_STACKS)
def test_every_shipped_stack_names_resources_within_aws_limits(stack):
    assert too_long_or_refused(evaluated(stack)) == []


def test_the_program_table_agrees_with_the_provider_limits():
    for typ, rule in naming.RULES.items():
        assert rule.max_length == AWS_NAME_LIMITS[typ][1], typ
    assert naming.IMAGE_TAG.max_length == AWS_NAME_LIMITS["docker:index/image:Image"][1]


def test_staging_load_balancer_and_target_group_names_are_shortened_to_fit():
    # The defect: `shipyard-sample-staging-alb` + 8 is 35 characters, AWS allows 32.
    staging = evaluated("staging")
    alb = staging.one("aws:lb/loadBalancer:LoadBalancer").name
    groups = sorted(group.name for group in staging.of_type("aws:lb/targetGroup:TargetGroup"))
    assert len(alb) + AUTONAME_LENGTH <= 32 and alb.endswith("-alb")
    # Blue/green's second group too.
    assert sorted(group.rsplit("-", 1)[1] for group in groups) == ["tg", "tg2"]
    assert all(len(group) + AUTONAME_LENGTH <= 32 for group in groups)
    # Names that already fit are left alone, so deployed stacks keep their resources.
    prod = evaluated("prod")
    assert prod.one("aws:lb/loadBalancer:LoadBalancer").name == "shipyard-sample-prod-alb"
    assert sorted(group.name for group in prod.of_type("aws:lb/targetGroup:TargetGroup")) == [
        "shipyard-sample-prod-tg", "shipyard-sample-prod-tg2"
    ]


def test_shortened_names_of_different_stacks_differ():
    names = {naming.load_balancer_name(f"shipyard-sample-staging-{n}") for n in range(50)}
    assert len(names) == 50


def names(alphabet: str, longest: int) -> st.SearchStrategy[str]:
    """Names of every length up to `longest` (plain text strategies favour short ones)."""
    return st.integers(1, longest).flatmap(
        lambda length: st.text(alphabet, min_size=length, max_size=length)
    )


LOWER = "abcdefghijklmnopqrstuvwxyz0123456789-"
SERVICE_NAMES = names(LOWER, 24)
# What Pulumi allows in a stack name (letters, digits, - _ . up to 100 characters), and
# more often what shipyard accepts.
STACK_NAMES = st.one_of(names(LOWER, 100), names(LOWER.upper() + LOWER + "_.", 100))


# Each example evaluates the whole program (~0.1 s); a few dozen cover the shapes.
@hypothesis_settings(
    deadline=None, max_examples=30, suppress_health_check=[HealthCheck.too_slow]
)
@given(SERVICE_NAMES, STACK_NAMES, st.sampled_from(["ecs", "ec2"]))
def test_any_service_and_stack_name_gives_valid_names_or_one_settings_error(
    service, stack, target
):
    config = {
        "aws:region": "us-east-1",
        "shipyard:serviceName": service,
        "shipyard:target": target,
        "shipyard:useDefaultVpc": True,
    }
    mocks = pulumi_mocks.RecordingMocks()
    try:
        evaluation = pulumi_mocks.evaluate(stack, config=config, mocks=mocks)
    except SettingsError as error:
        assert mocks.resources == {}
        assert all(
            problem.startswith(("shipyard:serviceName:", "stack name:"))
            for problem in error.problems
        ), error.problems
    else:
        assert too_long_or_refused(evaluation) == []
