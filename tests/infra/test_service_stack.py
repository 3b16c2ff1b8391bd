"""The service stack (stacks/Pulumi.shared.yaml): the repository, the GitHub OIDC provider,
the deploy roles and the preview role, evaluated by the real program under mocks."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from devtools import pulumi_mocks
from devtools.iam_check import allowed
from shipyard.cli.offline import key_id
from shipyard.config import naming
from shipyard.program.components.deploy_policy import UNSCOPABLE, UNSCOPABLE_WRITES

from .conftest import ECS_STACKS, SHIPPED_STACKS, evaluated, made_key_arn
from .test_stacks import LIFECYCLE, REPOSITORY, ROLE

PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
POLICY = "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ACCOUNT = pulumi_mocks.ACCOUNT
REGION = pulumi_mocks.REGION
GITHUB = "token.actions.githubusercontent.com"
DEPLOYS = {"dev": "dev", "staging": "staging", "prod": "production", "qa": "qa"}


@pytest.fixture
def shared() -> pulumi_mocks.Evaluation:
    return evaluated("shared")


def role(evaluation, name: str):
    (found,) = [r for r in evaluation.of_type(ROLE) if r.inputs["name"] == name]
    return found


def role_statements(evaluation, role_name: str) -> list[dict]:
    """Every statement of the managed policies attached to the role."""
    attached = {
        a.inputs["policyArn"].rsplit("/", 1)[-1]
        for a in evaluation.of_type(ATTACHMENT)
        if a.inputs["role"] == role_name
    }
    policies = [p for p in evaluation.of_type(POLICY) if p.inputs["name"] in attached]
    assert policies and len(attached) == len(policies)
    return [s for p in policies for s in json.loads(p.inputs["policy"])["Statement"]]


def test_the_service_stack_owns_the_repository(shared):
    repository = shared.one(REPOSITORY)
    inputs = repository.inputs
    assert inputs["name"] == "shipyard-sample"
    assert inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    # Immutable, except the environments' own build tags, which name their inputs (see
    # test_image_tags.py for why a re-push of one must not fail).
    assert inputs["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert inputs["imageTagMutabilityExclusionFilters"] == [
        {"filter": "build-*", "filterType": "WILDCARD"}
    ]
    # The service's own key (rotated, alias/<service>-images); a repository made before it
    # keeps ECR's key, since ECR fixes encryption at creation (ignore_changes).
    key = shared.resources[("aws:kms/key:Key", "shipyard-sample-images")]
    assert key.inputs["enableKeyRotation"] is True and "policy" not in key.inputs
    alias = shared.resources[("aws:kms/alias:Alias", "shipyard-sample-images")]
    assert alias.inputs["name"] == "alias/shipyard-sample-images"
    assert inputs["encryptionConfigurations"] == [{
        "encryptionType": "KMS",
        "kmsKey": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id('shipyard-sample-images')}",
    }]  # fmt: skip
    assert "encryptionConfigurations" in repository.ignore_changes
    assert repository.protect is True
    (keep,) = json.loads(shared.one(LIFECYCLE).inputs["policy"])["rules"]
    assert keep["selection"] == {
        "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 100
    }  # fmt: skip
    assert shared.outputs["repositoryName"] == "shipyard-sample"


def test_no_environment_owns_or_names_the_repository():
    for stack in SHIPPED_STACKS:
        assert evaluated(stack).of_type(REPOSITORY) == []
        assert "shipyard:imageRepository" not in pulumi_mocks.stack_config(stack)


def test_a_repository_moved_from_dev_keeps_its_state():
    # After `pulumi state move` from dev, the resources sit at the root under dev's names.
    aliases = evaluated("shared").one(REPOSITORY).aliases
    assert aliases == [("shipyard-sample-dev-repo", "root")]
    config = {**pulumi_mocks.stack_config("shared"), "shipyard:repositoryMovedFrom": ""}
    assert pulumi_mocks.evaluate("shared", config=config).one(REPOSITORY).aliases == []


def test_the_github_oidc_provider_is_created_or_an_existing_one_used(shared):
    provider = shared.one(PROVIDER).inputs
    assert provider["url"] == f"https://{GITHUB}"
    assert provider["clientIdLists"] == ["sts.amazonaws.com"]
    existing = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{GITHUB}"
    config = {**pulumi_mocks.stack_config("shared"), "shipyard:githubOidcProviderArn": existing}
    reused = pulumi_mocks.evaluate("shared", config=config)
    assert reused.of_type(PROVIDER) == []
    trust = json.loads(role(reused, "shipyard-sample-prod-deploy").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Federated": existing}


@pytest.mark.parametrize(("stack", "github_environment"), DEPLOYS.items())
def test_a_deploy_role_trusts_one_repository_and_one_github_environment(
    shared, stack, github_environment
):
    (statement,) = json.loads(
        role(shared, f"shipyard-sample-{stack}-deploy").inputs["assumeRolePolicy"]
    )["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"]["Federated"].endswith(f":oidc-provider/{GITHUB}") or (
        statement["Principal"]["Federated"].endswith("-github")  # the mock's ARN
    )
    assert statement["Condition"] == {
        "StringEquals": {
            f"{GITHUB}:aud": "sts.amazonaws.com",
            f"{GITHUB}:sub": f"repo:acme/shipyard-sample:environment:{github_environment}",
        }
    }
    assert shared.outputs["deployRoleArns"][stack].endswith(f"role/shipyard-sample-{stack}-deploy")


def test_the_preview_role_trusts_pull_requests_only(shared):
    (statement,) = json.loads(role(shared, "shipyard-sample-preview").inputs["assumeRolePolicy"])[
        "Statement"
    ]
    assert statement["Condition"]["StringEquals"][f"{GITHUB}:sub"] == (
        "repo:acme/shipyard-sample:pull_request"
    )


def wildcard_actions(statements: list[dict]) -> list[str]:
    return [a for s in statements for a in s["Action"] if "*" in a]


@pytest.mark.parametrize("stack", DEPLOYS)
def test_a_deploy_role_is_scoped_to_its_environment(shared, stack):
    prefix = f"shipyard-sample-{stack}"
    statements = role_statements(shared, f"{prefix}-deploy")
    assert wildcard_actions(statements) == []
    assert not [a for s in statements for a in s["Action"] if a.startswith("iam:") and a in (
        "iam:*", "iam:CreateUser", "iam:CreatePolicy", "iam:DeleteRolePermissionsBoundary"
    )]  # fmt: skip
    for statement in statements:
        resources = statement["Resource"]
        if statement["Effect"] == "Deny":
            continue  # denials only narrow what is allowed
        condition_keys = json.dumps(statement.get("Condition", {}))
        # A stack tag the resource already carries (not merely one it lacks: Null).
        carries_tag = "aws:ResourceTag" in json.dumps(
            statement.get("Condition", {}).get("StringEquals", {})
        )
        if "aws:RequestTag" in condition_keys and not (
            "CreateAction" in condition_keys or carries_tag
        ):
            # A tag in the request proves nothing about an existing resource: such a
            # statement may only create, never tag or change what exists, but for what AWS
            # demands to tag at creation and docs/pipeline.md lists as knowingly loose.
            tagging = {"AddTags", "TagResource", "CreateTags", "CreateOrUpdateTags",
                       "AddTagsToCertificate"}  # fmt: skip
            loose = {"acm:AddTagsToCertificate", "application-autoscaling:TagResource"}
            assert not [
                a for a in statement["Action"] if a.split(":")[1] in tagging and a not in loose
            ], statement
        if resources == ["*"]:
            # Only what AWS offers no resource or condition for, each documented, or a
            # create whose only scope is the stack tag it must carry (a certificate).
            created_tagged = f'"aws:RequestTag/shipyard:stack": "{prefix}"' in condition_keys
            assert set(statement["Action"]) <= {*UNSCOPABLE, *UNSCOPABLE_WRITES} or (
                created_tagged
            ), statement
            continue
        condition = json.dumps(statement.get("Condition", {}))
        for resource in resources:
            by_name = prefix in resource or naming.load_balancer_name(prefix) in resource or any(
                path in resource
                for path in (
                    f"/shipyard/shipyard-sample/{stack}/",  # shipyard's own parameters
                    f":parameter/shipyard-sample/{stack}/",  # the environment's secrets
                    f":secret:shipyard-sample/{stack}/",
                )
            )
            by_tag = f'"{prefix}"' in condition and "shipyard:stack" in condition
            shared_thing = resource.endswith(":repository/shipyard-sample") or (
                "ami-amazon-linux-latest" in resource or ":image/*" in resource
                # AWS's managed WAF rule groups, which a web ACL names.
                or resource.endswith(":regional/managedruleset/*/*")
                # Run Command's shell document, AWS's own; the instances it may go to are
                # the stack's (tagged) in a statement of their own.
                or resource.endswith("::document/AWS-RunShellScript")
            )
            new_instance = re.search(r":(instance|volume|network-interface)/\*$", resource)
            default_vpc = resource.endswith(":vpc/*") and statement["Action"] == [
                "ec2:CreateSecurityGroup"
            ]
            # The environment's own KMS key, which the service stack made.
            own_key = resource == made_key_arn(stack)
            # DNS: records of exactly its own domain's names, in whichever zone holds it;
            # reading zones, records and the changes it made.
            own_names = "ChangeResourceRecordSetsNormalizedRecordNames" in condition and (
                set(json.loads(condition)["ForAllValues:StringLike"][
                    "route53:ChangeResourceRecordSetsNormalizedRecordNames"])
                == {"app.example.com", "_*.app.example.com"}
            )  # fmt: skip
            dns_reads = resource in (
                "arn:aws:route53:::hostedzone/*", "arn:aws:route53:::change/*"
            ) and set(statement["Action"]) <= {
                "route53:GetHostedZone", "route53:ListResourceRecordSets",
                "route53:ListTagsForResource", "route53:GetChange",
            }  # fmt: skip
            # Service-linked roles, each named by the AWS service it is for.
            service_linked = resource.endswith(":role/aws-service-role/*") and (
                "iam:AWSServiceName" in condition
            )
            assert (
                by_name or by_tag or shared_thing or new_instance or default_vpc
                or service_linked or own_key or own_names or dns_reads
            ), (
                statement,
                resource,
            )


def test_no_role_can_change_the_pipelines_roles_or_a_roles_trust(shared):
    for stack in DEPLOYS:
        statements = role_statements(shared, f"shipyard-sample-{stack}-deploy")
        (deny,) = [s for s in statements if s["Effect"] == "Deny"]
        assert f"arn:aws:iam::{ACCOUNT}:role/shipyard-sample-*-deploy" in deny["Resource"]
        assert {"iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PassRole"} <= set(deny["Action"])
        allowed = {a for s in statements if s["Effect"] == "Allow" for a in s["Action"]}
        assert "iam:UpdateAssumeRolePolicy" not in allowed


def test_only_the_build_role_pushes_and_only_from_main(shared):
    build = role(shared, "shipyard-sample-build")
    (trust,) = json.loads(build.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Condition"]["StringEquals"][f"{GITHUB}:sub"] == (
        "repo:acme/shipyard-sample:ref:refs/heads/main"
    )
    pushes = [s for s in role_statements(shared, "shipyard-sample-build")
              if "ecr:PutImage" in s["Action"]]  # fmt: skip
    assert [s["Resource"] for s in pushes] == [
        [f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/shipyard-sample"]
    ]
    for stack in DEPLOYS:
        statements = role_statements(shared, f"shipyard-sample-{stack}-deploy")
        actions = {a for s in statements for a in s["Action"]}
        assert "ecr:PutImage" not in actions


def test_the_prices_role_reads_prices_from_main_and_nothing_more(shared):
    """`shipyard cost --refresh-prices` in .github/workflows/prices.yml: a role of its own,
    so the refresh's dependencies cannot push an image as the build role could."""
    prices = role(shared, "shipyard-sample-prices")
    (trust,) = json.loads(prices.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Condition"]["StringEquals"][f"{GITHUB}:sub"] == (
        "repo:acme/shipyard-sample:ref:refs/heads/main"
    )
    statements = role_statements(shared, "shipyard-sample-prices")
    refresh = {"aws:PrincipalAccount": ACCOUNT}
    assert allowed(statements, "pricing:GetProducts", "*", refresh)
    assert {a for s in statements for a in s["Action"]} == {"pricing:GetProducts"}
    builds = {a for s in role_statements(shared, "shipyard-sample-build") for a in s["Action"]}
    assert not [action for action in builds if action.startswith("pricing:")]


def test_an_auto_scaling_groups_creator_may_launch_and_name_its_instances_only(shared):
    """CreateAutoScalingGroup checks that its caller may run the launch template and, as the
    template tags instances, tag what it launches: at launch and nowhere else."""
    statements = role_statements(shared, "shipyard-sample-qa-deploy")
    launched = [
        f"arn:aws:ec2:{REGION}:{ACCOUNT}:{kind}/*"
        for kind in ("instance", "volume", "network-interface")
    ]
    assert {
        "Effect": "Allow",
        "Action": ["ec2:CreateTags"],
        "Resource": launched,
        "Condition": {"StringEquals": {"ec2:CreateAction": "RunInstances"}},
    } in statements
    assert any(s["Action"] == ["ec2:RunInstances"] and s["Resource"] == launched
               for s in statements)  # fmt: skip


def test_deploy_roles_pass_only_their_environments_roles_to_ecs_ec2_and_flow_logs(shared):
    statements = role_statements(shared, "shipyard-sample-prod-deploy")
    (pass_role, to_profile, to_ecs) = [s for s in statements if s["Action"] == ["iam:PassRole"]]
    assert pass_role["Resource"] == [f"arn:aws:iam::{ACCOUNT}:role/shipyard-sample-prod-*"]
    assert pass_role["Condition"] == {
        "StringEquals": {"iam:PassedToService": [
            "ecs-tasks.amazonaws.com", "ec2.amazonaws.com", "vpc-flow-logs.amazonaws.com"
        ]}
    }
    # Adding the instance role to its profile checks PassRole too, with or without the key.
    assert to_profile["Resource"] == [
        f"arn:aws:iam::{ACCOUNT}:role/shipyard-sample-prod-instance-*"
    ]
    assert to_profile["Condition"] == {
        "StringEqualsIfExists": {"iam:PassedToService": "ec2.amazonaws.com"}
    }
    # Only the role ECS moves traffic with goes to ECS itself.
    assert to_ecs["Resource"] == [f"arn:aws:iam::{ACCOUNT}:role/shipyard-sample-prod-traffic-*"]
    assert to_ecs["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ecs.amazonaws.com"}
    }
    # Roles it creates or writes policies into must carry the environment's boundary.
    (create,) = [
        s for s in statements if "iam:CreateRole" in s["Action"] and s["Effect"] == "Allow"
    ]
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/shipyard-sample-prod-boundary"
    assert create["Condition"] == {"StringEquals": {"iam:PermissionsBoundary": boundary}}
    assert "iam:PutRolePolicy" in create["Action"]


def test_the_preview_role_changes_nothing(shared):
    statements = role_statements(shared, "shipyard-sample-preview")
    assert wildcard_actions(statements) == []
    writes = re.compile(
        r":(Create|Delete|Put|Update|Modify|Register|Attach|Detach|Tag|Untag|Add|Remove|Set|"
        r"Start|Stop|Run|Authorize|Revoke|Associate|Disassociate|Pass)"
    )
    assert not [
        action for s in statements for action in s["Action"] if writes.search(action)
    ]
    # Nothing unscopable that writes either: those are the deploy roles' alone.
    assert not {a for s in statements for a in s["Action"]} & set(UNSCOPABLE_WRITES)


def test_environment_roles_carry_their_own_environments_boundary():
    for stack in SHIPPED_STACKS:
        boundary = f"arn:aws:iam::{ACCOUNT}:policy/shipyard-sample-{stack}-boundary"
        roles = evaluated(stack).of_type(ROLE)
        assert roles and all(r.inputs["permissionsBoundary"] == boundary for r in roles)
        (policy,) = [
            p
            for p in evaluated("shared").of_type(POLICY)
            if p.inputs["name"] == f"shipyard-sample-{stack}-boundary"
        ]
        statements = json.loads(policy.inputs["policy"])["Statement"]
        assert wildcard_actions(statements) == []
        by_action = {a: s for s in statements for a in s["Action"]}
        assert "iam:PassRole" not in by_action
        # Data of its own environment only: parameters, secrets, logs; decrypt only
        # through Parameter Store and Secrets Manager.
        assert all(
            f"/{stack}/" in resource
            for action in ("ssm:GetParameters", "secretsmanager:GetSecretValue")
            for resource in by_action[action]["Resource"]
        )
        log_group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/shipyard/shipyard-sample-{stack}"
        assert sorted(
            resource
            for s in statements
            if "logs:PutLogEvents" in s["Action"]
            for resource in s["Resource"]
        ) == [f"{log_group}/flow-logs", f"{log_group}/flow-logs:*", f"{log_group}:*"]
        assert "kms:ViaService" in json.dumps(by_action["kms:Decrypt"]["Condition"])
        # Moving load balancer traffic: only the role ECS does it with, only on the
        # environment's own (tagged) listeners, rules and target groups.
        traffic_role = f"arn:aws:iam::{ACCOUNT}:role/shipyard-sample-{stack}-traffic-*"
        for action in ("elasticloadbalancing:ModifyRule", "elasticloadbalancing:RegisterTargets",
                       "elasticloadbalancing:DescribeTargetHealth"):
            condition = by_action[action]["Condition"]
            assert condition["ArnLike"] == {"aws:PrincipalArn": traffic_role}, action
        assert by_action["elasticloadbalancing:ModifyRule"]["Condition"]["StringEquals"] == {
            "aws:ResourceTag/shipyard:stack": f"shipyard-sample-{stack}"
        }


@pytest.mark.parametrize(
    "backend",
    [
        {},
        # The largest documents: every role also reads its stacks' state in an S3 backend,
        # the preview role every stack's (a 63-character bucket name, the most S3 allows).
        {
            "pulumiStateBucket": "b" * 63,
            "pulumiSecretsKeyArn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/" + "0" * 36,
        },
    ],
    ids=["pulumi-cloud", "s3-backend"],
)
def test_each_policy_fits_a_managed_policy(backend):
    from shipyard.program.components.deploy_access import MANAGED_POLICY_LIMIT

    evaluation = (
        pulumi_mocks.evaluate("shared", overrides=backend) if backend else evaluated("shared")
    )
    policies = evaluation.of_type(POLICY)
    for policy in policies:
        compact = json.dumps(json.loads(policy.inputs["policy"]), separators=(",", ":"))
        assert len(compact) <= MANAGED_POLICY_LIMIT, policy.name
    # IAM's default quota of managed policies attached to one role.
    attached = Counter(a.inputs["role"] for a in evaluation.of_type(ATTACHMENT))
    assert attached and max(attached.values()) <= 10


def test_with_an_s3_backend_each_role_reads_only_its_stacks_and_previews_only_decrypt():
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/" + "1" * 36
    shared = pulumi_mocks.evaluate(
        "shared", overrides={"pulumiStateBucket": "acme-state", "pulumiSecretsKeyArn": key}
    )

    def on_key(role: str) -> set[str]:
        return {a for s in role_statements(shared, role) if key in s["Resource"]
                for a in s["Action"]}  # fmt: skip

    def state_read(role: str) -> set[str]:
        return {r for s in role_statements(shared, role) if s["Action"] == ["s3:GetObject"]
                for r in s["Resource"]}  # fmt: skip

    # Pulumi decrypts a stack's data key to load it, previews included; only updates encrypt.
    assert on_key("shipyard-sample-preview") == {"kms:Decrypt"}
    assert on_key("shipyard-sample-prod-deploy") == {
        "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"
    }  # fmt: skip
    prod = state_read("shipyard-sample-prod-deploy")
    assert "arn:aws:s3:::acme-state/.pulumi/stacks/shipyard/prod.json" in prod
    assert not [r for r in prod if "/shipyard/dev" in r or "/shipyard/staging" in r]
    assert "arn:aws:s3:::acme-state/.pulumi/stacks/shipyard/dev.json" in state_read(
        "shipyard-sample-preview"
    )


def test_the_service_stack_does_not_change_when_an_environment_goes():
    """Destroying an environment leaves the service stack's preview empty: nothing of it
    depends on an environment's state, only on its stack file being listed."""
    before = pulumi_mocks.evaluate("shared").inputs_by_key()
    for stack in ECS_STACKS:  # environments come and go around it
        pulumi_mocks.evaluate(stack)
    after = pulumi_mocks.evaluate("shared").inputs_by_key()
    assert before == after


@pytest.mark.parametrize("stack", ("dev", "staging", "prod", "qa"))
def test_each_environment_gets_its_own_rotated_key_and_only_its_deploy_role_uses_it(
    shared, stack
):
    key = shared.resources[("aws:kms/key:Key", f"shipyard-sample-{stack}-key")]
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    account, region = pulumi_mocks.ACCOUNT, pulumi_mocks.REGION
    assert statements["AccountAdministersThroughIam"]["Principal"] == {
        "AWS": f"arn:aws:iam::{account}:root"
    }
    # CloudWatch Logs, in this region, for this environment's log groups only.
    logs = statements["LogsOfThisEnvironment"]
    assert logs["Principal"] == {"Service": f"logs.{region}.amazonaws.com"}
    group = f"arn:aws:logs:{region}:{account}:log-group:/shipyard/shipyard-sample-{stack}"
    waf_group = f"arn:aws:logs:{region}:{account}:log-group:aws-waf-logs-shipyard-sample-{stack}"
    assert logs["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": [group, f"{group}/*", waf_group]}
    }
    alarms = statements["AlarmsPublishToTheEncryptedTopic"]
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert alarms["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert "Condition" not in alarms  # as AWS documents it (environment_key.py says why)
    alias = shared.resources[("aws:kms/alias:Alias", f"shipyard-sample-{stack}-key")]
    assert alias.inputs["name"] == f"alias/shipyard-sample-{stack}"
    for other in ("dev", "staging", "prod", "qa"):
        statements = role_statements(shared, f"shipyard-sample-{other}-deploy")
        uses = [s for s in statements if made_key_arn(stack) in s["Resource"]]
        if other != stack:
            assert uses == []
            continue
        assert {tuple(s["Action"]) for s in uses} == {
            ("kms:DescribeKey",), ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")
        }
        (use,) = [s for s in uses if "kms:Decrypt" in s["Action"]]
        assert use["Condition"] == {
            "StringEquals": {"kms:ViaService": f"ssm.{pulumi_mocks.REGION}.amazonaws.com"}
        }
    # No deploy role creates, tags or deletes keys: that is the service stack's.
    for other in ("dev", "staging", "prod", "qa"):
        actions = {a for s in role_statements(shared, f"shipyard-sample-{other}-deploy")
                   for a in s["Action"]}  # fmt: skip
        assert not actions & {"kms:CreateKey", "kms:TagResource", "kms:ScheduleKeyDeletion"}


def test_the_preview_role_reads_release_records_but_no_parameter_a_secret_could_be(shared):
    statements = role_statements(shared, "shipyard-sample-preview")
    readable = sorted(
        resource
        for statement in statements
        if {"ssm:GetParameter", "ssm:GetParameters"} & set(statement["Action"])
        for resource in statement["Resource"]
    )
    assert readable == [
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/shipyard/shipyard-sample/*/release",
        f"arn:aws:ssm:{REGION}::parameter/aws/service/ami-amazon-linux-latest/*",
    ]
    assert not [s for s in statements if "secretsmanager:GetSecretValue" in s["Action"]]


def test_a_deploy_role_runs_only_its_own_environments_task_definitions(shared):
    statements = role_statements(shared, "shipyard-sample-staging-deploy")
    (create,) = [s for s in statements if "ecs:CreateService" in s["Action"]]
    assert create["Action"] == ["ecs:CreateService", "ecs:UpdateService"]
    assert create["Condition"] == {"ArnLikeIfExists": {"ecs:task-definition":
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/shipyard-sample-staging:*"}}  # fmt: skip
