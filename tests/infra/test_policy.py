"""The policy pack, run against every shipped stack's resources and against bad ones.

pulumi-policy's ResourceValidationArgs is built by hand from the inputs the program
registered under mocks, so the pack is tested without the Pulumi engine.
"""

from __future__ import annotations

import base64
import json
import runpy
from pathlib import Path

import pulumi_policy
import pytest
import yaml
from pulumi_policy import EnforcementLevel

from devtools import pulumi_mocks
from shipyard.cli.offline_policy import resource_findings, stack_findings
from shipyard.policy.rules import POLICIES

from .conftest import SERVICE_STACKS, SHIPPED_STACKS, evaluated

POLICY_DIR = Path(__file__).resolve().parents[2] / "infra" / "policy"


def violations(
    resource_type: str, props: dict, name: str = "r", protect: bool = False
) -> dict[str, list[str]]:
    """Policy name -> messages it reported for one resource."""
    urn = f"urn:pulumi:test::shipyard::{resource_type}::{name}"
    found: dict[str, list[str]] = {}
    for finding in resource_findings(resource_type, props, urn, protect):
        found.setdefault(finding.policy, []).append(finding.message)
    return found


def stack_violations(evaluation: pulumi_mocks.Evaluation) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in stack_findings(evaluation):
        found.setdefault(finding.policy, []).append(finding.message)
    return found


@pytest.mark.parametrize("stack", SHIPPED_STACKS + SERVICE_STACKS)
def test_every_shipped_stack_passes_the_mandatory_policies(stack):
    found = stack_violations(evaluated(stack))
    mandatory = {p.name for p in POLICIES if p.enforcement_level == EnforcementLevel.MANDATORY}
    assert not (set(found) & mandatory), found
    # dev runs in the default VPC, whose public subnets need public task IPs; stacks
    # without a domain serve plain HTTP: advisory only.
    expected_advisory = {
        "dev": {"ecs-no-public-ip", "alb-http-redirects"},
        "staging": {"alb-http-redirects"},
        "qa": {"alb-http-redirects"},
    }.get(stack, set())
    assert set(found) == expected_advisory


def test_a_certificate_adds_an_https_listener_that_passes_too():
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-aaaa-bbbb-cccc-000000000000"
    overrides = {"certificateArn": arn, "domainName": "", "hostedZone": ""}
    assert stack_violations(pulumi_mocks.evaluate("prod", overrides=overrides)) == {}


def policy_document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


USER_DATA_WITH_KEY = base64.b64encode(b"export AWS_ACCESS_KEY_ID=AKIAABCDEFGHIJKLMNOP").decode()
BAD_RESOURCES = [
    ("aws:ecr/repository:Repository", {"imageTagMutability": "MUTABLE"},
     "ecr-scan-immutable-encrypted", "scan on push is off"),
    ("aws:ecr/repository:Repository",
     {"imageScanningConfiguration": {"scanOnPush": True}, "imageTagMutability": "MUTABLE",
      "encryptionConfigurations": [{"encryptionType": "KMS"}]},
     "ecr-scan-immutable-encrypted", "tags are mutable"),
    ("aws:ecr/repository:Repository",
     {"imageScanningConfiguration": {"scanOnPush": True},
      "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
      "imageTagMutabilityExclusionFilters": [{"filter": "v*", "filterType": "WILDCARD"}],
      "encryptionConfigurations": [{"encryptionType": "KMS"}]},
     "ecr-scan-immutable-encrypted", "tags matching ['v*'] are mutable"),
    ("aws:ecr/repository:Repository",
     {"imageScanningConfiguration": {"scanOnPush": True}, "imageTagMutability": "IMMUTABLE",
      "encryptionConfigurations": [{"encryptionType": "KMS"}]},
     "ecr-scan-immutable-encrypted", "not encrypted with a customer-managed KMS key"),
    ("aws:ecs/cluster:Cluster", {"settings": []},
     "ecs-container-insights", "Container Insights is off"),
    ("aws:ecs/taskDefinition:TaskDefinition",
     {"executionRoleArn": "arn:role/x", "taskRoleArn": "arn:role/x",
      "containerDefinitions": json.dumps([{"name": "app", "privileged": True}])},
     "ecs-task-hardened", "execution role is also the task role"),
    ("aws:ecs/taskDefinition:TaskDefinition",
     {"containerDefinitions": json.dumps(
         [{"name": "app", "privileged": True, "readonlyRootFilesystem": True}]
     )},
     "ecs-task-hardened", "container app is privileged"),
    ("aws:ecs/taskDefinition:TaskDefinition",
     {"containerDefinitions": json.dumps([{"name": "app"}])},
     "ecs-task-hardened", "writable root filesystem"),
    ("aws:ecs/service:Service", {"networkConfiguration": {"assignPublicIp": True}},
     "ecs-no-public-ip", "tasks get public IPs"),
    ("aws:lb/loadBalancer:LoadBalancer", {"dropInvalidHeaderFields": False},
     "alb-drops-invalid-headers", "invalid header fields"),
    ("aws:lb/loadBalancer:LoadBalancer",
     {"dropInvalidHeaderFields": True, "desyncMitigationMode": "monitor"},
     "alb-drops-invalid-headers", "desync mitigation only monitors"),
    ("aws:lb/listener:Listener", {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-2016-08"},
     "alb-https-tls12", "allows TLS below 1.2"),
    ("aws:lb/targetGroup:TargetGroup", {"healthCheck": {"enabled": False}},
     "target-group-health-check", "no HTTP health check"),
    ("aws:ec2/launchTemplate:LaunchTemplate", {"metadataOptions": {"httpTokens": "optional"}},
     "launch-template-locked-down", "IMDSv1 is allowed"),
    ("aws:ec2/launchTemplate:LaunchTemplate",
     {"metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2}},
     "launch-template-locked-down", "hop limit above 1"),
    ("aws:ec2/launchTemplate:LaunchTemplate",
     {"metadataOptions": {"httpTokens": "required"},
      "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "false"}}]},
     "launch-template-locked-down", "volume /dev/xvda is not encrypted"),
    ("aws:ec2/launchTemplate:LaunchTemplate",
     {"metadataOptions": {"httpTokens": "required"}, "userData": USER_DATA_WITH_KEY},
     "launch-template-locked-down", "looks like a secret"),
    ("aws:ecs/taskDefinition:TaskDefinition",
     {"containerDefinitions": json.dumps([{
         "name": "app", "readonlyRootFilesystem": True,
         "environment": [{"name": "DB_PASSWORD", "value": "x"},
                         {"name": "DB_PASSWORD_FILE", "value": "/run/db"},
                         {"name": "GREETING", "value": "hello"}]}])},
     "ecs-task-hardened", "secret-looking plain variables ['DB_PASSWORD']"),
    ("aws:ec2/launchTemplate:LaunchTemplate",
     {"metadataOptions": {"httpTokens": "required"},
      "userData": base64.b64encode(b"docker run --env 'STRIPE_API_KEY=sk_live_x' app").decode()},
     "launch-template-locked-down", "secret-looking plain variables ['STRIPE_API_KEY']"),
    ("aws:autoscaling/group:Group", {"targetGroupArns": ["arn:tg"], "healthCheckType": "EC2"},
     "asg-elb-health-checks", "ignores its health checks"),
    ("aws:cloudwatch/logGroup:LogGroup", {}, "log-retention", "kept forever"),
    ("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
     {"redactedFields": [{"singleHeader": {"name": "authorization"}}]},
     "waf-logs-redacted", "the cookie header(s) are logged in clear"),
    ("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 7}, "log-group-kms",
     "set kmsKeyId"),
    ("aws:sns/topic:Topic", {"name": "t"}, "sns-encrypted", "not encrypted"),
    ("aws:ec2/flowLog:FlowLog", {"trafficType": "REJECT"}, "vpc-flow-logs-all",
     "only REJECT traffic is logged"),
    ("aws:lb/listener:Listener",
     {"protocol": "HTTP", "defaultActions": [{"type": "forward", "targetGroupArn": "tg"}]},
     "alb-http-redirects", "not redirected to HTTPS"),
    ("aws:lb/listener:Listener",
     {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS-1-2-2017-01"},
     "alb-tls13-policy", "is not one of AWS's TLS 1.3 policies"),
    ("aws:acm/certificate:Certificate", {"keyAlgorithm": "RSA_1024"}, "acm-key-length",
     "1024 bits"),
    ("aws:ssm/parameter:Parameter", {"type": "SecureString", "name": "/x"},
     "ssm-securestring-cmk", "AWS's default key"),
    ("aws:ec2/launchTemplate:LaunchTemplate",
     {"metadataOptions": {"httpTokens": "required"},
      "networkInterfaces": [{"associatePublicIpAddress": "true"}]},
     "launch-template-no-public-ip", "instances get public IPs"),
    ("aws:kms/key:Key",
     {"enableKeyRotation": True,
      "policy": policy_document({"Effect": "Allow", "Principal": {"AWS": "*"},
                                 "Action": "kms:Decrypt", "Resource": "*"})},
     "kms-no-public-principal", "allows everyone"),
    ("aws:wafv2/webAcl:WebAcl", {"rules": []}, "waf-managed-rules-and-rate-limit",
     "no known-bad-inputs rules"),
    ("aws:wafv2/webAcl:WebAcl", {"rules": []}, "waf-managed-rules-and-rate-limit",
     "no per-IP rate limit"),
    ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
     {"blockPublicAcls": True, "blockPublicPolicy": False, "ignorePublicAcls": True,
      "restrictPublicBuckets": True},
     "s3-public-access-blocked", "['blockPublicPolicy'] off"),
    ("aws:s3/bucketOwnershipControls:BucketOwnershipControls",
     {"rule": {"objectOwnership": "ObjectWriter"}}, "s3-owner-enforced", "ACLs are on"),
    ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
     {"rules": []}, "s3-encrypted", "no default encryption"),
    ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
     {"rules": [{"id": "x", "status": "Disabled", "expiration": {"days": 9}}]},
     "s3-lifecycle", "never expire"),
    ("aws:s3/bucketPolicy:BucketPolicy",
     {"policy": policy_document({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                 "Resource": "arn:aws:s3:::b/*"})},
     "s3-tls-only", "plain HTTP is not denied"),
    ("aws:lb/loadBalancer:LoadBalancer",
     {"dropInvalidHeaderFields": True, "enableDeletionProtection": True},
     "alb-access-logs", "keeps no access logs"),
    ("aws:kms/key:Key", {"enableKeyRotation": False}, "kms-key-rotation", "rotation is off"),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", {"alarmActions": []}, "alarms-notify",
     "notifies nobody"),
    ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
     {"cidrIpv4": "0.0.0.0/0", "fromPort": 22, "toPort": 22, "description": "ssh"},
     "ingress-described-and-narrow", "ports 22-22 are open to the world"),
    ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
     {"cidrIpv6": "::/0", "fromPort": 0, "toPort": 65535, "description": "all"},
     "ingress-described-and-narrow", "open to the world"),
    ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
     {"cidrIpv4": "10.0.0.0/7", "fromPort": 8443, "toPort": 8443, "description": "test"},
     "ingress-described-and-narrow", "ports 8443-8443 are open to the world"),
    # Half the internet at a time: two rules like it open a test listener to everyone.
    ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
     {"cidrIpv4": "128.0.0.0/1", "fromPort": 8443, "toPort": 8443, "description": "test"},
     "ingress-described-and-narrow", "ports 8443-8443 are open to the world"),
    ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
     {"referencedSecurityGroupId": "sg-1", "fromPort": 8080, "toPort": 8080},
     "ingress-described-and-narrow", "no description"),
    ("aws:iam/rolePolicy:RolePolicy",
     {"policy": policy_document({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:b"})},
     "iam-least-privilege", "wildcard actions ['s3:*']"),
    ("aws:iam/rolePolicy:RolePolicy",
     {"policy": policy_document({"Effect": "Allow", "Action": "kms:Decrypt*",
                                 "Resource": "arn:k"})},
     "iam-least-privilege", "wildcard actions ['kms:Decrypt*']"),
    ("aws:iam/rolePolicy:RolePolicy",
     {"policy": policy_document({"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:x"})},
     "iam-least-privilege", "NotAction or NotResource"),
    ("aws:ec2/securityGroup:SecurityGroup",
     {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22,
                   "cidrBlocks": ["0.0.0.0/0"]}]},
     "security-group-inline-ingress-narrow", "ports 22-22 are open to the world"),
    ("aws:ec2/securityGroupRule:SecurityGroupRule",
     {"type": "ingress", "protocol": "-1", "fromPort": 0, "toPort": 0,
      "ipv6CidrBlocks": ["::/0"]},
     "security-group-rule-narrow", "ports 0-65535 are open to the world"),
    ("aws:iam/rolePolicy:RolePolicy",
     {"policy": policy_document({"Effect": "Allow", "Resource": "*",
                                 "Action": ["ecr:GetAuthorizationToken", "logs:PutLogEvents"]})},
     "iam-least-privilege", "actions ['logs:PutLogEvents'] on every resource"),
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment",
     {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
     "iam-no-admin", "AdministratorAccess"),
]  # fmt: skip


@pytest.mark.parametrize(("resource_type", "props", "policy", "message"), BAD_RESOURCES)
def test_bad_resources_are_reported_by_their_policy(resource_type, props, policy, message):
    found = violations(resource_type, props)
    assert policy in found, found
    assert any(message in reported for reported in found[policy]), found[policy]


def test_policies_ignore_other_resource_types():
    assert violations("aws:s3/bucket:Bucket", {"acl": "public-read"}) == {}


def test_the_pack_entry_point_serves_every_policy(monkeypatch):
    built = {}
    # As the engine runs it: the pack's directory first on sys.path, no gRPC server here.
    monkeypatch.syspath_prepend(str(POLICY_DIR))
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: built.update(kwargs))
    runpy.run_path(str(POLICY_DIR / "__main__.py"), run_name="__main__")
    assert built["name"] == "shipyard"
    assert [p.name for p in built["policies"]] == [p.name for p in POLICIES]
    assert len({policy.name for policy in POLICIES}) == len(POLICIES) == 34
    project = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python"


def test_a_range_of_a_8_or_narrower_is_not_the_world():
    from shipyard.policy import rules

    assert not rules._worldwide("10.0.0.0/8") and rules._worldwide("10.0.0.0/7")
    assert not rules._worldwide("2001:db8::/16") and rules._worldwide("2000::/15")
