"""The AWS calls a deploy makes for each resource type an environment registers, as data.

For every type: the IAM actions the provider calls to create, read, update, delete and tag
it, each with the resources AWS authorises it against and the request context that goes
with it (the stack tag on the resource, or in the request when it is created). The actions
come from Pike's mapping of Terraform resources to IAM actions (JamesWoolfenden/pike at
085701b, src/mapping/aws/resource/<service>/<type>.json, named per type), read against the
Terraform AWS provider's resource code where Pike lists actions a shipped stack never
causes (they are in NOT_CALLED, with why) or misses actions the provider calls (marked
"provider" in the entry's source). Also the calls shipyard makes itself: the rollout step's
and `shipyard rollback`'s (SHIPYARD_CALLS, from infra/shipyard/aws.py).

tests/infra/test_iam.py evaluates each call against the environment's deploy role.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shipyard.config import naming
from shipyard.program.tagging import STACK_TAG

PIKE = "pike@085701b src/mapping/aws/resource/"

CREATE, READ, UPDATE, DELETE, TAG = "create", "read", "update", "delete", "tag"
PHASES = (CREATE, READ, UPDATE, DELETE, TAG)


@dataclass(frozen=True)
class Call:
    action: str
    phase: str
    # ARN templates AWS authorises the call against; empty: the resource's own ARN.
    arns: tuple[str, ...] = ()
    context: Mapping[str, Any] = field(default_factory=dict)
    # Whether the resource carries the stack tag during this call (False: it does not
    # exist yet, or the call is authorised against something else).
    on_tagged: bool = True


@dataclass(frozen=True)
class TypeCalls:
    source: str
    arn: str  # the resource's ARN, as a template (see Request.fill)
    tagged: bool  # the stack tag is on it (program/tagging.py tags every type that takes tags)
    calls: tuple[Call, ...]


def autonamed_role(role: str) -> str:
    """An environment role's ARN (`<prefix>-<role>`, auto-named), as a template."""
    return "arn:aws:iam::{account}:role/" + naming.physical(f"{{prefix}}-{role}", autonamed=True)


def _c(
    action: str, phase: str, *arns: str, on_tagged: bool = True,
    ctx: Mapping[str, Any] | None = None,
) -> Call:
    return Call(action, phase, tuple(arns), dict(ctx or {}), on_tagged)


def crud(prefix: str, create: list[str], read: list[str], update: list[str],
         delete: list[str], tag: list[str] = ()) -> tuple[Call, ...]:  # type: ignore[assignment]
    """Calls on the resource's own ARN, by phase (`prefix:` prepended to each action)."""
    return tuple(
        _c(f"{prefix}:{action}", phase)
        for phase, actions in ((CREATE, create), (READ, read), (UPDATE, update),
                               (DELETE, delete), (TAG, tag))
        for action in actions
    )  # fmt: skip


VPC = "arn:aws:ec2:{region}:{account}:vpc/vpc-0e1f2a3b4c5d6e7f8"
SUBNET = "arn:aws:ec2:{region}:{account}:subnet/subnet-0e1f2a3b4c5d6e7f8"
SECURITY_GROUP = "arn:aws:ec2:{region}:{account}:security-group/sg-0e1f2a3b4c5d6e7f8"
EIP = "arn:aws:ec2:{region}:{account}:elastic-ip/eipalloc-0e1f2a3b4c5d6e7f8"
LAUNCH_TEMPLATE = "arn:aws:ec2:{region}:{account}:launch-template/lt-0e1f2a3b4c5d6e7f8"
LOAD_BALANCER = (
    "arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/{lb}/50dc6c495c0c9188"
)
TARGET_GROUP = "arn:aws:elasticloadbalancing:{region}:{account}:targetgroup/{name}/73e2d6bc24d8a067"
LISTENER = f"{LOAD_BALANCER.replace(':loadbalancer/', ':listener/')}/f2f7dc8efc522ab2"
SERVICE = "arn:aws:ecs:{region}:{account}:service/{prefix}/{prefix}"
GROUP = ("arn:aws:autoscaling:{region}:{account}:autoScalingGroup:"
         "0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7:autoScalingGroupName/{prefix}")
ROLE = "arn:aws:iam::{account}:role/{name}"
ENVIRONMENT_KEY = "arn:aws:kms:{region}:{account}:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
ZONE = "arn:aws:route53:::hostedzone/Z0123456789EXAMPLE"
WEB_ACL = "arn:aws:wafv2:{region}:{account}:regional/webacl/{name}/0e1f2a3b-4c5d"
PASSED_TO_ECS_TASKS = {"iam:PassedToService": "ecs-tasks.amazonaws.com"}


def ec2_create(action: str, *existing: str) -> tuple[Call, ...]:
    """An EC2 create with its tags in the request: authorised against what it makes (the
    stack tag in the request), what it builds on (which must carry the tag already), and
    the tagging of what it makes inside the same call."""
    create_action = action.split(":")[1]
    return (
        _c(action, CREATE, on_tagged=False),
        *(_c(action, CREATE, arn) for arn in existing),
        _c("ec2:CreateTags", CREATE, on_tagged=False, ctx={"ec2:CreateAction": create_action}),
    )


def ec2_type(pike: str, create: tuple[Call, ...], changes: list[str], arn: str) -> TypeCalls:
    return TypeCalls(
        f"{PIKE}ec2/{pike}.json",
        arn,
        True,
        (*create, *(_c(f"ec2:{a}", UPDATE) for a in changes),
         _c("ec2:CreateTags", TAG), _c("ec2:DeleteTags", TAG)),
    )  # fmt: skip


LOG_GROUP_CALLS = crud(
    "logs", ["CreateLogGroup", "PutRetentionPolicy", "AssociateKmsKey"],
    ["ListTagsForResource"], ["PutRetentionPolicy", "AssociateKmsKey", "DisassociateKmsKey"],
    ["DeleteLogGroup"], ["TagResource", "UntagResource"],
)  # fmt: skip

PROVIDER_CALLS: dict[str, TypeCalls] = {
    "aws:ec2/vpc:Vpc": ec2_type("aws_vpc", ec2_create("ec2:CreateVpc"),
                                ["ModifyVpcAttribute", "DeleteVpc"], VPC),
    "aws:ec2/subnet:Subnet": ec2_type("aws_subnet", ec2_create("ec2:CreateSubnet", VPC),
        ["ModifySubnetAttribute", "DeleteSubnet"], SUBNET),
    "aws:ec2/internetGateway:InternetGateway": ec2_type("aws_internet_gateway",
        (*ec2_create("ec2:CreateInternetGateway"),
         _c("ec2:AttachInternetGateway", CREATE, on_tagged=True)),
        ["DetachInternetGateway", "DeleteInternetGateway"],
        "arn:aws:ec2:{region}:{account}:internet-gateway/igw-0e1f2a3b4c5d6e7f8"),
    "aws:ec2/routeTable:RouteTable": ec2_type("aws_route_table (routes: provider, route.go)",
        ec2_create("ec2:CreateRouteTable", VPC),
        ["CreateRoute", "ReplaceRoute", "DeleteRoute", "DeleteRouteTable"],
        "arn:aws:ec2:{region}:{account}:route-table/rtb-0e1f2a3b4c5d6e7f8"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": TypeCalls(
        f"{PIKE}ec2/aws_route_table_association.json",
        "arn:aws:ec2:{region}:{account}:route-table/rtb-0e1f2a3b4c5d6e7f8", True,
        (_c("ec2:AssociateRouteTable", CREATE), _c("ec2:AssociateRouteTable", CREATE, SUBNET),
         _c("ec2:ReplaceRouteTableAssociation", UPDATE),
         _c("ec2:DisassociateRouteTable", DELETE))),
    "aws:ec2/eip:Eip": ec2_type("aws_eip", ec2_create("ec2:AllocateAddress"),
        ["DisassociateAddress", "ReleaseAddress"], EIP),
    "aws:ec2/natGateway:NatGateway": ec2_type("aws_nat_gateway",
        ec2_create("ec2:CreateNatGateway", SUBNET, EIP), ["DeleteNatGateway"],
        "arn:aws:ec2:{region}:{account}:natgateway/nat-0e1f2a3b4c5d6e7f8"),
    "aws:ec2/securityGroup:SecurityGroup": ec2_type("aws_security_group",
        ec2_create("ec2:CreateSecurityGroup", VPC),
        # The provider revokes the default egress rule of a new group (security_group.go).
        ["RevokeSecurityGroupEgress", "DeleteSecurityGroup"], SECURITY_GROUP),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ec2_type(
        "aws_vpc_security_group_ingress_rule (modify: provider)",
        ec2_create("ec2:AuthorizeSecurityGroupIngress", SECURITY_GROUP),
        ["ModifySecurityGroupRules", "RevokeSecurityGroupIngress"],
        "arn:aws:ec2:{region}:{account}:security-group-rule/sgr-0e1f2a3b4c5d6e7f8"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ec2_type(
        "aws_vpc_security_group_egress_rule (modify: provider)",
        ec2_create("ec2:AuthorizeSecurityGroupEgress", SECURITY_GROUP),
        ["ModifySecurityGroupRules", "RevokeSecurityGroupEgress"],
        "arn:aws:ec2:{region}:{account}:security-group-rule/sgr-0e1f2a3b4c5d6e7f8"),
    "aws:ec2/flowLog:FlowLog": TypeCalls(
        f"{PIKE}ec2/aws_flow_log.json",
        "arn:aws:ec2:{region}:{account}:vpc-flow-log/fl-0e1f2a3b4c5d6e7f8", True,
        (*ec2_create("ec2:CreateFlowLogs", VPC),
         _c("iam:PassRole", CREATE, ROLE,
            ctx={"iam:PassedToService": "vpc-flow-logs.amazonaws.com"}),
         _c("ec2:DeleteFlowLogs", DELETE))),
    "aws:ec2/launchTemplate:LaunchTemplate": ec2_type(
        "aws_launch_template (ModifyLaunchTemplate: provider, for update_default_version)",
        ec2_create("ec2:CreateLaunchTemplate"),
        ["CreateLaunchTemplateVersion", "ModifyLaunchTemplate", "DeleteLaunchTemplate"],
        LAUNCH_TEMPLATE),
    "aws:lb/loadBalancer:LoadBalancer": TypeCalls(
        f"{PIKE}elasticloadbalancing/aws_lb.json (its Classic load balancer actions are "
        "NOT_CALLED; SetSecurityGroups, SetSubnets: provider)", LOAD_BALANCER, True,
        (_c("elasticloadbalancing:CreateLoadBalancer", CREATE, on_tagged=False),
         _c("elasticloadbalancing:AddTags", CREATE, on_tagged=False,
            ctx={"elasticloadbalancing:CreateAction": "CreateLoadBalancer"}),
         *crud("elasticloadbalancing", [], [], ["ModifyLoadBalancerAttributes",
               "SetSecurityGroups", "SetSubnets"], ["DeleteLoadBalancer"],
               ["AddTags", "RemoveTags"]))),
    "aws:lb/targetGroup:TargetGroup": TypeCalls(
        f"{PIKE}elasticloadbalancing/aws_lb_target_group.json", TARGET_GROUP, True,
        (_c("elasticloadbalancing:CreateTargetGroup", CREATE, on_tagged=False),
         _c("elasticloadbalancing:AddTags", CREATE, on_tagged=False,
            ctx={"elasticloadbalancing:CreateAction": "CreateTargetGroup"}),
         *crud("elasticloadbalancing", [], [], ["ModifyTargetGroup",
               "ModifyTargetGroupAttributes"], ["DeleteTargetGroup"],
               ["AddTags", "RemoveTags"]))),
    "aws:lb/listener:Listener": TypeCalls(
        f"{PIKE}elasticloadbalancing/aws_lb_listener.json", LISTENER, True,
        (_c("elasticloadbalancing:CreateListener", CREATE, LOAD_BALANCER, TARGET_GROUP),
         _c("elasticloadbalancing:AddTags", CREATE, on_tagged=False,
            ctx={"elasticloadbalancing:CreateAction": "CreateListener"}),
         *crud("elasticloadbalancing", [], [], ["ModifyListener",
               "ModifyListenerAttributes"], ["DeleteListener"], ["AddTags", "RemoveTags"]))),
    "aws:lb/listenerRule:ListenerRule": TypeCalls(
        f"{PIKE}elasticloadbalancing/aws_lb_listener_rule.json",
        f"{LISTENER.replace(':listener/', ':listener-rule/')}/9683b2d02a6cabee", True,
        (_c("elasticloadbalancing:CreateRule", CREATE, LISTENER, TARGET_GROUP),
         _c("elasticloadbalancing:AddTags", CREATE, on_tagged=False,
            ctx={"elasticloadbalancing:CreateAction": "CreateRule"}),
         *crud("elasticloadbalancing", [], [], ["ModifyRule"], ["DeleteRule"],
               ["AddTags", "RemoveTags"]))),
    "aws:ecs/cluster:Cluster": TypeCalls(
        f"{PIKE}ecs/aws_ecs_cluster.json", "arn:aws:ecs:{region}:{account}:cluster/{name}",
        True, crud("ecs", ["CreateCluster", "TagResource"], ["DescribeClusters",
                   "ListTagsForResource"], ["UpdateCluster", "UpdateClusterSettings"],
                   ["DeleteCluster"], ["TagResource", "UntagResource"])),
    "aws:ecs/taskDefinition:TaskDefinition": TypeCalls(
        f"{PIKE}ecs/aws_ecs_task_definition.json",
        "arn:aws:ecs:{region}:{account}:task-definition/{prefix}:7", True,
        (_c("ecs:RegisterTaskDefinition", CREATE, on_tagged=False),
         _c("ecs:TagResource", CREATE, on_tagged=False),
         _c("iam:PassRole", CREATE, autonamed_role("execution"),
            ctx=PASSED_TO_ECS_TASKS),
         _c("iam:PassRole", CREATE, autonamed_role("task"),
            ctx=PASSED_TO_ECS_TASKS),
         _c("ecs:ListTagsForResource", READ), _c("ecs:DeregisterTaskDefinition", DELETE,
                                                   "*"))),
    "aws:ecs/service:Service": TypeCalls(
        f"{PIKE}ecs/aws_ecs_service.json", SERVICE, True,
        (_c("ecs:CreateService", CREATE, on_tagged=False, ctx={
            "ecs:task-definition": "arn:aws:ecs:{region}:{account}:task-definition/{prefix}:7"}),
         _c("ecs:TagResource", CREATE, on_tagged=False),
         _c("iam:PassRole", CREATE, autonamed_role("traffic"),
            ctx={"iam:PassedToService": "ecs.amazonaws.com"}),
         *crud("ecs", [], ["DescribeServices", "ListTagsForResource"], [], ["DeleteService"],
               ["TagResource", "UntagResource"]),
         _c("ecs:UpdateService", UPDATE, ctx={
            "ecs:task-definition": "arn:aws:ecs:{region}:{account}:task-definition/{prefix}:8"}),
         # pulumi-aws waits for the deployment (wait_for_steady_state, the strategies).
         _c("ecs:ListServiceDeployments", UPDATE),
         _c("ecs:DescribeServiceDeployments", UPDATE, SERVICE,
            "arn:aws:ecs:{region}:{account}:service-deployment/{prefix}/{prefix}/d-1"))),
    "aws:appautoscaling/target:Target": TypeCalls(
        f"{PIKE}application-autoscaling/aws_appautoscaling_target.json (Lambda, alarms and "
        "scheduled actions: NOT_CALLED)",
        "arn:aws:application-autoscaling:{region}:{account}:scalable-target/0e1f2a3b4c5d6e7f8",
        True, crud("application-autoscaling", ["RegisterScalableTarget", "TagResource"],
                   ["ListTagsForResource"], ["RegisterScalableTarget"],
                   ["DeregisterScalableTarget"], ["TagResource", "UntagResource"])),
    "aws:appautoscaling/policy:Policy": TypeCalls(
        f"{PIKE}application-autoscaling/aws_appautoscaling_policy.json",
        "arn:aws:application-autoscaling:{region}:{account}:scalable-target/0e1f2a3b4c5d6e7f8",
        True, (*crud("application-autoscaling", ["PutScalingPolicy"], [],
                     ["PutScalingPolicy"], ["DeleteScalingPolicy"]),
               # Target tracking makes its own alarms, checked against the caller.
               _c("cloudwatch:PutMetricAlarm", CREATE,
                  "arn:aws:cloudwatch:{region}:{account}:alarm:TargetTracking-service/{prefix}/"
                  "{prefix}-AlarmHigh-0e1f2a3b", on_tagged=False))),
    "aws:autoscaling/group:Group": TypeCalls(
        f"{PIKE}autoscaling/aws_autoscaling_group.json (wildcards and managed fleets: "
        "NOT_CALLED)", GROUP, True,
        (*crud("autoscaling", ["CreateAutoScalingGroup", "CreateOrUpdateTags"], [],
               ["UpdateAutoScalingGroup", "AttachLoadBalancerTargetGroups",
                "DetachLoadBalancerTargetGroups"], ["DeleteAutoScalingGroup"],
               ["CreateOrUpdateTags", "DeleteTags"]),
         # The group's creator must be able to launch its template and name what it launches.
         _c("ec2:RunInstances", CREATE, LAUNCH_TEMPLATE, SUBNET, SECURITY_GROUP),
         _c("ec2:RunInstances", CREATE, "arn:aws:ec2:{region}:{account}:instance/*",
            on_tagged=False),
         _c("ec2:RunInstances", CREATE, "arn:aws:ec2:{region}::image/ami-0a1b2c3d4e5f60718",
            on_tagged=False, ctx={"ec2:Owner": "amazon"}),
         _c("ec2:CreateTags", CREATE, "arn:aws:ec2:{region}:{account}:instance/*",
            on_tagged=False, ctx={"ec2:CreateAction": "RunInstances"}),
         _c("iam:PassRole", CREATE, autonamed_role("instance"),
            ctx={"iam:PassedToService": "ec2.amazonaws.com"}))),
    "aws:autoscaling/lifecycleHook:LifecycleHook": TypeCalls(
        f"{PIKE}autoscaling/aws_autoscaling_lifecycle_hook.json", GROUP, True,
        crud("autoscaling", ["PutLifecycleHook"], [], ["PutLifecycleHook"],
             ["DeleteLifecycleHook"])),
    "aws:autoscaling/policy:Policy": TypeCalls(
        f"{PIKE}autoscaling/aws_autoscaling_policy.json", GROUP, True,
        (*crud("autoscaling", ["PutScalingPolicy"], [], ["PutScalingPolicy"],
               ["DeletePolicy"]),
         _c("cloudwatch:PutMetricAlarm", CREATE,
            "arn:aws:cloudwatch:{region}:{account}:alarm:TargetTracking-{prefix}-AlarmHigh-"
            "0e1f2a3b", on_tagged=False))),
    "aws:iam/role:Role": TypeCalls(
        f"{PIKE}iam/aws_iam_role.json", ROLE, True,
        (_c("iam:CreateRole", CREATE, on_tagged=False,
            ctx={"iam:PermissionsBoundary": "arn:aws:iam::{account}:policy/{prefix}-boundary"}),
         _c("iam:TagRole", CREATE, on_tagged=False),
         *crud("iam", [], ["GetRole", "ListAttachedRolePolicies", "ListRolePolicies",
                          "ListInstanceProfilesForRole"], ["UpdateRole"], ["DeleteRole"],
               ["TagRole", "UntagRole"]))),
    "aws:iam/rolePolicy:RolePolicy": TypeCalls(
        f"{PIKE}iam/aws_iam_role_policy.json", ROLE, True,
        (_c("iam:PutRolePolicy", CREATE,
            ctx={"iam:PermissionsBoundary": "arn:aws:iam::{account}:policy/{prefix}-boundary"}),
         _c("iam:GetRolePolicy", READ), _c("iam:DeleteRolePolicy", DELETE))),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": TypeCalls(
        f"{PIKE}iam/aws_iam_role_policy_attachment.json", ROLE, True,
        (_c("iam:AttachRolePolicy", CREATE,
            ctx={"iam:PermissionsBoundary": "arn:aws:iam::{account}:policy/{prefix}-boundary"}),
         _c("iam:ListAttachedRolePolicies", READ),
         _c("iam:DetachRolePolicy", DELETE, ctx={
            "iam:PolicyARN": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"}))),
    "aws:iam/instanceProfile:InstanceProfile": TypeCalls(
        f"{PIKE}iam/aws_iam_instance_profile.json",
        "arn:aws:iam::{account}:instance-profile/{name}", True,
        (*crud("iam", ["CreateInstanceProfile", "TagInstanceProfile",
                       "AddRoleToInstanceProfile"], ["GetInstanceProfile"], [],
               ["RemoveRoleFromInstanceProfile", "DeleteInstanceProfile"],
               ["TagInstanceProfile", "UntagInstanceProfile"]),
         # AddRoleToInstanceProfile checks PassRole on the role; AWS does not say whether
         # with iam:PassedToService, so the request carries none here.
         _c("iam:PassRole", CREATE,
            autonamed_role("instance")))),
    "aws:cloudwatch/logGroup:LogGroup": TypeCalls(
        f"{PIKE}logs/aws_cloudwatch_log_group.json", "arn:aws:logs:{region}:{account}:"
        "log-group:{name}", True, (*LOG_GROUP_CALLS, _c("logs:DescribeLogGroups", READ, "*"))),
    "aws:cloudwatch/metricAlarm:MetricAlarm": TypeCalls(
        f"{PIKE}cloudwatch/aws_cloudwatch_metric_alarm.json",
        "arn:aws:cloudwatch:{region}:{account}:alarm:{name}", True,
        crud("cloudwatch", ["PutMetricAlarm", "TagResource"], ["DescribeAlarms",
             "ListTagsForResource"], ["PutMetricAlarm"], ["DeleteAlarms"],
             ["TagResource", "UntagResource"])),
    "aws:sns/topic:Topic": TypeCalls(
        f"{PIKE}sns/aws_sns_topic.json (data protection policies: NOT_CALLED)",
        "arn:aws:sns:{region}:{account}:{name}", True,
        crud("sns", ["CreateTopic", "TagResource", "SetTopicAttributes"],
             ["GetTopicAttributes", "ListTagsForResource"], ["SetTopicAttributes"],
             ["DeleteTopic"], ["TagResource", "UntagResource"])),
    "aws:ssm/parameter:Parameter": TypeCalls(
        f"{PIKE}ssm/aws_ssm_parameter.json",
        "arn:aws:ssm:{region}:{account}:parameter{name}", True,
        (*crud("ssm", ["PutParameter", "AddTagsToResource"], ["GetParameter",
               "ListTagsForResource"], ["PutParameter"], ["DeleteParameter"],
               ["AddTagsToResource", "RemoveTagsFromResource"]),
         _c("ssm:DescribeParameters", READ, "*"))),
    "aws:acm/certificate:Certificate": TypeCalls(
        f"{PIKE}acm/aws_acm_certificate.json", "arn:aws:acm:{region}:{account}:"
        "certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", True,
        (_c("acm:RequestCertificate", CREATE, "*", on_tagged=False),
         _c("acm:AddTagsToCertificate", CREATE, on_tagged=False),
         *crud("acm", [], ["DescribeCertificate", "ListTagsForCertificate"], [],
               ["DeleteCertificate"]))),
    "aws:acm/certificateValidation:CertificateValidation": TypeCalls(
        f"{PIKE}acm/aws_acm_certificate_validation.json (DescribeCertificate: provider, "
        "certificate_validation.go)", "arn:aws:acm:{region}:{account}:"
        "certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", True,
        (_c("acm:DescribeCertificate", CREATE),)),
    "aws:route53/record:Record": TypeCalls(
        f"{PIKE}route53/aws_route53_record.json", ZONE, False,
        (_c("route53:ChangeResourceRecordSets", CREATE, ctx={
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["{record}"]}),
         _c("route53:GetChange", CREATE, "arn:aws:route53:::change/C0123456789"),
         _c("route53:ListResourceRecordSets", READ), _c("route53:GetHostedZone", READ))),
    "aws:s3/bucket:Bucket": TypeCalls(
        f"{PIKE}s3/aws_s3_bucket.json (object reads and object lock: NOT_CALLED)",
        "arn:aws:s3:::{name}", False,
        (*crud("s3", ["CreateBucket", "PutBucketTagging"], ["ListBucket", "GetBucketAcl",
               "GetBucketCORS", "GetBucketLogging", "GetBucketPolicy", "GetBucketTagging",
               "GetBucketVersioning", "GetBucketWebsite", "GetEncryptionConfiguration",
               "GetLifecycleConfiguration", "GetReplicationConfiguration",
               "GetAccelerateConfiguration", "GetBucketRequestPayment",
               "GetBucketObjectLockConfiguration"], [], ["DeleteBucket"],
               ["PutBucketTagging"]),
         _c("s3:DeleteObject", DELETE, "arn:aws:s3:::{name}/AWSLogs/x"))),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": TypeCalls(
        f"{PIKE}s3/aws_s3_bucket_lifecycle_configuration.json (its bucket logging actions: "
        "NOT_CALLED)", "arn:aws:s3:::{bucket}", False,
        crud("s3", ["PutLifecycleConfiguration"], ["GetLifecycleConfiguration"],
             ["PutLifecycleConfiguration"], ["PutLifecycleConfiguration"])),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": TypeCalls(
        f"{PIKE}s3/aws_s3_bucket_ownership_controls.json", "arn:aws:s3:::{bucket}", False,
        crud("s3", ["PutBucketOwnershipControls"], ["GetBucketOwnershipControls"],
             ["PutBucketOwnershipControls"], ["PutBucketOwnershipControls"])),
    "aws:s3/bucketPolicy:BucketPolicy": TypeCalls(
        f"{PIKE}s3/aws_s3_bucket_policy.json", "arn:aws:s3:::{bucket}", False,
        crud("s3", ["PutBucketPolicy"], ["GetBucketPolicy"], ["PutBucketPolicy"],
             ["DeleteBucketPolicy"])),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": TypeCalls(
        f"{PIKE}s3/aws_s3_bucket_public_access_block.json", "arn:aws:s3:::{bucket}", False,
        crud("s3", ["PutBucketPublicAccessBlock"], ["GetBucketPublicAccessBlock"],
             ["PutBucketPublicAccessBlock"], ["PutBucketPublicAccessBlock"])),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        TypeCalls(f"{PIKE}s3/aws_s3_bucket_server_side_encryption_configuration.json",
                  "arn:aws:s3:::{bucket}", False,
                  crud("s3", ["PutEncryptionConfiguration"], ["GetEncryptionConfiguration"],
                       ["PutEncryptionConfiguration"], ["PutEncryptionConfiguration"])),
    "aws:wafv2/webAcl:WebAcl": TypeCalls(
        f"{PIKE}wafv2/aws_wafv2_web_acl.json", WEB_ACL, True,
        (*crud("wafv2", ["CreateWebACL", "TagResource"], ["GetWebACL", "ListTagsForResource"],
               ["UpdateWebACL"], ["DeleteWebACL"], ["TagResource", "UntagResource"]),
         _c("wafv2:CreateWebACL", CREATE, "arn:aws:wafv2:{region}:{account}:regional/"
            "managedruleset/AWS/AWSManagedRulesCommonRuleSet"))),
    "aws:wafv2/webAclAssociation:WebAclAssociation": TypeCalls(
        f"{PIKE}wafv2/aws_wafv2_web_acl_association.json (for load balancers; WAF's dependent "
        "ELB actions: the SAR)", WEB_ACL.replace("{name}", "{prefix}-waf"), True,
        (_c("wafv2:AssociateWebACL", CREATE, WEB_ACL.replace("{name}", "{prefix}-waf"),
            LOAD_BALANCER),
         _c("elasticloadbalancing:SetWebAcl", CREATE, "*"),
         _c("elasticloadbalancing:CreateWebACLAssociation", CREATE, LOAD_BALANCER),
         _c("wafv2:GetWebACLForResource", READ, WEB_ACL.replace("{name}", "{prefix}-waf"),
            LOAD_BALANCER),
         _c("elasticloadbalancing:GetLoadBalancerWebACL", READ, LOAD_BALANCER),
         _c("wafv2:DisassociateWebACL", DELETE, LOAD_BALANCER),
         _c("elasticloadbalancing:DeleteWebACLAssociation", DELETE, LOAD_BALANCER))),
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": TypeCalls(
        f"{PIKE}wafv2/aws_wafv2_web_acl_logging_configuration.json (Delete: provider; the "
        "logs delivery actions: CloudWatch Logs' AWS-logs-infrastructure-CWL page)",
        WEB_ACL.replace("{name}", "{prefix}-waf"), True,
        (*(_c("wafv2:PutLoggingConfiguration", phase, ctx={
            "wafv2:LogDestinationResource":
                "arn:aws:logs:{region}:{account}:log-group:aws-waf-logs-{prefix}"})
           for phase in (CREATE, UPDATE)),
         _c("wafv2:GetLoggingConfiguration", READ),
         _c("wafv2:DeleteLoggingConfiguration", DELETE),
         *(_c(f"logs:{a}", CREATE, "*") for a in ("CreateLogDelivery", "PutResourcePolicy",
                                                   "DescribeResourcePolicies",
                                                   "DescribeLogGroups")),
         _c("logs:DeleteLogDelivery", DELETE, "*"))),
}  # fmt: skip

# Pike's actions for these types that a shipped stack never causes, and why.
NOT_CALLED = {
    "autoscaling:Describe*, ec2:Describe*, ec2:Get*, ssm:Get*, managed-fleets:Get*":
        "Pike's wildcards for aws_autoscaling_group; the reads it needs are in UNSCOPABLE",
    "application-autoscaling:PutScheduledAction, lambda:*ProvisionedConcurrencyConfig":
        "scheduled actions and Lambda targets: no stack has them",
    "elasticloadbalancing:CreateLoadBalancerListeners, AttachLoadBalancerToSubnets, "
    "EnableAvailabilityZonesForLoadBalancer": "Classic Load Balancer actions",
    "sns:GetDataProtectionPolicy, sns:PutDataProtectionPolicy": "no data protection policy",
    "s3:GetObject, s3:GetObjectAcl, s3:PutObject*, s3:PutBucketObjectLockConfiguration":
        "no objects or object lock are managed",
    "s3:GetBucketLogging, s3:PutBucketLogging (lifecycle configuration)": "Pike's copy slip",
    "ecs:PutAccountSetting*, ecs:PutClusterCapacityProviders": "account settings and "
    "capacity providers are not managed",
    "cognito-idp:DescribeUserPoolClient": "no Cognito authentication on listeners",
}  # fmt: skip


def _physical(record: Any) -> str:
    inputs = record.inputs
    for key in ("name", "family", "bucket"):
        if inputs.get(key):
            return str(inputs[key])
    return naming.physical(record.name, autonamed=True)


@dataclass(frozen=True)
class Request:
    """One call to authorise: an action on each of its resources, with its context."""

    type: str
    resource: str
    phase: str
    action: str
    arns: tuple[str, ...]
    context: Mapping[str, Any]

    def describe(self) -> str:
        return f"{self.type} {self.resource} {self.phase}: {self.action} on {list(self.arns)}"


def requests(record: Any, prefix: str, region: str, account: str) -> list[Request]:
    """The calls a deploy makes for one registered resource of an environment."""
    calls = PROVIDER_CALLS[record.type]
    bucket = str(record.inputs.get("bucket", ""))
    values = {
        "region": region, "account": account, "prefix": prefix, "name": _physical(record),
        "lb": naming.physical(naming.load_balancer_name(prefix), autonamed=True),
        "bucket": bucket or naming.physical(naming.access_log_bucket_name(prefix), autonamed=True),
        "record": str(record.inputs.get("name", "")).rstrip(".").lower(),
    }  # fmt: skip

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.format(**values)
        if isinstance(value, list):
            return [fill(item) for item in value]
        return value

    found = []
    for call in calls.calls:
        context: dict[str, Any] = {key: fill(value) for key, value in call.context.items()}
        if calls.tagged and call.phase == CREATE and not call.on_tagged:
            context.update({f"aws:RequestTag/{STACK_TAG}": prefix, "aws:TagKeys": [STACK_TAG]})
        elif calls.tagged and call.on_tagged:
            context[f"aws:ResourceTag/{STACK_TAG}"] = prefix
            if call.phase == TAG:
                context.update({"aws:RequestTag/Name": prefix, "aws:TagKeys": ["Name"]})
        arns = tuple(fill(arn) for arn in (call.arns or (calls.arn,)))
        found.append(Request(record.type, record.name, call.phase, call.action, arns, context))
    return found


@dataclass(frozen=True)
class ShipyardCall:
    action: str
    arns: tuple[str, ...]
    why: str
    # The request context AWS evaluates with it, as templates like the ARNs.
    context: Mapping[str, str] = field(default_factory=dict)


# What shipyard calls itself with the deploy role (infra/shipyard/aws.py): the rollout
# step inside `pulumi up` on EC2, and `shipyard rollback`, status and deploy waits.
SHIPYARD_CALLS = (
    ShipyardCall("autoscaling:DescribeAutoScalingGroups", ("*",), "rollout step, status"),
    ShipyardCall("autoscaling:DescribeInstanceRefreshes", ("*",), "rollout step, waits"),
    ShipyardCall("autoscaling:StartInstanceRefresh", (GROUP,), "rollout step"),
    ShipyardCall("autoscaling:UpdateAutoScalingGroup", (GROUP,), "rollout step's fallback"),
    ShipyardCall("ecs:DescribeServices", (SERVICE,), "waits, status"),
    ShipyardCall("ecs:ListServiceDeployments", (SERVICE,), "rollback, deploy judging"),
    ShipyardCall("ecs:DescribeServiceDeployments", (
        SERVICE, "arn:aws:ecs:{region}:{account}:service-deployment/{prefix}/{prefix}/d-1"),
        "rollback, deploy judging"),
    ShipyardCall("ecs:StopServiceDeployment", (
        SERVICE, "arn:aws:ecs:{region}:{account}:service-deployment/{prefix}/{prefix}/d-1"),
        "instant rollback"),
    ShipyardCall("ecs:DescribeServiceRevisions", (
        SERVICE, "arn:aws:ecs:{region}:{account}:service-revision/{prefix}/{prefix}/r-1"),
        "rollback reads the image it returns to"),
    ShipyardCall("ecs:DescribeTaskDefinition", ("*",), "status, releases"),
    ShipyardCall("ecs:UpdateService", (SERVICE,), "restart (no task definition named)"),
    ShipyardCall("elasticloadbalancing:DescribeTargetHealth", ("*",), "health"),
    ShipyardCall("cloudwatch:DescribeAlarms", (
        "arn:aws:cloudwatch:{region}:{account}:alarm:{prefix}-5xx",), "health"),
    ShipyardCall("ec2:DescribeLaunchTemplateVersions", ("*",), "status on EC2"),
    ShipyardCall("ssm:GetParameter", (
        "arn:aws:ssm:{region}:{account}:parameter/shipyard/{service}/{env}/release",),
        "the release record"),
    ShipyardCall("ecr:DescribeImages", (
        "arn:aws:ecr:{region}:{account}:repository/{service}",), "rollback checks the image"),
    ShipyardCall("logs:FilterLogEvents", (
        "arn:aws:logs:{region}:{account}:log-group:/shipyard/{prefix}",), "shipyard logs"),
    # One-off tasks: the pre-deploy command (program/pre_deploy.py) and `shipyard run`.
    ShipyardCall("ecs:RunTask", (
        "arn:aws:ecs:{region}:{account}:task-definition/{prefix}:7",
        "arn:aws:ecs:{region}:{account}:task-definition/{prefix}_run:1"),
        "pre-deploy command, shipyard run",
        {"ecs:cluster": "arn:aws:ecs:{region}:{account}:cluster/{prefix}"}),
    ShipyardCall("ecs:DescribeTasks", (
        "arn:aws:ecs:{region}:{account}:task/{prefix}/0123456789abcdef",),
        "pre-deploy command, shipyard run"),
    ShipyardCall("ecs:StopTask", (
        "arn:aws:ecs:{region}:{account}:task/{prefix}/0123456789abcdef",),
        "a pre-deploy command past its time, Ctrl-C in shipyard run"),
    ShipyardCall("ecs:RegisterTaskDefinition", (
        "arn:aws:ecs:{region}:{account}:task-definition/{prefix}_run:1",),
        "shipyard run --image"),
    ShipyardCall("ecs:DeregisterTaskDefinition", ("*",), "shipyard run --image, after"),
    ShipyardCall("ssm:SendCommand", (
        "arn:aws:ssm:{region}::document/AWS-RunShellScript",), "pre-deploy command on EC2"),
    ShipyardCall("ssm:SendCommand", ("arn:aws:ec2:{region}:{account}:instance/i-0123456789",),
                 "pre-deploy command on EC2", {"aws:ResourceTag/shipyard:stack": "{prefix}"}),
    ShipyardCall("ssm:GetCommandInvocation", ("*",), "pre-deploy command on EC2, waits"),
    ShipyardCall("logs:GetLogEvents", (
        "arn:aws:logs:{region}:{account}:log-group:/shipyard/{prefix}:log-stream:app/app/01234",),
        "the pre-deploy command's last lines, shipyard run"),
)  # fmt: skip
