"""Physical names as AWS sees them, and the rule each kind of name must follow.

Pulumi auto-names a resource whose name is unset: its logical name, "-" and 7 random hex
characters. Load balancers and target groups allow 32 characters, which `<service>-<env>-alb`
plus those 8 does not always fit, so their logical names are shortened here with a hash of the
full name (unchanged wherever they already fit, so deployed stacks keep their resources).
Every other name is checked against its rule by settings validation, from `derived_names`,
before any resource is registered. The rules come from the Terraform AWS provider's
validators and pulumi-aws's auto-naming limits (see docs/naming.md).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

AUTONAME_SUFFIX = len("-") + 7
HASH_LENGTH = 6


@dataclass(frozen=True)
class NameRule:
    what: str
    max_length: int
    characters: str  # a regex character class, like [A-Za-z0-9-]
    advice: str
    min_length: int = 1
    forbidden_prefixes: tuple[str, ...] = ()
    edges_alphanumeric: bool = False  # no separator first or last

    def problem(self, name: str) -> str | None:
        """Why AWS would refuse `name` as this kind of name, or None."""
        if not self.min_length <= len(name) <= self.max_length:
            return (
                f"the {self.what} name {name!r} would be {len(name)} characters; AWS allows "
                f"{self.min_length} to {self.max_length}"
            )
        if not re.fullmatch(f"{self.characters}+", name):
            return (
                f"the {self.what} name {name!r} would have characters AWS refuses ({self.advice})"
            )
        for prefix in self.forbidden_prefixes:
            if name.startswith(prefix):
                return f"the {self.what} name {name!r} may not start with {prefix!r}"
        if self.edges_alphanumeric and not (name[0].isalnum() and name[-1].isalnum()):
            return f"the {self.what} name {name!r} must start and end with a letter or digit"
        return None


ELB_NAME = "[A-Za-z0-9-]"
IAM_NAME = r"[\w+=,.@-]"
ECS_NAME = "[A-Za-z0-9_-]"
ANY_PRINTABLE = r"[\x20-\x7e]"

# Pulumi type -> the rule for its name. Types not listed have no name of their own.
RULES: dict[str, NameRule] = {
    "aws:lb/loadBalancer:LoadBalancer": NameRule(
        "load balancer", 32, ELB_NAME, "letters, digits, hyphens",
        forbidden_prefixes=("internal-",), edges_alphanumeric=True,
    ),
    "aws:lb/targetGroup:TargetGroup": NameRule(
        "target group", 32, ELB_NAME, "letters, digits, hyphens", edges_alphanumeric=True
    ),
    "aws:iam/role:Role": NameRule("IAM role", 64, IAM_NAME, "letters, digits, +=,.@_-"),
    "aws:iam/rolePolicy:RolePolicy": NameRule(
        "IAM role policy", 128, IAM_NAME, "letters, digits, +=,.@_-"
    ),
    "aws:iam/instanceProfile:InstanceProfile": NameRule(
        "instance profile", 128, IAM_NAME, "letters, digits, +=,.@_-"
    ),
    "aws:ecs/cluster:Cluster": NameRule("ECS cluster", 255, ECS_NAME, "letters, digits, _ -"),
    "aws:ecs/service:Service": NameRule("ECS service", 255, ECS_NAME, "letters, digits, _ -"),
    "aws:ecs/taskDefinition:TaskDefinition": NameRule(
        "task definition family", 255, ECS_NAME, "letters, digits, _ -"
    ),
    "aws:ec2/launchTemplate:LaunchTemplate": NameRule(
        "launch template", 125, r"[A-Za-z0-9()./_-]", "letters, digits, ( ) . / _ -",
        min_length=3,
    ),
    "aws:ec2/securityGroup:SecurityGroup": NameRule(
        "security group", 255, ANY_PRINTABLE, "printable ASCII", forbidden_prefixes=("sg-",)
    ),
    "aws:autoscaling/group:Group": NameRule(
        "Auto Scaling group", 255, ANY_PRINTABLE, "printable ASCII"
    ),
    "aws:autoscaling/lifecycleHook:LifecycleHook": NameRule(
        "lifecycle hook", 255, r"[A-Za-z0-9_/-]", "letters, digits, _ / -"
    ),
    "aws:autoscaling/policy:Policy": NameRule(
        "scaling policy", 255, ANY_PRINTABLE, "printable ASCII"
    ),
    "aws:appautoscaling/policy:Policy": NameRule(
        "scaling policy", 255, ANY_PRINTABLE, "printable ASCII"
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": NameRule(
        "alarm", 255, ANY_PRINTABLE, "printable ASCII"
    ),
    # S3 bucket names: 3-63 lowercase letters, digits, hyphens (and dots, which shipyard
    # does not use: they break virtual-host TLS).
    "aws:s3/bucket:Bucket": NameRule(
        "S3 bucket", 63, "[a-z0-9-]", "lowercase letters, digits, -", min_length=3,
        edges_alphanumeric=True,
    ),
    "aws:wafv2/webAcl:WebAcl": NameRule("web ACL", 128, r"[\w-]", "letters, digits, _ -"),
    "aws:sns/topic:Topic": NameRule(
        "SNS topic", 256, "[A-Za-z0-9_-]", "letters, digits, _ -"
    ),
    "aws:cloudwatch/logGroup:LogGroup": NameRule(
        "log group", 512, "[A-Za-z0-9_./#-]", "letters, digits, _ . / # -"
    ),
    "aws:iam/policy:Policy": NameRule("IAM policy", 128, IAM_NAME, "letters, digits, +=,.@_-"),
    "aws:ssm/parameter:Parameter": NameRule(
        "SSM parameter", 1011, "[A-Za-z0-9_./-]", "letters, digits, _ . - /",
        forbidden_prefixes=("/aws", "/ssm", "aws", "ssm"),
    ),
    # The Terraform provider's validator: alias/ then letters, digits, / _ -, at most 256
    # characters; alias/aws/ is AWS's own.
    "aws:kms/alias:Alias": NameRule(
        "KMS alias", 256, "[A-Za-z0-9/_-]", "letters, digits, / _ -",
        forbidden_prefixes=("alias/aws/",),
    ),
    "aws:ecr/repository:Repository": NameRule(
        "ECR repository", 256, "[a-z0-9._/-]", "lowercase letters, digits, . _ - /",
        min_length=2, edges_alphanumeric=True,
    ),
}  # fmt: skip
# The image tag is part of docker.Image's imageName (repository:tag): Docker's tag grammar.
IMAGE_TAG = NameRule(
    "image tag", 128, "[A-Za-z0-9_.-]", "letters, digits, _ . -", forbidden_prefixes=(".", "-")
)

# Environment (stack) names become part of every name above; Pulumi allows more
# (A-Z, _ and .), which load balancers, target groups and ECS names refuse.
ENVIRONMENT_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")


def fitted(prefix: str, suffix: str, max_length: int) -> str:
    """`<prefix>-<suffix>` if it fits in max_length; otherwise the prefix cut short, with a
    hash of the full name in between, so distinct prefixes stay distinct."""
    full = f"{prefix}-{suffix}"
    if len(full) <= max_length:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:HASH_LENGTH]
    room = max_length - len(suffix) - len(digest) - 2
    return f"{prefix[:room].rstrip('-')}-{digest}-{suffix}"


def autonamed_within(max_length: int) -> int:
    """The longest logical name whose auto-name fits in max_length."""
    return max_length - AUTONAME_SUFFIX


def resource_prefix(service_name: str, environment: str) -> str:
    """What every name of an environment starts with, and its stack tag's value (the deploy
    roles' conditions match it)."""
    return f"{service_name}-{environment}"


def load_balancer_name(prefix: str) -> str:
    limit = RULES["aws:lb/loadBalancer:LoadBalancer"].max_length
    return fitted(prefix, "alb", autonamed_within(limit))


def target_group_name(prefix: str, role: str = "tg") -> str:
    limit = RULES["aws:lb/targetGroup:TargetGroup"].max_length
    return fitted(prefix, role, autonamed_within(limit))


def access_log_bucket_name(prefix: str) -> str:
    """The logical name of the load balancer's log bucket (auto-named: + 8 characters)."""
    return f"{prefix}-alb-logs"


def alarm_topic_name(prefix: str) -> str:
    """The environment's alarm topic (SNS)."""
    return f"{prefix}-alarms"


def log_group_name(prefix: str) -> str:
    return f"/shipyard/{prefix}"


def waf_log_group_name(prefix: str) -> str:
    """The web ACL's log group: WAF logs only to groups named aws-waf-logs-..."""
    return f"aws-waf-logs-{prefix}"


def flow_log_group_name(prefix: str) -> str:
    """The created VPC's flow logs, under the environment's log group name."""
    return f"{log_group_name(prefix)}/flow-logs"


@dataclass(frozen=True)
class DerivedName:
    type: str
    name: str  # as AWS sees it; auto-names carry a placeholder for the random part
    rule: NameRule


def physical(logical_or_explicit: str, autonamed: bool) -> str:
    """The name AWS sees: explicit as given, or auto-named with 7 random characters."""
    return f"{logical_or_explicit}-xxxxxxx" if autonamed else logical_or_explicit


def derived_names(service_name: str, environment: str) -> list[DerivedName]:
    """The longest name of each type the program derives from `<service>-<env>`.

    Components name their children `<prefix>-<role>`; the roles listed here are the longest
    of each type (tests check every registered name against RULES, so a longer new role
    fails them until it is listed).
    """
    prefix = resource_prefix(service_name, environment)
    shapes = [
        ("aws:lb/loadBalancer:LoadBalancer", load_balancer_name(prefix), True),
        ("aws:lb/targetGroup:TargetGroup", target_group_name(prefix), True),
        ("aws:iam/role:Role", f"{prefix}-execution", True),
        ("aws:iam/role:Role", f"{prefix}-flow-logs", True),
        ("aws:iam/rolePolicy:RolePolicy", f"{prefix}-execution", True),
        ("aws:iam/instanceProfile:InstanceProfile", f"{prefix}-instance", True),
        ("aws:ec2/launchTemplate:LaunchTemplate", f"{prefix}-template", True),
        ("aws:ec2/securityGroup:SecurityGroup", f"{prefix}-targets", True),
        ("aws:appautoscaling/policy:Policy", f"{prefix}-scale-requests", True),
        ("aws:autoscaling/policy:Policy", f"{prefix}-scale-requests", True),
        ("aws:ecs/cluster:Cluster", prefix, False),
        ("aws:ecs/service:Service", prefix, False),
        ("aws:ecs/taskDefinition:TaskDefinition", prefix, False),
        ("aws:autoscaling/group:Group", prefix, False),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", f"{prefix}-unhealthy", False),
        ("aws:cloudwatch/logGroup:LogGroup", flow_log_group_name(prefix), False),
        ("aws:cloudwatch/logGroup:LogGroup", waf_log_group_name(prefix), False),
        ("aws:s3/bucket:Bucket", access_log_bucket_name(prefix), True),
    ]
    names = [
        DerivedName(type_, physical(name, autonamed), RULES[type_])
        for type_, name, autonamed in shapes
    ]
    longest_tag = build_tag(environment, "0" * 40, "0" * HASH_LENGTH * 2, dirty=True)
    return [*names, DerivedName("docker:index/image:Image", longest_tag, IMAGE_TAG)]


def build_tag(environment: str, commit: str, build_hash: str, dirty: bool = False) -> str:
    """The tag a stack's build is pushed under: its environment, commit and a hash of every
    build input, so two different builds never share a tag (see program/components/registry.py)."""
    return f"build-{environment}-{commit}-{'dirty-' if dirty else ''}{build_hash}"


def deploy_role_name(service_name: str, environment: str) -> str:
    """The role a pipeline assumes to deploy one environment (named, so workflows can)."""
    return f"{resource_prefix(service_name, environment)}-deploy"


def preview_role_name(service_name: str) -> str:
    """The read-only role pull requests assume to preview every environment."""
    return f"{service_name}-preview"


def parameter_path(service_name: str, environment: str) -> str:
    """Where an environment's own SSM parameters live."""
    return f"/shipyard/{service_name}/{environment}"


def secret_parameter_path(service_name: str, environment: str) -> str:
    """Where an environment's secrets live in Parameter Store: those Pulumi keeps, and any a
    team stores there by hand (the environment's roles may read both, nothing else)."""
    return f"/{service_name}/{environment}"


def secret_name_prefix(service_name: str, environment: str) -> str:
    """How an environment's Secrets Manager secrets are named: <service>/<env>/..."""
    return f"{service_name}/{environment}/"


def images_key_alias(service_name: str) -> str:
    """The alias of the service's KMS key for its image repository."""
    return f"alias/{service_name}-images"


def environment_key_alias(service_name: str, environment: str) -> str:
    """The alias of the environment's own KMS key (the service stack makes it)."""
    return f"alias/{resource_prefix(service_name, environment)}"


def release_parameter_name(service_name: str, environment: str) -> str:
    """The environment's release record: the digest it should run."""
    return f"{parameter_path(service_name, environment)}/release"


def build_role_name(service_name: str) -> str:
    """The role the pipeline's build job assumes to push an image (runs on main only)."""
    return f"{service_name}-build"


def prices_role_name(service_name: str) -> str:
    """The role the monthly price refresh assumes (runs on main only): public prices only."""
    return f"{service_name}-prices"


def boundary_policy_name(service_name: str, environment: str) -> str:
    """The permissions boundary every role of one environment carries."""
    return f"{resource_prefix(service_name, environment)}-boundary"


def auto_scaling_group_arn(region: str, account: str, group_name: str) -> str:
    return (
        f"arn:aws:autoscaling:{region}:{account}:autoScalingGroup:*:"
        f"autoScalingGroupName/{group_name}"
    )


def boundary_policy_arn(account: str, service_name: str, environment: str) -> str:
    return f"arn:aws:iam::{account}:policy/{boundary_policy_name(service_name, environment)}"
