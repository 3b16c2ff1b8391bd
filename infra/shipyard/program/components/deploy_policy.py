"""What the pipeline's roles may do, as data: one deploy role per environment, one preview
role, the build role and the prices role.

A deploy role may run `pulumi up`, `refresh` and `destroy` of exactly one environment, whose
resources are named `<service>-<env>...` and tagged `shipyard:stack = <service>-<env>`
(program/tagging.py). Permissions are scoped by name where the resource's ARN holds one (ECS, Auto
Scaling groups, IAM, log groups, alarms, SSM parameters), and by tag where it holds a
generated ID (EC2, Application Auto Scaling, load balancers, whose names may be shortened).
What AWS cannot scope at all is in UNSCOPABLE (reads, every role) and UNSCOPABLE_WRITES (the
deploy roles only), each with why (docs/pipeline.md lists them).
No statement has a wildcard action, and none touches IAM beyond the environment's own roles,
which must carry the service's permissions boundary.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

from shipyard.config import naming
from shipyard.program import strategies
from shipyard.program.components.edge_policy import (
    S3_BUCKET_READS,
    access_log_statements,
    domain_statements,
    waf_log_group_arns,
    web_acl_statements,
)
from shipyard.program.components.iam import SSM_CORE_POLICY, allow, image_pull_and_log_statements
from shipyard.program.components.policy_scope import (
    Scope,
    created_with_tag,
    keeps_stack_tag,
    new_resource,
    tagged,
)

# Actions AWS offers no resource type or condition to scope by, and why.
UNSCOPABLE: dict[str, str] = {
    **{
        f"ec2:{action}": "EC2 Describe calls have no resource-level permissions"
        for action in (
            "DescribeAccountAttributes", "DescribeAddresses", "DescribeAddressesAttribute",
            "DescribeAvailabilityZones", "DescribeFlowLogs", "DescribeImages", "DescribeInstances",
            "DescribeInternetGateways", "DescribeLaunchTemplateVersions",
            "DescribeLaunchTemplates", "DescribeNatGateways", "DescribeNetworkAcls",
            "DescribeNetworkInterfaces", "DescribeRouteTables", "DescribeSecurityGroupRules",
            "DescribeSecurityGroups", "DescribeSubnets", "DescribeVpcAttribute", "DescribeVpcs",
        )
    },
    **{
        f"elasticloadbalancing:{action}": "Elastic Load Balancing Describe calls have no "
        "resource-level permissions"
        for action in (
            "DescribeCapacityReservation", "DescribeListenerAttributes", "DescribeListeners",
            "DescribeLoadBalancerAttributes", "DescribeLoadBalancers", "DescribeRules",
            "DescribeTags", "DescribeTargetGroupAttributes", "DescribeTargetGroups",
            "DescribeTargetHealth",
        )
    },
    **{
        f"autoscaling:{action}": "Auto Scaling Describe calls have no resource-level permissions"
        for action in (
            "DescribeAutoScalingGroups", "DescribeInstanceRefreshes", "DescribeLifecycleHooks",
            "DescribePolicies", "DescribeScalingActivities",
        )
    },
    **{
        f"application-autoscaling:{action}": "Application Auto Scaling Describe calls have no "
        "resource-level permissions"
        for action in ("DescribeScalableTargets", "DescribeScalingPolicies")
    },
    "ecs:DescribeTaskDefinition": "task definition reads take no resource",
    "logs:DescribeLogGroups": "a list call with no resource type",
    "ssm:DescribeParameters": "a list call with no resource type",
    "sns:GetSubscriptionAttributes": "SNS offers no resource type for a subscription's own "
    "calls",
    "route53:ListHostedZones": "a list call with no resource type (finding a zone by name)",
    "route53:ListHostedZonesByName": "a list call with no resource type",
    "ecr:GetAuthorizationToken": "the token is for the whole registry",
}  # fmt: skip
# The same, for calls that change something: the deploy roles' only, never the preview's.
UNSCOPABLE_WRITES: dict[str, str] = {
    "ecs:DeregisterTaskDefinition": "ECS offers no resource or condition for it: the role can "
    "deregister any family's revision (running tasks keep running)",
    **{
        f"sns:{action}": "SNS offers no resource type for a subscription's own calls"
        for action in ("SetSubscriptionAttributes", "Unsubscribe")
    },
    # Deploy roles only: what their pre-deploy command on EC2 waits on.
    "ssm:GetCommandInvocation": "Run Command's invocation reads take no resource",
    "elasticloadbalancing:SetWebAcl": "a permission-only action with no resource type or "
    "condition key; WAF checks it with wafv2:AssociateWebACL, which names the web ACL and the "
    "load balancer (both scoped)",
    **{
        f"logs:{action}": "WAF logging to CloudWatch Logs: no resource type (CloudWatch Logs "
        "asks for these on *); WAF writes the log group's resource policy with them"
        for action in ("CreateLogDelivery", "DeleteLogDelivery", "DescribeResourcePolicies",
                       "PutResourcePolicy")
    },
}  # fmt: skip
ECR_PUSH = (
    "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
    "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:GetDownloadUrlForLayer",
    "ecr:InitiateLayerUpload", "ecr:ListTagsForResource", "ecr:PutImage", "ecr:UploadLayerPart",
)  # fmt: skip
ECR_READ = (
    "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:ListTagsForResource",
)  # fmt: skip
# The managed policies a deploy may detach from an environment's role: turning Session
# Manager off, or going back to rolling deployments.
DETACHABLE_POLICIES = [SSM_CORE_POLICY, strategies.ECS_LOAD_BALANCERS_POLICY]
# What AmazonECSInfrastructureRolePolicyForLoadBalancers grants, which the boundary caps.
ECS_TRAFFIC_ACTIONS = [
    "elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:ModifyRule", "elasticloadbalancing:RegisterTargets",
]  # fmt: skip
ECS_TRAFFIC_READS = [
    "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth",
]  # fmt: skip
PASSED_TO = ["ecs-tasks.amazonaws.com", "ec2.amazonaws.com", "vpc-flow-logs.amazonaws.com"]


def traffic_roles(scope: Scope) -> str:
    """The role ECS moves the environment's traffic with (ecs_service.py's `-traffic`)."""
    return f"arn:aws:iam::{scope.account}:role/{scope.prefix}-traffic-*"


def instance_roles(scope: Scope) -> str:
    """The EC2 instance role (ec2_service.py's `-instance`), the only one in a profile."""
    return f"arn:aws:iam::{scope.account}:role/{scope.prefix}-instance-*"


def read_everywhere() -> dict[str, Any]:
    return allow(sorted(UNSCOPABLE), ["*"])


def write_everywhere() -> dict[str, Any]:
    return allow(sorted(UNSCOPABLE_WRITES), ["*"])


def ecs_statements(scope: Scope) -> list[dict[str, Any]]:
    cluster = scope.arn("ecs", f"cluster/{scope.prefix}")
    service = scope.arn("ecs", f"service/{scope.prefix}/{scope.prefix}")
    deployments = scope.arn("ecs", f"service-deployment/{scope.prefix}/{scope.prefix}/*")
    families = scope.arn("ecs", f"task-definition/{scope.prefix}:*")
    # `shipyard run --image`: a revision of the environment's own one-off family (an
    # underscore, which no stack name has, so no other environment's family matches).
    one_off = scope.arn("ecs", f"task-definition/{scope.prefix}_run:*")
    tasks = scope.arn("ecs", f"task/{scope.prefix}/*")
    return [
        allow(
            ["ecs:CreateCluster", "ecs:DeleteCluster", "ecs:DescribeClusters",
             "ecs:UpdateCluster", "ecs:UpdateClusterSettings"],
            [cluster],
        ),
        allow(["ecs:DeleteService", "ecs:DescribeServices"], [service]),
        # Only the environment's own task definitions: another environment's would bring
        # its execution role, and with it that environment's secrets. IfExists: an update
        # that names none (a new deployment of the same one, `shipyard restart`) passes.
        allow(["ecs:CreateService", "ecs:UpdateService"], [service],
              {"ArnLikeIfExists": {"ecs:task-definition": families}}),
        # Each is authorised against the service and the deployment (or revision) alike.
        allow(
            ["ecs:DescribeServiceDeployments", "ecs:StopServiceDeployment"],
            [service, deployments],
        ),
        allow(["ecs:ListServiceDeployments"], [service]),
        # `shipyard rollback` reads which image the revision it returns to runs.
        allow(["ecs:DescribeServiceRevisions"],
              [service,
               scope.arn("ecs", f"service-revision/{scope.prefix}/{scope.prefix}/*")]),
        allow(["ecs:RegisterTaskDefinition"], [families, one_off]),
        # One-off tasks of the environment's own task definitions, in its own cluster: the
        # pre-deploy command inside `pulumi up`, and `shipyard run`.
        allow(["ecs:RunTask"], [families, one_off], {"ArnEquals": {"ecs:cluster": cluster}}),
        allow(["ecs:DescribeTasks", "ecs:StopTask"], [tasks]),
        allow(
            ["ecs:ListTagsForResource", "ecs:TagResource", "ecs:UntagResource"],
            [cluster, service, families],
        ),
    ]  # fmt: skip


def autoscaling_statements(scope: Scope) -> list[dict[str, Any]]:
    group = naming.auto_scaling_group_arn(scope.region, scope.account, scope.prefix)
    targets = scope.arn("application-autoscaling", "scalable-target/*")
    return [
        allow(
            ["autoscaling:AttachLoadBalancerTargetGroups", "autoscaling:CancelInstanceRefresh",
             "autoscaling:CreateAutoScalingGroup", "autoscaling:CreateOrUpdateTags",
             "autoscaling:DeleteAutoScalingGroup", "autoscaling:DeleteLifecycleHook",
             "autoscaling:DeletePolicy", "autoscaling:DeleteTags",
             "autoscaling:DetachLoadBalancerTargetGroups", "autoscaling:PutLifecycleHook",
             "autoscaling:PutScalingPolicy", "autoscaling:StartInstanceRefresh",
             "autoscaling:UpdateAutoScalingGroup"],
            [group],
        ),
        # ECS service autoscaling: the scalable target's ID is generated, so by tag: a new
        # one with the stack's tag, and after that only those that carry it.
        allow(["application-autoscaling:RegisterScalableTarget",
               "application-autoscaling:TagResource"], [targets], new_resource(scope)),
        allow(
            ["application-autoscaling:DeleteScalingPolicy",
             "application-autoscaling:DeregisterScalableTarget",
             "application-autoscaling:ListTagsForResource",
             "application-autoscaling:PutScalingPolicy",
             "application-autoscaling:RegisterScalableTarget"],
            [targets],
            tagged(scope),
        ),
        allow(["application-autoscaling:TagResource", "application-autoscaling:UntagResource"],
              [targets], keeps_stack_tag(scope)),
    ]  # fmt: skip


def load_balancer_statements(scope: Scope) -> list[dict[str, Any]]:
    balancers = scope.arn("elasticloadbalancing", "loadbalancer/app/*/*")
    groups = scope.arn("elasticloadbalancing", "targetgroup/*/*")
    listeners = scope.arn("elasticloadbalancing", "listener/app/*/*/*")
    rules = scope.arn("elasticloadbalancing", "listener-rule/app/*/*/*/*")
    creates = ("elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup",
               "elasticloadbalancing:CreateListener", "elasticloadbalancing:CreateRule")
    return [
        allow(
            ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
            [balancers, groups],
            tagged(scope, request=True),
        ),
        # Listeners and rules are authorised against the load balancer and target groups
        # they join: the stack's own.
        allow(["elasticloadbalancing:CreateListener", "elasticloadbalancing:CreateRule"],
              [balancers, listeners, groups], tagged(scope)),
        allow(["elasticloadbalancing:AddTags"], [balancers, groups, listeners, rules],
              created_with_tag(scope, "elasticloadbalancing:CreateAction", creates)),
        allow(["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
              [balancers, groups, listeners, rules], keeps_stack_tag(scope)),
        allow(
            ["elasticloadbalancing:DeleteListener",
             "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:DeleteRule",
             "elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:ModifyListener",
             "elasticloadbalancing:ModifyListenerAttributes",
             "elasticloadbalancing:ModifyLoadBalancerAttributes",
             "elasticloadbalancing:ModifyRule", "elasticloadbalancing:ModifyTargetGroup",
             "elasticloadbalancing:ModifyTargetGroupAttributes",
             "elasticloadbalancing:SetIpAddressType",
             "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets"],
            [balancers, groups, listeners, rules],
            tagged(scope),
        ),
    ]  # fmt: skip


# Each create, with the resource it makes (which must carry the stack's tag in the request)
# and the existing ones it touches (which must carry it already; "" for no condition).
EC2_CREATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "ec2:CreateVpc": ("vpc", ()),
    "ec2:CreateSubnet": ("subnet", ("vpc",)),
    "ec2:CreateRouteTable": ("route-table", ("vpc",)),
    "ec2:CreateInternetGateway": ("internet-gateway", ()),
    "ec2:AllocateAddress": ("elastic-ip", ()),
    "ec2:CreateNatGateway": ("natgateway", ("subnet", "elastic-ip")),
    "ec2:CreateLaunchTemplate": ("launch-template", ()),
    "ec2:CreateFlowLogs": ("vpc-flow-log", ("vpc",)),
    # Security groups may also go into the default VPC, which carries no stack tag.
    "ec2:CreateSecurityGroup": ("security-group", ("",)),
    "ec2:AuthorizeSecurityGroupIngress": ("security-group-rule", ("security-group",)),
    "ec2:AuthorizeSecurityGroupEgress": ("security-group-rule", ("security-group",)),
}
EC2_CHANGES = (
    "ec2:AssociateRouteTable", "ec2:AttachInternetGateway",
    "ec2:CreateLaunchTemplateVersion", "ec2:CreateRoute",
    "ec2:DeleteFlowLogs", "ec2:DeleteInternetGateway", "ec2:DeleteLaunchTemplate",
    "ec2:DeleteLaunchTemplateVersions", "ec2:DeleteNatGateway", "ec2:DeleteRoute",
    "ec2:DeleteRouteTable", "ec2:DeleteSecurityGroup", "ec2:DeleteSubnet",
    "ec2:DeleteVpc", "ec2:DetachInternetGateway", "ec2:DisassociateAddress",
    "ec2:DisassociateRouteTable", "ec2:ModifyLaunchTemplate", "ec2:ModifySecurityGroupRules",
    "ec2:ModifySubnetAttribute", "ec2:ModifyVpcAttribute", "ec2:ReleaseAddress",
    "ec2:ReplaceRoute", "ec2:ReplaceRouteTableAssociation", "ec2:RevokeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress", "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
    "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
)  # fmt: skip
EC2_TAGGED_KINDS = (
    "vpc", "subnet", "internet-gateway", "route-table", "elastic-ip", "natgateway",
    "security-group", "security-group-rule", "launch-template", "vpc-flow-log",
)  # fmt: skip


def run_command_statements(scope: Scope) -> list[dict[str, Any]]:
    """One-off commands on the environment's own instances through SSM Run Command (the
    pre-deploy command on EC2, `shipyard run`): the shell document AWS owns, on instances
    carrying the stack tag (the group's, propagated at launch)."""
    document = scope.arn("ssm", "document/AWS-RunShellScript", account=False)
    return [
        allow(["ssm:SendCommand"], [document]),
        allow(["ssm:SendCommand"], [scope.arn("ec2", "instance/*")], tagged(scope)),
    ]


def ec2_statements(scope: Scope) -> list[dict[str, Any]]:
    every = [scope.arn("ec2", f"{kind}/*") for kind in EC2_TAGGED_KINDS]
    statements = []
    for action, (made, touched) in sorted(EC2_CREATES.items()):
        # What it makes: only with the stack's tag in the request.
        statements.append(allow([action], [scope.arn("ec2", f"{made}/*")],
                                tagged(scope, request=True)))
        for kind in touched:
            if kind:  # what it builds on: only the stack's own
                statements.append(allow([action], [scope.arn("ec2", f"{kind}/*")], tagged(scope)))
            else:
                statements.append(allow([action], [scope.arn("ec2", "vpc/*")]))
    return [
        *statements,
        allow(["ec2:CreateTags"], every,
              created_with_tag(scope, "ec2:CreateAction", list(EC2_CREATES))),
        # Everything else only on what carries the stack's tag; its tags, but that one.
        allow(EC2_CHANGES, every, tagged(scope)),
        allow(["ec2:CreateTags", "ec2:DeleteTags"], every, keeps_stack_tag(scope)),
        # An Auto Scaling group checks that its creator may launch its template, and tag
        # what it launches when the template has tag specifications (ours names instances).
        allow(
            ["ec2:RunInstances"],
            [scope.arn("ec2", f"{kind}/*") for kind in (
                "instance", "volume", "network-interface")],
        ),
        allow(
            ["ec2:CreateTags"],
            [scope.arn("ec2", f"{kind}/*") for kind in (
                "instance", "volume", "network-interface")],
            {"StringEquals": {"ec2:CreateAction": "RunInstances"}},
        ),
        allow(["ec2:RunInstances"],
              [scope.arn("ec2", f"{kind}/*") for kind in (
                  "subnet", "security-group", "launch-template")],
              tagged(scope)),
        allow(["ec2:RunInstances"], [scope.arn("ec2", "image/*", account=False)],
              {"StringEquals": {"ec2:Owner": "amazon"}}),
    ]  # fmt: skip


SERVICE_LINKED = [
    "ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com", "autoscaling.amazonaws.com",
    "ecs.application-autoscaling.amazonaws.com",
]  # fmt: skip


IAM_BOUNDED = (
    "iam:AttachRolePolicy", "iam:CreateRole", "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
)  # fmt: skip
# No UpdateAssumeRolePolicy: a role's trust (ECS tasks, EC2) never changes in a deploy, and
# being able to change it would let a deploy open an environment's role to anyone.
IAM_ROLE_CHANGES = (
    "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:GetRole",
    "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
    "iam:ListRolePolicies", "iam:PassRole", "iam:TagRole", "iam:UntagRole", "iam:UpdateRole",
)  # fmt: skip
IAM_ROLE_ACTIONS = (*IAM_BOUNDED, *IAM_ROLE_CHANGES)


def iam_statements(scope: Scope) -> list[dict[str, Any]]:
    roles = f"arn:aws:iam::{scope.account}:role/{scope.prefix}-*"
    profiles = f"arn:aws:iam::{scope.account}:instance-profile/{scope.prefix}-*"
    bounded = {"StringEquals": {"iam:PermissionsBoundary": scope.boundary_arn}}
    # The pipeline's own roles match no environment's pattern by design, but a role named
    # like one must never change them: their trust is what keeps deploys behind GitHub.
    pipeline_roles = [
        f"arn:aws:iam::{scope.account}:role/{name}"
        for name in (
            naming.deploy_role_name(scope.service, "*"),
            naming.preview_role_name(scope.service),
            naming.build_role_name(scope.service),
            naming.prices_role_name(scope.service),
        )
    ]
    return [
        {
            "Effect": "Deny",
            "Action": sorted(IAM_ROLE_ACTIONS),
            "Resource": pipeline_roles,
        },
        # Roles it creates or changes carry the environment's permissions boundary, so no
        # role of the environment can ever do more than the boundary allows.
        allow(IAM_BOUNDED, [roles], bounded),
        allow(["iam:DetachRolePolicy"], [roles],
              {"ArnEquals": {"iam:PolicyARN": DETACHABLE_POLICIES}}),
        allow(
            [action for action in IAM_ROLE_CHANGES
             if action not in ("iam:DetachRolePolicy", "iam:PassRole")],
            [roles],
        ),
        allow(
            ["iam:AddRoleToInstanceProfile", "iam:CreateInstanceProfile",
             "iam:DeleteInstanceProfile", "iam:GetInstanceProfile",
             "iam:RemoveRoleFromInstanceProfile", "iam:TagInstanceProfile",
             "iam:UntagInstanceProfile"],
            [profiles],
        ),
        allow(["iam:PassRole"], [roles], {"StringEquals": {"iam:PassedToService": PASSED_TO}}),
        # AddRoleToInstanceProfile checks PassRole on the instance role, and AWS does not say
        # whether that request carries iam:PassedToService: where it does, it must be EC2.
        allow(["iam:PassRole"], [instance_roles(scope)],
              {"StringEqualsIfExists": {"iam:PassedToService": "ec2.amazonaws.com"}}),
        # Only the traffic role goes to ECS itself, which moves the load balancer's traffic.
        allow(["iam:PassRole"], [traffic_roles(scope)],
              {"StringEquals": {"iam:PassedToService": "ecs.amazonaws.com"}}),
        # A fresh account has none of the roles these services act with.
        allow(["iam:CreateServiceLinkedRole"],
              [f"arn:aws:iam::{scope.account}:role/aws-service-role/*"],
              {"StringEquals": {"iam:AWSServiceName": SERVICE_LINKED}}),
    ]  # fmt: skip


def observability_statements(scope: Scope) -> list[dict[str, Any]]:
    log_group = scope.arn("logs", f"log-group:{naming.log_group_name(scope.prefix)}")
    flow_logs = scope.arn("logs", f"log-group:{naming.flow_log_group_name(scope.prefix)}")
    topic = scope.arn("sns", naming.alarm_topic_name(scope.prefix))
    return [
        allow(
            ["logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:DeleteLogGroup",
             "logs:DeleteRetentionPolicy", "logs:DisassociateKmsKey",
             "logs:ListTagsForResource", "logs:ListTagsLogGroup", "logs:PutRetentionPolicy",
             "logs:TagLogGroup", "logs:TagResource", "logs:UntagLogGroup",
             "logs:UntagResource"],
            [log_group, f"{log_group}:*", flow_logs, f"{flow_logs}:*",
             *waf_log_group_arns(scope)],
        ),
        allow(
            ["sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes",
             "sns:ListSubscriptionsByTopic", "sns:ListTagsForResource",
             "sns:SetTopicAttributes", "sns:Subscribe", "sns:TagResource",
             "sns:UntagResource"],
            [topic],
        ),

        # CloudWatch Logs authorises these against the log group: with and without `:*`.
        allow(["logs:DescribeLogStreams", "logs:FilterLogEvents"], [log_group, f"{log_group}:*"]),
        # A one-off task's output (the pre-deploy command's last lines, `shipyard run`).
        allow(["logs:GetLogEvents"], [f"{log_group}:log-stream:*"]),
        allow(
            ["cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms",
             "cloudwatch:ListTagsForResource", "cloudwatch:PutMetricAlarm",
             "cloudwatch:TagResource", "cloudwatch:UntagResource"],
            [scope.arn("cloudwatch", f"alarm:{scope.prefix}-*"),
             # The alarms target tracking makes, checked against the caller too.
             scope.arn("cloudwatch",
                       f"alarm:TargetTracking-service/{scope.prefix}/{scope.prefix}-*"),
             scope.arn("cloudwatch", f"alarm:TargetTracking-{scope.prefix}-*")],
        ),
    ]  # fmt: skip


def readable_parameters(scope: Scope) -> list[str]:
    """The environment's own parameters: shipyard's (the release record) and its secrets."""
    return [
        scope.arn("ssm", f"parameter{path}/*")
        for path in (
            naming.parameter_path(scope.service, scope.environment),
            naming.secret_parameter_path(scope.service, scope.environment),
        )
    ]


def readable_secrets(scope: Scope) -> str:
    prefix = naming.secret_name_prefix(scope.service, scope.environment)
    return scope.arn("secretsmanager", f"secret:{prefix}*")


def parameter_statements(scope: Scope) -> list[dict[str, Any]]:
    return [
        allow(
            ["ssm:AddTagsToResource", "ssm:DeleteParameter", "ssm:GetParameter",
             "ssm:GetParameters", "ssm:ListTagsForResource", "ssm:PutParameter",
             "ssm:RemoveTagsFromResource"],
            readable_parameters(scope),
        ),
        allow(["ssm:GetParameter"], [public_ami_parameters(scope)]),
        # shipyard preview and deploy check that each referenced secret exists.
        allow(["secretsmanager:DescribeSecret"], [readable_secrets(scope)]),
    ]  # fmt: skip


def environment_key_statements(scope: Scope) -> list[dict[str, Any]]:
    """The environment's own key (the service stack made it): found by its alias, and used
    only through Parameter Store, which writes and reads the SecureString parameters with
    it. Managing keys is not the deploy role's: see environment_key.py."""
    if scope.environment_key_arn is None:
        return []
    return [
        allow(["kms:DescribeKey"], [scope.environment_key_arn]),
        allow(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], [scope.environment_key_arn],
              {"StringEquals": {"kms:ViaService": f"ssm.{scope.region}.amazonaws.com"}}),
    ]  # fmt: skip


def public_ami_parameters(scope: Scope) -> str:
    return scope.arn("ssm", "parameter/aws/service/ami-amazon-linux-latest/*", account=False)


def backend_statements(scope: Scope, stacks: list[str], write: bool) -> list[dict[str, Any]]:
    """A self-managed Pulumi backend in S3 and an awskms secrets provider, where configured.

    Objects of a stack sit under .pulumi/<kind>/[organization/]<project>/<stack>...; a role
    writes only its own stacks' objects (and locks), and reads the rest of the backend.
    """
    statements = []
    if scope.state_bucket:
        bucket = f"arn:aws:s3:::{scope.state_bucket}"
        statements.append(allow(["s3:GetObject"], [f"{bucket}/.pulumi/meta.yaml"]))
        statements.append(
            allow(["s3:ListBucket"], [bucket], {"StringLike": {"s3:prefix": [".pulumi/*"]}})
        )
        # One statement per stack, so that a role of many stacks (the preview role) can be
        # split over several managed policies of at most 6,144 characters each.
        for stack in stacks:
            owned = [
                f"{bucket}/.pulumi/{area}/{organization}shipyard/{stack}{suffix}"
                for area in ("stacks", "history", "backups", "locks")
                for organization in ("", "organization/")
                for suffix in (".json", ".json.*", "/*")
            ]
            # Its own stacks' state only: another environment's holds its secrets.
            statements.append(allow(["s3:GetObject"], owned))
            locks = [path for path in owned if "/.pulumi/locks/" in path]
            statements.append(
                allow(["s3:DeleteObject", "s3:PutObject"], owned if write else locks)
            )
    if scope.secrets_key_arn:
        # Pulumi decrypts a stack's data key whenever it loads the stack, a preview's too, so
        # previews need Decrypt; only updates encrypt. (Forks' pull requests get no OIDC
        # token, so only this repository's branches can assume the preview role.)
        actions = ["kms:Decrypt"]
        if write:
            actions += ["kms:Encrypt", "kms:GenerateDataKey"]
        statements.append(allow(actions, [scope.secrets_key_arn]))
    return statements


def deploy_statements(scope: Scope) -> list[dict[str, Any]]:
    """Everything `pulumi up`, `refresh` and `destroy` of one environment need, and shipyard's
    own reads (status, releases, the rollout waits)."""
    return [
        read_everywhere(),
        write_everywhere(),
        # Deploys go by digest: pushing is the build role's alone.
        allow([*ECR_READ, "ecr:BatchGetImage"], [scope.repository_arn]),
        *ecs_statements(scope),
        *autoscaling_statements(scope),
        *run_command_statements(scope),
        *load_balancer_statements(scope),
        *ec2_statements(scope),
        *iam_statements(scope),
        *observability_statements(scope),
        *parameter_statements(scope),
        *environment_key_statements(scope),
        *domain_statements(scope),
        *access_log_statements(scope),
        *web_acl_statements(scope),
        *backend_statements(scope, [scope.environment], write=True),
    ]


def build_statements(scope: Scope) -> list[dict[str, Any]]:
    """Push the commit's image to the service's repository; nothing else."""
    return [
        allow(["ecr:GetAuthorizationToken"], ["*"]),
        allow(ECR_PUSH, [scope.repository_arn]),
    ]


def prices_statements() -> list[dict[str, Any]]:
    """Read AWS's public prices, for the monthly refresh (.github/workflows/prices.yml): a
    role of its own, so that the refresh's dependencies can do nothing else with it."""
    # The Price List API has no resource types and no condition keys.
    return [allow(["pricing:GetProducts"], ["*"])]


def preview_statements(
    scope: Scope, environments: list[str], key_arns: Sequence[pulumi.Input[str]] = ()
) -> list[dict[str, Any]]:
    """What `pulumi preview` of every environment reads; it changes nothing in AWS."""
    service = scope.service
    # The program finds each environment's key by its alias (no use of it).
    keys = [allow(["kms:DescribeKey"], list(key_arns))] if key_arns else []
    return [
        *keys,
        read_everywhere(),
        allow(ECR_READ, [scope.repository_arn]),
        allow(["ecs:DescribeClusters", "ecs:DescribeServices", "ecs:ListTagsForResource"],
              [scope.arn("ecs", f"cluster/{service}-*"),
               scope.arn("ecs", f"service/{service}-*/*"),
               scope.arn("ecs", f"task-definition/{service}-*:*")]),
        allow(["application-autoscaling:ListTagsForResource"],
              [scope.arn("application-autoscaling", "scalable-target/*")]),
        allow(["iam:GetInstanceProfile", "iam:GetRole", "iam:GetRolePolicy",
               "iam:ListAttachedRolePolicies", "iam:ListRolePolicies"],
              [f"arn:aws:iam::{scope.account}:role/{service}-*",
               f"arn:aws:iam::{scope.account}:instance-profile/{service}-*"]),
        allow(["logs:ListTagsForResource", "logs:ListTagsLogGroup"],
              [scope.arn("logs", f"log-group:{naming.log_group_name(f'{service}-*')}"),
               scope.arn("logs", f"log-group:{naming.waf_log_group_name(f'{service}-*')}")]),
        allow(["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"],
              [scope.arn("cloudwatch", f"alarm:{service}-*")]),
        allow(["sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic",
               "sns:ListTagsForResource"],
              [scope.arn("sns", naming.alarm_topic_name(f"{service}-*"))]),
        # The release records only: nothing under a path secrets may live.
        allow(["ssm:GetParameter", "ssm:ListTagsForResource"],
              [scope.arn("ssm", f"parameter{naming.release_parameter_name(service, '*')}"),
               public_ami_parameters(scope)]),
        allow(list(S3_BUCKET_READS),
              [f"arn:aws:s3:::{naming.access_log_bucket_name(f'{service}-*')}-*"]),
        allow(["wafv2:GetWebACL", "wafv2:GetLoggingConfiguration",
               "wafv2:ListTagsForResource"],
              [scope.arn("wafv2", f"regional/webacl/{service}-*-waf/*")]),
        # Authorised against the web ACL and the load balancer alike.
        allow(["wafv2:GetWebACLForResource"],
              [scope.arn("wafv2", f"regional/webacl/{service}-*-waf/*"),
               scope.arn("elasticloadbalancing", f"loadbalancer/app/{service}-*")]),
        allow(["elasticloadbalancing:GetLoadBalancerWebACL"],
              [scope.arn("elasticloadbalancing", f"loadbalancer/app/{service}-*")]),
        # Each environment's domain: its zone, records and certificate (reads only).
        allow(["route53:GetHostedZone", "route53:ListResourceRecordSets",
               "route53:ListTagsForResource"], ["arn:aws:route53:::hostedzone/*"]),
        allow(["acm:DescribeCertificate", "acm:ListTagsForCertificate"],
              [scope.arn("acm", "certificate/*")]),
        # shipyard preview checks that every referenced secret exists, reading metadata
        # only (ssm:DescribeParameters, in read_everywhere; DescribeSecret), never a value.
        allow(["secretsmanager:DescribeSecret"],
              [scope.arn("secretsmanager",
                         f"secret:{naming.secret_name_prefix(service, '*')}*")]),
        *backend_statements(scope, environments, write=False),
    ]  # fmt: skip


# The Systems Manager agent (Session Manager), as AmazonSSMManagedInstanceCore grants it:
# messages about the instance itself, none about another environment's data.
SSM_AGENT_ACTIONS = (
    "ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage",
    "ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply",
    "ssm:DescribeAssociation", "ssm:DescribeDocument",
    "ssm:GetDeployablePatchSnapshotForInstance", "ssm:GetDocument", "ssm:GetManifest",
    "ssm:ListAssociations", "ssm:ListInstanceAssociations", "ssm:PutComplianceItems",
    "ssm:PutConfigurePackageResult", "ssm:PutInventory", "ssm:UpdateAssociationStatus",
    "ssm:UpdateInstanceAssociationStatus", "ssm:UpdateInstanceInformation",
    "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
)  # fmt: skip


def traffic_role_only(scope: Scope) -> dict[str, Any]:
    return {"ArnLike": {"aws:PrincipalArn": traffic_roles(scope)}}


def workload_boundary(scope: Scope) -> list[dict[str, Any]]:
    """The most any role of one environment (task, execution, instance) may ever do,
    whatever a deploy writes into it: its own image pulls, logs, parameters and secrets,
    never another environment's. A boundary only caps; each role's policy grants."""
    group = naming.auto_scaling_group_arn(scope.region, scope.account, scope.prefix)
    return [
        *image_pull_and_log_statements(
            scope.repository_arn,
            scope.arn("logs", f"log-group:{naming.log_group_name(scope.prefix)}"),
        ),
        allow(["autoscaling:CompleteLifecycleAction"], [group]),
        # The role ECS moves traffic with, and no other role of the environment, changes the
        # stack's own listeners and rules and registers tasks in its target groups (AWS's
        # managed policy grants it on any).
        allow(ECS_TRAFFIC_ACTIONS, [
            scope.arn("elasticloadbalancing", resource)
            for resource in ("listener/app/*/*/*", "listener-rule/app/*/*/*/*", "targetgroup/*/*")
        ], {**tagged(scope), **traffic_role_only(scope)}),
        allow(ECS_TRAFFIC_READS, ["*"], traffic_role_only(scope)),
        # The VPC's flow log role writes its own log group.
        allow(["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
              [scope.arn("logs", f"log-group:{naming.flow_log_group_name(scope.prefix)}"),
               scope.arn("logs",
                         f"log-group:{naming.flow_log_group_name(scope.prefix)}:*")]),
        allow(["ssm:GetParameter", "ssm:GetParameters"],
              [scope.arn("ssm", "parameter"
                         f"{naming.secret_parameter_path(scope.service, scope.environment)}/*")]),
        allow(["secretsmanager:GetSecretValue"], [readable_secrets(scope)]),
        # Decrypting only on behalf of Parameter Store and Secrets Manager, which the two
        # statements above already limit to this environment.
        # ECS Exec's session output, where a stack turns it on (iam.ecs_exec_statements).
        allow(["logs:DescribeLogGroups"], ["*"]),
        allow(["logs:DescribeLogStreams"],
              [scope.arn("logs", f"log-group:{naming.log_group_name(scope.prefix)}")]),
        allow(["kms:Decrypt"], ["*"], {"StringEquals": {"kms:ViaService": [
            f"ssm.{scope.region}.amazonaws.com", f"secretsmanager.{scope.region}.amazonaws.com",
        ]}}),
        allow(SSM_AGENT_ACTIONS, ["*"]),
    ]  # fmt: skip
