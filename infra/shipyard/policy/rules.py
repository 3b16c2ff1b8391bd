"""Security rules for what shipyard deploys, as pulumi-policy resource validations.

Checkov cannot scan Pulumi programs and Pulumi's AWSGuard has no ECR, ECS or log rules, so
these fill the gap. Each description names the Checkov IDs it covers. Every rule reads only
the resource's own inputs, so it can be checked against mocked resources without an engine.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from collections.abc import Callable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from shipyard.config.model import LISTENER_PORTS
from shipyard.config.secret_names import secret_looking

Check = Callable[[dict[str, Any]], list[str]]
# The stacks' build tags name every build input, so a re-push carries the same inputs.
BUILD_TAG_FILTER = "build-*"
# Ranges this wide count as the world: a few of them cover it (0.0.0.0/1 and 128.0.0.0/1).
WORLD_PREFIX = {4: 8, 6: 16}


def _worldwide(cidr: Any) -> bool:
    if not isinstance(cidr, str):
        return False
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False  # not an address range AWS would accept
    return network.prefixlen < WORLD_PREFIX[network.version]
TLS12_POLICIES = re.compile(r"ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-2|FS-1-2)")
# ecr:GetAuthorizationToken has no resource-level permissions; AWS requires "*" for it.
STAR_RESOURCE_ALLOWED = {"ecr:GetAuthorizationToken"}
# How the EC2 boot script passes a plain variable: --env 'NAME=value'.
USER_DATA_VARIABLE = re.compile(r"--env '?([A-Za-z_][A-Za-z0-9_]*)=")


SECRET_PATTERNS = re.compile(
    r"AKIA[0-9A-Z]{16}|aws_secret_access_key|-----BEGIN [A-Z ]*PRIVATE KEY-----|password\s*=",
    re.IGNORECASE,
)


def _ecr_repository(props: dict[str, Any]) -> list[str]:
    problems = []
    if not (props.get("imageScanningConfiguration") or {}).get("scanOnPush"):
        problems.append("scan on push is off; set imageScanningConfiguration.scanOnPush")
    mutability = props.get("imageTagMutability")
    excluded = [
        item.get("filter") for item in props.get("imageTagMutabilityExclusionFilters") or []
    ]
    if mutability == "IMMUTABLE_WITH_EXCLUSION":
        # Only shipyard's own build tags may be pushed again; every other tag is immutable.
        loose = [pattern for pattern in excluded if pattern != BUILD_TAG_FILTER]
        if loose:
            problems.append(f"tags matching {loose} are mutable; only {BUILD_TAG_FILTER} may be")
    elif mutability != "IMMUTABLE":
        problems.append("tags are mutable; set imageTagMutability to IMMUTABLE")
    encryption = props.get("encryptionConfigurations") or [{}]
    if encryption[0].get("encryptionType") != "KMS" or not encryption[0].get("kmsKey"):
        problems.append("images are not encrypted with a customer-managed KMS key; set kmsKey")
    return problems


def _ecs_cluster(props: dict[str, Any]) -> list[str]:
    settings = {s.get("name"): s.get("value") for s in props.get("settings") or []}
    if settings.get("containerInsights") not in ("enabled", "enhanced"):
        return ["Container Insights is off"]
    return []


def _task_definition(props: dict[str, Any]) -> list[str]:
    problems = []
    if props.get("executionRoleArn") and props.get("executionRoleArn") == props.get("taskRoleArn"):
        problems.append("the execution role is also the task role; give the task its own")
    for container in json.loads(props.get("containerDefinitions") or "[]"):
        name = container.get("name", "?")
        if container.get("privileged"):
            problems.append(f"container {name} is privileged")
        if not container.get("readonlyRootFilesystem"):
            problems.append(f"container {name} has a writable root filesystem")
        plain = [
            variable.get("name", "")
            for variable in container.get("environment") or []
            if secret_looking(variable.get("name", ""))
        ]
        if plain:
            problems.append(
                f"container {name} has secret-looking plain variables {sorted(plain)}; pass "
                "them as secrets (valueFrom)"
            )
    return problems


def _ecs_service_public_ip(props: dict[str, Any]) -> list[str]:
    if (props.get("networkConfiguration") or {}).get("assignPublicIp"):
        return ["tasks get public IPs; run them in private subnets (useDefaultVpc: false)"]
    return []


def _load_balancer(props: dict[str, Any]) -> list[str]:
    problems = []
    if not props.get("dropInvalidHeaderFields"):
        problems.append("invalid header fields are passed on; set dropInvalidHeaderFields")
    if props.get("desyncMitigationMode") == "monitor":
        problems.append("desync mitigation only monitors; use defensive or strictest")
    return problems


def _listener(props: dict[str, Any]) -> list[str]:
    if props.get("protocol") == "HTTPS" and not TLS12_POLICIES.match(props.get("sslPolicy") or ""):
        return [f"TLS policy {props.get('sslPolicy')!r} allows TLS below 1.2"]
    return []


def _target_group(props: dict[str, Any]) -> list[str]:
    check = props.get("healthCheck") or {}
    if not check.get("enabled") or not check.get("path"):
        return ["no HTTP health check; set healthCheck.enabled and healthCheck.path"]
    return []


def _launch_template(props: dict[str, Any]) -> list[str]:
    problems = []
    metadata = props.get("metadataOptions") or {}
    if metadata.get("httpTokens") != "required":
        problems.append("IMDSv1 is allowed; set metadataOptions.httpTokens to required")
    if (metadata.get("httpPutResponseHopLimit") or 1) > 1:
        problems.append("IMDS hop limit above 1 lets containers reach instance credentials")
    for mapping in props.get("blockDeviceMappings") or []:
        if str((mapping.get("ebs") or {}).get("encrypted")).lower() != "true":
            problems.append(f"volume {mapping.get('deviceName')} is not encrypted")
    user_data = base64.b64decode(props.get("userData") or "").decode(errors="replace")
    if SECRET_PATTERNS.search(user_data):
        problems.append("user data holds what looks like a secret; fetch it at boot instead")
    plain = sorted({name for name in USER_DATA_VARIABLE.findall(user_data) if secret_looking(name)})
    if plain:
        problems.append(
            f"user data passes secret-looking plain variables {plain}; fetch them at boot "
            "(shipyard:secrets)"
        )
    return problems


def _auto_scaling_group(props: dict[str, Any]) -> list[str]:
    if props.get("targetGroupArns") and props.get("healthCheckType") != "ELB":
        return ["the group is behind a load balancer but ignores its health checks; use ELB"]
    return []


def _log_group(props: dict[str, Any]) -> list[str]:
    if not props.get("retentionInDays"):
        return ["logs are kept forever; set retentionInDays"]
    return []


def _log_group_encrypted(props: dict[str, Any]) -> list[str]:
    if not props.get("kmsKeyId"):
        return ["logs are encrypted with CloudWatch's key only; set kmsKeyId to a KMS key"]
    return []


def _topic_encrypted(props: dict[str, Any]) -> list[str]:
    if not props.get("kmsMasterKeyId"):
        return ["the topic is not encrypted; set kmsMasterKeyId"]
    return []


def _key_rotated(props: dict[str, Any]) -> list[str]:
    usage = props.get("keyUsage") or "ENCRYPT_DECRYPT"
    spec = props.get("customerMasterKeySpec") or props.get("keySpec") or "SYMMETRIC_DEFAULT"
    if usage == "ENCRYPT_DECRYPT" and spec == "SYMMETRIC_DEFAULT" and not props.get(
        "enableKeyRotation"
    ):
        return ["key rotation is off; set enableKeyRotation"]
    return []


def _alarm_notifies(props: dict[str, Any]) -> list[str]:
    if not props.get("alarmActions"):
        return ["the alarm notifies nobody; set alarmActions (an SNS topic)"]
    return []


def _public_access_blocked(props: dict[str, Any]) -> list[str]:
    keys = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    open_ = [key for key in keys if props.get(key) is not True]
    return [f"public access is not fully blocked: {open_} off"] if open_ else []


def _owner_enforced(props: dict[str, Any]) -> list[str]:
    if (props.get("rule") or {}).get("objectOwnership") != "BucketOwnerEnforced":
        return ["ACLs are on; set objectOwnership to BucketOwnerEnforced"]
    return []


def _bucket_encrypted(props: dict[str, Any]) -> list[str]:
    rules = props.get("rules") or []
    algorithms = {
        (rule.get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm")
        for rule in rules
    }
    if not algorithms & {"AES256", "aws:kms", "aws:kms:dsse"}:
        return ["no default encryption; set sseAlgorithm"]
    return []


def _bucket_lifecycle(props: dict[str, Any]) -> list[str]:
    expiring = [
        rule for rule in props.get("rules") or []
        if rule.get("status") == "Enabled" and (rule.get("expiration") or {}).get("days")
    ]  # fmt: skip
    return [] if expiring else ["objects never expire; add an enabled expiration rule"]


def _bucket_tls_only(props: dict[str, Any]) -> list[str]:
    for statement in _statements(props):
        condition = (statement.get("Condition") or {}).get("Bool") or {}
        if statement.get("Effect") == "Deny" and str(
            condition.get("aws:SecureTransport")
        ).lower() == "false":
            return []
    return ["plain HTTP is not denied; add a Deny on aws:SecureTransport false"]


def _protected_alb_logs(props: dict[str, Any]) -> list[str]:
    if props.get("enableDeletionProtection") and not (props.get("accessLogs") or {}).get(
        "enabled"
    ):
        return ["a production load balancer (deletion protection on) keeps no access logs"]
    return []


def _web_acl(props: dict[str, Any]) -> list[str]:
    rules = props.get("rules") or []
    groups = {
        ((rule.get("statement") or {}).get("managedRuleGroupStatement") or {}).get("name")
        for rule in rules
    }
    problems = []
    if "AWSManagedRulesKnownBadInputsRuleSet" not in groups:
        problems.append("no known-bad-inputs rules (Log4j and the like)")
    if not any((rule.get("statement") or {}).get("rateBasedStatement") for rule in rules):
        problems.append("no per-IP rate limit")
    return problems


# Headers that carry credentials, which WAF's logs must write as REDACTED.
CREDENTIAL_HEADERS = ("authorization", "cookie")


def _waf_logs(props: dict[str, Any]) -> list[str]:
    redacted = {
        str(((field or {}).get("singleHeader") or {}).get("name", "")).lower()
        for field in props.get("redactedFields") or []
    }
    missing = [header for header in CREDENTIAL_HEADERS if header not in redacted]
    if not missing:
        return []
    return [f"the {', '.join(missing)} header(s) are logged in clear; redact them"]


def _flow_log(props: dict[str, Any]) -> list[str]:
    if props.get("trafficType") != "ALL":
        return [f"only {props.get('trafficType')} traffic is logged; log ALL"]
    return []


def _http_redirects(props: dict[str, Any]) -> list[str]:
    actions = props.get("defaultActions") or []
    if props.get("protocol") == "HTTP" and not any(
        action.get("type") == "redirect"
        and (action.get("redirect") or {}).get("protocol") == "HTTPS"
        for action in actions
    ):
        return ["plain HTTP is served, not redirected to HTTPS; set domainName"]
    return []


def _tls13_policy(props: dict[str, Any]) -> list[str]:
    policy = props.get("sslPolicy") or ""
    if props.get("protocol") == "HTTPS" and not policy.startswith("ELBSecurityPolicy-TLS13-"):
        return [f"TLS policy {policy!r} is not one of AWS's TLS 1.3 policies"]
    return []


def _certificate_key(props: dict[str, Any]) -> list[str]:
    if (props.get("keyAlgorithm") or "RSA_2048") == "RSA_1024":
        return ["the certificate's RSA key is 1024 bits; use RSA_2048 or an EC key"]
    return []


def _secure_parameter_key(props: dict[str, Any]) -> list[str]:
    if props.get("type") == "SecureString" and not props.get("keyId"):
        return ["the SecureString uses AWS's default key; set keyId to a customer key"]
    return []


def _launch_template_no_public_ip(props: dict[str, Any]) -> list[str]:
    interfaces = props.get("networkInterfaces") or []
    if any(str(i.get("associatePublicIpAddress")).lower() == "true" for i in interfaces):
        return ["instances get public IPs; run them in private subnets (useDefaultVpc: false)"]
    return []


def _key_policy_principals(props: dict[str, Any]) -> list[str]:
    for statement in _statements(props):
        principal = statement.get("Principal")
        everyone = principal == "*" or (
            isinstance(principal, dict) and "*" in _as_list(principal.get("AWS"))
        )
        if statement.get("Effect") == "Allow" and everyone:
            return ["the key policy allows everyone (Principal *)"]
    return []


def _statements(props: dict[str, Any]) -> list[dict[str, Any]]:
    """The statements of a resource's `policy` document (a single one may stand unlisted)."""
    statements = json.loads(props.get("policy") or "{}").get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _ingress_rule(props: dict[str, Any]) -> list[str]:
    problems = []
    if not props.get("description"):
        problems.append("the rule has no description")
    sources = {cidr for cidr in (props.get("cidrIpv4"), props.get("cidrIpv6")) if _worldwide(cidr)}
    problems += _world_ports(sources, props)
    return problems


def _world_ports(sources: set[Any], props: dict[str, Any]) -> list[str]:
    """Ports a rule opens to the world beyond the load balancer's listener ports."""
    if str(props.get("ipProtocol", props.get("protocol", "tcp"))) in ("-1", "all"):
        ports = set(range(0, 65536))
    else:
        ports = set(range(int(props.get("fromPort", 0)), int(props.get("toPort", 65535)) + 1))
    if sources and not ports <= LISTENER_PORTS:
        return [f"ports {min(ports)}-{max(ports)} are open to the world; only 80 and 443 may be"]
    return []


def _open_to_world(rules: list[dict[str, Any]]) -> list[str]:
    """The older shapes of ingress rules (CIDR lists) that open more than the listeners."""
    problems = []
    for rule in rules:
        sources = set(_as_list(rule.get("cidrBlocks"))) | set(_as_list(rule.get("ipv6CidrBlocks")))
        problems += _world_ports({cidr for cidr in sources if _worldwide(cidr)}, rule)
    return problems


def _inline_ingress(props: dict[str, Any]) -> list[str]:
    return _open_to_world(props.get("ingress") or [])


def _security_group_rule(props: dict[str, Any]) -> list[str]:
    return [] if props.get("type") == "egress" else _open_to_world([props])


def _iam_policy(props: dict[str, Any]) -> list[str]:
    problems = []
    for statement in _statements(props):
        if statement.get("Effect") != "Allow":
            continue
        actions = _as_list(statement.get("Action"))
        resources = _as_list(statement.get("Resource"))
        wildcards = [a for a in actions if "*" in a or "?" in a]
        if wildcards:
            problems.append(f"wildcard actions {wildcards}")
        if statement.get("NotAction") or statement.get("NotResource"):
            problems.append("NotAction or NotResource allows everything not listed")
        if "*" in resources and not set(actions) <= STAR_RESOURCE_ALLOWED:
            problems.append(
                f"actions {sorted(set(actions) - STAR_RESOURCE_ALLOWED)} on every resource"
            )
    return problems


def _managed_policy(props: dict[str, Any]) -> list[str]:
    if (props.get("policyArn") or "").endswith(":policy/AdministratorAccess"):
        return ["AdministratorAccess is attached"]
    return []


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _policy(
    name: str,
    description: str,
    resource_type: str,
    check: Check,
    level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type == resource_type:
            for problem in check(dict(args.props)):
                report_violation(f"{args.name}: {problem}", None)

    return ResourceValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=level
    )


POLICIES: list[ResourceValidationPolicy] = [
    _policy(
        "ecr-scan-immutable-encrypted",
        "ECR scans on push, tags are immutable (but for build-* tags), images encrypted with "
        "a customer-managed key (CKV_AWS_163, 51, 136).",
        "aws:ecr/repository:Repository",
        _ecr_repository,
    ),
    _policy(
        "ecs-container-insights",
        "ECS clusters have Container Insights (CKV_AWS_65).",
        "aws:ecs/cluster:Cluster",
        _ecs_cluster,
    ),
    _policy(
        "ecs-task-hardened",
        "Containers are not privileged, have a read-only root filesystem and no "
        "secret-looking plain variables, and the task role is not the execution role "
        "(CKV_AWS_334, 336, 45, 249).",
        "aws:ecs/taskDefinition:TaskDefinition",
        _task_definition,
    ),
    _policy(
        "ecs-no-public-ip",
        "ECS tasks get no public IP (CKV_AWS_333); advisory, as the default VPC needs one.",
        "aws:ecs/service:Service",
        _ecs_service_public_ip,
        EnforcementLevel.ADVISORY,
    ),
    _policy(
        "alb-drops-invalid-headers",
        "The ALB drops invalid headers and mitigates desync (CKV_AWS_131, 328).",
        "aws:lb/loadBalancer:LoadBalancer",
        _load_balancer,
    ),
    _policy(
        "alb-https-tls12",
        "HTTPS listeners allow TLS 1.2 and newer only (CKV_AWS_103).",
        "aws:lb/listener:Listener",
        _listener,
    ),
    _policy(
        "target-group-health-check",
        "Target groups check health over HTTP (CKV_AWS_261).",
        "aws:lb/targetGroup:TargetGroup",
        _target_group,
    ),
    _policy(
        "launch-template-locked-down",
        "IMDSv2 with hop limit 1, encrypted volumes, no secrets or secret-looking plain "
        "variables in user data (CKV_AWS_79, 341, 8, 46).",
        "aws:ec2/launchTemplate:LaunchTemplate",
        _launch_template,
    ),
    _policy(
        "asg-elb-health-checks",
        "Auto Scaling groups behind a load balancer use its health checks (CKV2_AWS_15).",
        "aws:autoscaling/group:Group",
        _auto_scaling_group,
    ),
    _policy(
        "log-retention",
        "Log groups expire their events (CKV_AWS_66).",
        "aws:cloudwatch/logGroup:LogGroup",
        _log_group,
    ),
    _policy(
        "log-group-kms",
        "Log groups are encrypted with a customer-managed KMS key (CKV_AWS_158).",
        "aws:cloudwatch/logGroup:LogGroup",
        _log_group_encrypted,
    ),
    _policy(
        "sns-encrypted",
        "SNS topics are encrypted with KMS (CKV_AWS_26).",
        "aws:sns/topic:Topic",
        _topic_encrypted,
    ),
    _policy(
        "kms-key-rotation",
        "Symmetric KMS keys rotate (CKV_AWS_7).",
        "aws:kms/key:Key",
        _key_rotated,
    ),
    _policy(
        "alarms-notify",
        "Every alarm has an action that notifies someone (FSBP CloudWatch.15).",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        _alarm_notifies,
    ),
    _policy(
        "s3-public-access-blocked",
        "S3 buckets block every kind of public access (CKV2_AWS_6).",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        _public_access_blocked,
    ),
    _policy(
        "s3-owner-enforced",
        "S3 buckets disable ACLs: the owner owns every object (CKV2_AWS_65).",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        _owner_enforced,
    ),
    _policy(
        "s3-encrypted",
        "S3 buckets encrypt objects by default (CKV_AWS_19).",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        _bucket_encrypted,
    ),
    _policy(
        "s3-lifecycle",
        "S3 buckets expire what they hold (CKV2_AWS_61).",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        _bucket_lifecycle,
    ),
    _policy(
        "s3-tls-only",
        "S3 bucket policies deny requests over plain HTTP (FSBP S3.5).",
        "aws:s3/bucketPolicy:BucketPolicy",
        _bucket_tls_only,
    ),
    _policy(
        "alb-access-logs",
        "Production load balancers (deletion protection on) keep access logs (CKV_AWS_91).",
        "aws:lb/loadBalancer:LoadBalancer",
        _protected_alb_logs,
    ),
    _policy(
        "waf-managed-rules-and-rate-limit",
        "Web ACLs block known bad inputs and rate-limit each IP (CKV_AWS_192, FSBP WAF.10).",
        "aws:wafv2/webAcl:WebAcl",
        _web_acl,
    ),
    _policy(
        "waf-logs-redacted",
        "Web ACL logs redact the authorization and cookie headers (CKV2_AWS_31 with "
        "credentials kept out of the logs).",
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
        _waf_logs,
    ),
    _policy(
        "vpc-flow-logs-all",
        "VPC flow logs record all traffic, accepted and rejected (CKV2_AWS_11, FSBP EC2.6).",
        "aws:ec2/flowLog:FlowLog",
        _flow_log,
    ),
    _policy(
        "alb-http-redirects",
        "HTTP listeners only redirect to HTTPS (CKV2_AWS_20); advisory, as stacks without a "
        "domain serve plain HTTP.",
        "aws:lb/listener:Listener",
        _http_redirects,
        EnforcementLevel.ADVISORY,
    ),
    _policy(
        "alb-tls13-policy",
        "HTTPS listeners use one of AWS's TLS 1.3 security policies (FSBP ELB.17).",
        "aws:lb/listener:Listener",
        _tls13_policy,
    ),
    _policy(
        "acm-key-length",
        "ACM certificates use RSA keys of at least 2048 bits (FSBP ACM.2).",
        "aws:acm/certificate:Certificate",
        _certificate_key,
    ),
    _policy(
        "ssm-securestring-cmk",
        "SecureString parameters are encrypted with a customer-managed key (CKV_AWS_337).",
        "aws:ssm/parameter:Parameter",
        _secure_parameter_key,
    ),
    _policy(
        "launch-template-no-public-ip",
        "Instances get no public IP (CKV_AWS_88); advisory, as the default VPC needs one.",
        "aws:ec2/launchTemplate:LaunchTemplate",
        _launch_template_no_public_ip,
        EnforcementLevel.ADVISORY,
    ),
    _policy(
        "kms-no-public-principal",
        "KMS key policies allow no wildcard principal (CKV_AWS_33).",
        "aws:kms/key:Key",
        _key_policy_principals,
    ),
    _policy(
        "ingress-described-and-narrow",
        "Ingress rules are described; only 80 and 443 are open to the world (CKV_AWS_23, "
        "24, 25, 260, 277).",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        _ingress_rule,
    ),
    _policy(
        "security-group-inline-ingress-narrow",
        "Inline security group ingress opens only 80 and 443 to the world (CKV_AWS_24, 25, "
        "260, 277).",
        "aws:ec2/securityGroup:SecurityGroup",
        _inline_ingress,
    ),
    _policy(
        "security-group-rule-narrow",
        "Security group rules open only 80 and 443 to the world (CKV_AWS_24, 25, 260, 277).",
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        _security_group_rule,
    ),
    _policy(
        "iam-least-privilege",
        "Role policies use no wildcard or NotAction actions and no '*' resource beyond "
        "ecr:GetAuthorizationToken (CKV_AWS_62, 63, 274, 355).",
        "aws:iam/rolePolicy:RolePolicy",
        _iam_policy,
    ),
    _policy(
        "iam-no-admin",
        "No role gets AdministratorAccess (CKV_AWS_274).",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        _managed_policy,
    ),
]
