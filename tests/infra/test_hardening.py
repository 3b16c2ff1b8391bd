"""Production hardening (issue 12): alarms that reach a person, logs and topics encrypted with
the environment's own key."""

from __future__ import annotations

import json
import re

import pytest

from devtools import pulumi_mocks
from shipyard.config import SettingsError

from .conftest import SHIPPED_STACKS, evaluated, looked_up_key_arn

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
REGION, ACCOUNT = pulumi_mocks.REGION, pulumi_mocks.ACCOUNT


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_alarm_notifies_the_environments_encrypted_topic(stack):
    evaluation = evaluated(stack)
    topic = evaluation.one(TOPIC)
    assert topic.inputs["name"] == f"shipyard-sample-{stack}-alarms"
    assert topic.inputs["kmsMasterKeyId"] == looked_up_key_arn(stack)
    topic_arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:shipyard-sample-{stack}-alarms"
    alarms = evaluation.of_type(ALARM)
    # Two target groups (blue/green, canary) have an unhealthy-host alarm each.
    assert len(alarms) == (5 if stack in ("staging", "prod") else 4)
    for alarm in alarms:
        assert alarm.inputs["alarmActions"] == [topic_arn], alarm.name
        assert alarm.inputs["okActions"] == [topic_arn], alarm.name
    assert evaluation.outputs["alarmTopicArn"] == topic_arn


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_the_log_group_is_encrypted_with_the_environments_key(stack):
    for log_group in evaluated(stack).of_type(LOG_GROUP):  # the service's, the VPC's flows
        assert log_group.inputs["kmsKeyId"] == looked_up_key_arn(stack), log_group.name


def test_alarm_emails_are_subscribed_by_a_name_that_ignores_their_order():
    emails = ["ops@example.com", "oncall@example.org"]
    first = pulumi_mocks.evaluate("prod", overrides={"alarmEmails": emails})
    again = pulumi_mocks.evaluate("prod", overrides={"alarmEmails": emails[::-1]})
    subscriptions = {s.name: s.inputs for s in first.of_type(SUBSCRIPTION)}
    assert sorted(s["endpoint"] for s in subscriptions.values()) == sorted(emails)
    assert {s["protocol"] for s in subscriptions.values()} == {"email"}
    assert {s.name for s in again.of_type(SUBSCRIPTION)} == set(subscriptions)


def test_an_existing_topic_is_notified_instead_of_creating_one():
    arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:pager"
    evaluation = pulumi_mocks.evaluate("prod", overrides={"alarmTopicArn": arn})
    assert evaluation.of_type(TOPIC) == [] and evaluation.of_type(SUBSCRIPTION) == []
    assert {tuple(a.inputs["alarmActions"]) for a in evaluation.of_type(ALARM)} == {(arn,)}


def test_an_environment_whose_key_the_service_stack_has_not_made_is_refused():
    mocks = pulumi_mocks.RecordingMocks(keys=set())
    with pytest.raises(SettingsError) as raised:
        pulumi_mocks.evaluate("prod", mocks=mocks)
    assert raised.value.problems == [
        "shipyard:serviceName: the environment's key alias/shipyard-sample-prod, which encrypts "
        "its logs, its alarm topic and the secrets Pulumi keeps, does not exist; add prod to "
        "the service stack's deployEnvironments and run `pulumi up -s shared` first"
    ]
    assert mocks.resources == {}


CERTIFICATE = "aws:acm/certificate:Certificate"
RECORD = "aws:route53/record:Record"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
LISTENER = "aws:lb/listener:Listener"


def test_prod_serves_https_on_its_domain_with_a_dns_validated_certificate():
    prod = evaluated("prod")
    certificate = prod.one(CERTIFICATE)
    assert certificate.inputs["domainName"] == "app.example.com"
    assert certificate.inputs["validationMethod"] == "DNS"
    records = {record.inputs["type"]: record.inputs for record in prod.of_type(RECORD)}
    # The validation record ACM asks for, in the given zone (looked up by name).
    assert ("aws:route53/getZone:getZone", "example.com") in [
        (token, args.get("name")) for token, args in prod.calls
    ]
    validation = records["CNAME"]
    assert validation["zoneId"] == "Z0123456789EXAMPLE"
    assert validation["name"].endswith(".app.example.com.")
    assert validation["records"][0].endswith(".acm-validations.aws.")
    assert prod.one(VALIDATION).inputs["validationRecordFqdns"] == [
        validation["name"].rstrip(".")
    ]
    # An A alias to the load balancer, and no AAAA: the load balancer is IPv4 only, so an
    # AAAA alias would answer nothing.
    assert sorted(records) == ["A", "CNAME"]
    assert prod.one("aws:lb/loadBalancer:LoadBalancer").inputs.get("ipAddressType") in (
        None, "ipv4"
    )
    for record_type in ("A",):
        alias = records[record_type]
        assert alias["name"] == "app.example.com" and alias["zoneId"] == "Z0123456789EXAMPLE"
        (target,) = alias["aliases"]
        assert target["name"].endswith(".elb.amazonaws.com")
        assert target["zoneId"] == "Z35SXDOTRQ7X7K" and target["evaluateTargetHealth"] is True
    listeners = {listener.inputs["port"]: listener for listener in prod.of_type(LISTENER)}
    https = listeners[443]
    assert https.inputs["protocol"] == "HTTPS"
    assert https.inputs["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    # The listener uses the certificate once it is validated, not before.
    assert (VALIDATION, "shipyard-sample-prod-validation") in https.dependencies
    assert listeners[80].inputs["defaultActions"][0]["redirect"]["protocol"] == "HTTPS"
    assert prod.outputs["url"] == "https://app.example.com"


def test_a_zone_given_by_id_must_hold_the_domain():
    mocks = pulumi_mocks.RecordingMocks()
    with pytest.raises(SettingsError) as raised:
        pulumi_mocks.evaluate(
            "prod", overrides={"domainName": "app.other.org", "hostedZone": "Z0123456789EXAMPLE"},
            mocks=mocks,
        )  # fmt: skip
    assert raised.value.problems == [
        "shipyard:domainName: app.other.org is not in the zone example.com "
        "(Z0123456789EXAMPLE); use a name under it, or the zone it belongs to"
    ]
    assert mocks.resources == {}


BUCKET = "aws:s3/bucket:Bucket"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_access_logs_go_to_a_closed_encrypted_tls_only_bucket_that_expires_them(stack):
    evaluation = evaluated(stack)
    prefix = f"shipyard-sample-{stack}"
    bucket = evaluation.one(BUCKET)
    assert bucket.name == f"{prefix}-alb-logs"
    assert bucket.protect is (stack == "prod") and bucket.inputs["forceDestroy"] is (
        stack != "prod"
    )
    block = evaluation.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(block[key] is True for key in (
        "blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"
    ))  # fmt: skip
    ownership = evaluation.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    encryption = evaluation.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    assert encryption.inputs["rules"] == [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
    ]
    (rule,) = evaluation.one(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    ).inputs["rules"]
    assert rule["status"] == "Enabled" and rule["expiration"] == {"days": 90}
    policy = evaluation.one("aws:s3/bucketPolicy:BucketPolicy")
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    assert statements["DenyPlainHttp"]["Effect"] == "Deny"
    assert statements["DenyPlainHttp"]["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    delivery = statements["LoadBalancerLogDelivery"]
    assert delivery["Principal"] == {"AWS": "arn:aws:iam::127311923021:root"}
    assert delivery["Action"] == "s3:PutObject"
    assert delivery["Resource"].endswith(f"/AWSLogs/{ACCOUNT}/*")
    # The load balancer logs there, once the bucket lets it.
    load_balancer = evaluation.one(LOAD_BALANCER)
    assert load_balancer.inputs["accessLogs"]["enabled"] is True
    assert load_balancer.inputs["accessLogs"]["bucket"].startswith(f"{prefix}-alb-logs-")
    assert ("aws:s3/bucketPolicy:BucketPolicy", policy.name) in load_balancer.dependencies


@pytest.mark.parametrize("stack", ["dev", "qa"])
def test_stacks_without_access_logs_have_no_bucket(stack):
    evaluation = evaluated(stack)
    assert evaluation.of_type(BUCKET) == []
    assert not evaluation.one(LOAD_BALANCER).inputs.get("accessLogs")


@pytest.mark.parametrize("stack", ["staging", "prod", "qa"])
def test_a_created_vpc_logs_every_flow_with_a_role_that_may_only_write_them(stack):
    evaluation = evaluated(stack)
    prefix = f"shipyard-sample-{stack}"
    flow_log = evaluation.one("aws:ec2/flowLog:FlowLog").inputs
    group = evaluation.resources[(LOG_GROUP, f"{prefix}-flow-logs")].inputs
    assert group["name"] == f"/shipyard/{prefix}/flow-logs"
    service_logs = evaluation.resources[(LOG_GROUP, f"{prefix}-logs")].inputs
    assert group["retentionInDays"] == service_logs["retentionInDays"]
    assert flow_log["trafficType"] == "ALL" and flow_log["maxAggregationInterval"] == 60
    assert flow_log["logDestinationType"] == "cloud-watch-logs"
    assert flow_log["logDestination"].endswith(f"log-group:/shipyard/{prefix}/flow-logs")
    role = evaluation.resources[("aws:iam/role:Role", f"{prefix}-flow-logs")].inputs
    (trust,) = json.loads(role["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc-flow-log/*"},
    }
    (grant,) = json.loads(
        evaluation.resources[("aws:iam/rolePolicy:RolePolicy", f"{prefix}-flow-logs")].inputs[
            "policy"
        ]
    )["Statement"]
    assert grant["Action"] == ["logs:CreateLogStream", "logs:DescribeLogStreams",
                               "logs:PutLogEvents"]  # fmt: skip
    assert grant["Resource"] == [
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/shipyard/{prefix}/flow-logs",
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/shipyard/{prefix}/flow-logs:*"
    ]


def test_the_default_vpc_gets_no_flow_logs_of_shipyards():
    assert evaluated("dev").of_type("aws:ec2/flowLog:FlowLog") == []


def test_prod_has_a_web_acl_with_managed_rules_and_a_rate_limit_on_its_load_balancer():
    prod = evaluated("prod")
    acl = prod.one("aws:wafv2/webAcl:WebAcl").inputs
    assert acl["scope"] == "REGIONAL" and acl["defaultAction"] == {"allow": {}}
    rules = {rule["name"]: rule for rule in acl["rules"]}
    for group in ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
                  "AWSManagedRulesAmazonIpReputationList"):  # fmt: skip
        assert rules[group]["statement"]["managedRuleGroupStatement"] == {
            "name": group, "vendorName": "AWS"
        }  # fmt: skip
        assert rules[group]["overrideAction"] == {"none": {}}
    rate = rules["rate-limit-per-ip"]
    assert rate["action"] == {"block": {}}
    assert rate["statement"]["rateBasedStatement"] == {
        "limit": 2000, "aggregateKeyType": "IP", "evaluationWindowSec": 300
    }  # fmt: skip
    assert len({rule["priority"] for rule in acl["rules"]}) == 4
    association = prod.one("aws:wafv2/webAclAssociation:WebAclAssociation").inputs
    assert association["resourceArn"].endswith(
        "loadbalancer/app/shipyard-sample-prod-alb/50dc6c495c0c9188"
    )
    assert evaluated("staging").of_type("aws:wafv2/webAcl:WebAcl") == []


def test_the_web_acl_logs_what_it_blocks_to_an_encrypted_group_with_credentials_redacted():
    prod = evaluated("prod")
    (group,) = [g for g in prod.of_type("aws:cloudwatch/logGroup:LogGroup")
                if g.name == "shipyard-sample-prod-waf-logs"]  # fmt: skip
    # WAF logs only to CloudWatch groups whose name starts with aws-waf-logs- (its guide);
    # a group name is at most 512 characters (naming.derived_names checks every stack's).
    assert group.inputs["name"] == "aws-waf-logs-shipyard-sample-prod"
    assert group.inputs["kmsKeyId"] == looked_up_key_arn("prod")
    assert group.inputs["retentionInDays"] == 365 and group.protect
    logging = prod.one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    inputs = logging.inputs
    # One destination per web ACL (PutLoggingConfiguration), the group's ARN without :*.
    assert inputs["logDestinationConfigs"] == [
        f"arn:aws:logs:{pulumi_mocks.REGION}:{pulumi_mocks.ACCOUNT}:log-group:"
        "aws-waf-logs-shipyard-sample-prod"
    ]
    assert inputs["resourceArn"].endswith("/shipyard-sample-prod-waf")  # the web ACL's
    # Header names as WAF returns them: lowercase, or every preview shows a change.
    assert inputs["redactedFields"] == [
        {"singleHeader": {"name": "authorization"}}, {"singleHeader": {"name": "cookie"}}
    ]  # fmt: skip
    (kept,) = inputs["loggingFilter"]["filters"]
    assert inputs["loggingFilter"]["defaultBehavior"] == "DROP"
    assert kept["behavior"] == "KEEP" and kept["requirement"] == "MEETS_ANY"
    assert [c["actionCondition"]["action"] for c in kept["conditions"]] == [
        "BLOCK", "COUNT", "CAPTCHA", "CHALLENGE"
    ]  # fmt: skip
    assert logging.parent_type == "shipyard:index:WebFirewall"


def test_the_access_log_bucket_expires_logs_and_aborts_unfinished_uploads():
    lifecycle = evaluated("prod").one(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    )
    (rule,) = lifecycle.inputs["rules"]
    assert rule["status"] == "Enabled" and rule["filter"] == {"prefix": ""}
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 1}
    assert rule["expiration"]["days"] >= 90


def test_in_a_newer_region_the_log_delivery_service_writes_the_access_logs():
    # staging's secret references name us-east-1: this one runs without them.
    config = {**pulumi_mocks.stack_config("staging"), "aws:region": "ca-west-1"}
    evaluation = pulumi_mocks.evaluate(
        "staging", config=config, overrides={"secrets": [], "secretValues": []}
    )
    policy = evaluation.one("aws:s3/bucketPolicy:BucketPolicy")
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    assert statements["LoadBalancerLogDelivery"]["Principal"] == {
        "Service": "logdelivery.elasticloadbalancing.amazonaws.com"
    }


def test_every_web_acl_metric_name_is_one_wafv2_takes():
    # VisibilityConfig.MetricName: 1-128 letters, digits and # : . - / _ (the API's pattern).
    acl = evaluated("prod").one("aws:wafv2/webAcl:WebAcl").inputs
    names = [acl["visibilityConfig"]["metricName"]] + [
        rule["visibilityConfig"]["metricName"] for rule in acl["rules"]
    ]
    assert len(names) == 5
    for name in names:
        assert re.fullmatch(r"[\w#:./-]{1,128}", name), name
