"""What AWS would reject, or what would break later, refused before any resource.

Each case is a shipped stack file with some keys changed (full key paths, as the engine
passes them), evaluated by the real program under a stack name: it must fail with one
SettingsError that names the key path and says what is allowed, with nothing registered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from devtools import pulumi_mocks
from shipyard.config import SettingsError
from shipyard.config.engine_config import ConfigTypeError

from .conftest import refused


@dataclass(frozen=True)
class Bad:
    key_path: str
    advice: str
    config: dict[str, object] = field(default_factory=dict)
    stack_file: str = "dev"
    stack_name: str | None = None  # evaluated under the stack file's own name by default


def long_value(size: int) -> str:
    return f"BLOB={'x' * size}"


CASES = {
    # -- names, from the names actually built (service name and stack name) --
    "stack-name-underscore-dot": Bad("stack name", "lowercase letters, digits and hyphens",
                                     stack_name="prod_eu.1"),
    "stack-name-uppercase": Bad("stack name", "cannot be part of AWS resource names",
                                stack_name="Prod"),
    "stack-name-too-long": Bad("shipyard:serviceName", "the IAM role name",
                               stack_name="a" * 40),
    "stack-name-too-long-says-limit": Bad("shipyard:serviceName", "AWS allows 1 to 64",
                                          stack_name="production-europe-west-number-one"),
    "service-internal": Bad("shipyard:serviceName", "may not start with 'internal-'",
                            {"shipyard:serviceName": "internal"}),
    "service-sg": Bad("shipyard:serviceName", "may not start with 'sg-'",
                      {"shipyard:serviceName": "sg"}),
    "service-trailing-hyphen": Bad("shipyard:serviceName", "not ending with a hyphen",
                                   {"shipyard:serviceName": "web-"}),
    "service-double-hyphen": Bad("shipyard:serviceName", "single hyphens",
                                 {"shipyard:serviceName": "web--api"}),
    "service-one-letter": Bad("shipyard:serviceName", "2-20", {"shipyard:serviceName": "w"}),
    # -- the service stack and what environments take from it --
    "retired-image-repository": Bad("shipyard:imageRepository", "no longer a setting",
                                    {"shipyard:imageRepository": "shipyard-sample"}),
    "service-key-in-an-environment": Bad("shipyard:githubRepository",
                                         "does nothing in environment stacks",
                                         {"shipyard:githubRepository": "acme/shop"}),
    "environment-key-in-the-service-stack": Bad("shipyard:cpu",
                                                "does nothing in the service stack",
                                                {"shipyard:cpu": 512}, "shared"),
    "image-source-unknown": Bad("shipyard:imageSource", "use build, release",
                                {"shipyard:imageSource": "latest"}),
    "github-repository-missing": Bad("shipyard:githubRepository", "not set; the deploy roles",
                                     {"shipyard:githubRepository": None}, "shared"),
    "github-repository-wildcard": Bad("shipyard:githubRepository", "has a wildcard",
                                      {"shipyard:githubRepository": "acme/*"}, "shared"),
    "github-repository-no-owner": Bad("shipyard:githubRepository", "use owner/name",
                                      {"shipyard:githubRepository": "shop"}, "shared"),
    "deploy-role-without-stack-file": Bad("shipyard:deployEnvironments",
                                          "perf has no stack file (stacks/Pulumi.perf.yaml)",
                                          {"shipyard:deployEnvironments": ["dev", "perf"]},
                                          "shared"),
    "deploy-role-wildcard-environment": Bad("shipyard:deployEnvironments",
                                            "names no single GitHub environment",
                                            {"shipyard:deployEnvironments": ["prod=prod*"]},
                                            "shared"),
    "deploy-role-for-the-service-stack": Bad("shipyard:deployEnvironments",
                                             "is this service stack itself",
                                             {"shipyard:deployEnvironments": ["shared"]},
                                             "shared"),
    "oidc-provider-arn-not-github": Bad("shipyard:githubOidcProviderArn",
                                        "is not the ARN of a GitHub OIDC provider",
                                        {"shipyard:githubOidcProviderArn":
                                         "arn:aws:iam::123456789012:oidc-provider/gitlab.com"},
                                        "shared"),
    "secrets-key-other-region": Bad("shipyard:pulumiSecretsKeyArn", "the key is in eu-west-1",
                                    {"shipyard:pulumiSecretsKeyArn": "arn:aws:kms:eu-west-1:"
                                     "123456789012:key/0b1c2d3e-aaaa-bbbb-cccc-000000000000"},
                                    "shared"),
    "deploy-environment-prefix": Bad("shipyard:deployEnvironments",
                                     "dev is a prefix of dev-eu",
                                     {"shipyard:deployEnvironments": ["dev", "dev-eu"]},
                                     "shared"),
    "secrets-key-alias": Bad("shipyard:pulumiSecretsKeyArn", "cannot grant a key by its alias",
                             {"shipyard:pulumiSecretsKeyArn":
                              "arn:aws:kms:us-east-1:123456789012:alias/pulumi"}, "shared"),
    "state-bucket-name": Bad("shipyard:pulumiStateBucket", "is not an S3 bucket name",
                             {"shipyard:pulumiStateBucket": "My_State"}, "shared"),
    # -- values AWS bounds --
    "matcher-below-200": Bad("shipyard:healthCheckMatcher", "accepts codes 200 to 499",
                             {"shipyard:healthCheckMatcher": "100"}),
    "matcher-range-past-499": Bad("shipyard:healthCheckMatcher", "599 cannot mark",
                                  {"shipyard:healthCheckMatcher": "200-599"}),
    "matcher-range-backwards": Bad("shipyard:healthCheckMatcher", "from low to high, like 200-299",
                                   {"shipyard:healthCheckMatcher": "299-200"}),
    "matcher-repeated-code": Bad("shipyard:healthCheckMatcher", "lists a code twice",
                                 {"shipyard:healthCheckMatcher": "200,204,200"}),
    "matcher-dangling-range": Bad("shipyard:healthCheckMatcher", "not an HTTP code matcher",
                                  {"shipyard:healthCheckMatcher": "200-"}),
    "certificate-other-region": Bad(
        "shipyard:certificateArn", "the certificate is in eu-west-1, but the stack deploys to "
        "us-east-1", {"shipyard:certificateArn": "arn:aws:acm:eu-west-1:123456789012:"
                      "certificate/0b1c2d3e-aaaa-bbbb-cccc-000000000000"}),
    "certificate-iam-server-certificate": Bad(
        "shipyard:certificateArn", "is an iam ARN, not an ACM certificate",
        {"shipyard:certificateArn": "arn:aws:iam::123456789012:server-certificate/web"}),
    "certificate-not-an-arn": Bad("shipyard:certificateArn", "is not an ARN",
                                  {"shipyard:certificateArn": "my-certificate"}),
    "instance-graviton": Bad("shipyard:instanceType", "arm64 (Graviton)",
                             {"shipyard:instanceType": "t4g.small"}, "qa"),
    "instance-graviton-m7g": Bad("shipyard:instanceType", "image is built for linux/amd64",
                                 {"shipyard:instanceType": "m7g.large"}, "qa"),
    "instance-a1": Bad("shipyard:instanceType", "arm64", {"shipyard:instanceType": "a1.large"},
                       "qa"),
    "instance-mac": Bad("shipyard:instanceType", "is a Mac instance",
                        {"shipyard:instanceType": "mac2.metal"}, "qa"),
    "environment-over-task-definition": Bad(
        "shipyard:environmentVariables", "do not fit in an ECS task definition (64 KiB)",
        {"shipyard:environmentVariables": [long_value(70_000)]}),
    "environment-over-user-data": Bad(
        "shipyard:environmentVariables", "do not fit in EC2 user data (16 KB)",
        {"shipyard:environmentVariables": [long_value(16_000)]}, "qa"),
    # Secrets make the boot script big too: the key at fault is named.
    "secrets-over-user-data": Bad(
        "shipyard:secrets", "200 secrets make the boot script",
        {"shipyard:secrets": [f"S{i}=/shipyard-sample/qa/p{i}" for i in range(200)]}, "qa"),
    "idle-timeout-zero": Bad("shipyard:idleTimeout", "use 1 to 4000", {"shipyard:idleTimeout": 0}),
    "boot-timeout-short": Bad("shipyard:instanceBootTimeout", "use 180 to 7200",
                              {"shipyard:instanceBootTimeout": 10}, "qa"),
    # -- combinations that break later --
    "cpu-alarm-at-target": Bad("shipyard:alarmCpuPercent", "at or below cpuTargetPercent (60%)",
                               {"shipyard:alarmCpuPercent": 60}),
    "cpu-alarm-below-target": Bad("shipyard:alarmCpuPercent", "would sit in ALARM",
                                  {"shipyard:alarmCpuPercent": 50,
                                   "shipyard:cpuTargetPercent": 70}),
    "min-capacity-zero": Bad("shipyard:minCapacity", "nothing could scale the service out",
                             {"shipyard:minCapacity": 0, "shipyard:desiredCount": 0}),
    "min-capacity-zero-ec2": Bad("shipyard:minCapacity", "use at least 1",
                                 {"shipyard:minCapacity": 0, "shipyard:desiredCount": 0}, "qa"),
    "keep-one-image": Bad("shipyard:keepImages", "nothing to roll back to",
                          {"shipyard:keepImages": 1}, "shared"),
    "vpc-on-docker-bridge": Bad("shipyard:vpcCidr", "overlaps Docker's default bridge",
                                {"shipyard:vpcCidr": "172.17.0.0/16"}, "qa"),
    "vpc-half-on-docker-bridge": Bad("shipyard:vpcCidr", "172.17.0.0/16",
                                     {"shipyard:vpcCidr": "172.17.128.0/17"}, "qa"),
    "environment-duplicate-name": Bad("shipyard:environmentVariables", "GREETING is set twice",
                                      {"shipyard:environmentVariables":
                                       ["GREETING=hi", "GREETING=hello"]}),
    "environment-reserved-keepalive": Bad("shipyard:environmentVariables", "set by shipyard",
                                          {"shipyard:environmentVariables":
                                           ["KEEPALIVE_SECONDS=5"]}),
    # -- config outside shipyard: --
    "aws-namespace-setting": Bad("aws:desiredCount", "is a shipyard setting, read only as "
                                 "shipyard:desiredCount", {"aws:desiredCount": "3"}),
    "aws-namespace-other-case": Bad("aws:DesiredCount", "shipyard:desiredCount",
                                    {"aws:DesiredCount": "3"}),
    "capitalised-namespace": Bad("Shipyard:memory", "is not shipyard's namespace",
                                 {"Shipyard:memory": "1024"}),
    "misspelt-namespace": Bad("shipyrad:cpu", "write shipyard:cpu", {"shipyrad:cpu": "512"}),
    "region-typo": Bad("aws:region", "did you mean us-east-1?", {"aws:region": "us-east1"}),
    "region-unknown": Bad("aws:region", "is not an AWS region", {"aws:region": "mars-north-1"}),
    # -- secrets (docs/secrets.md) --
    "secret-invalid-name": Bad("shipyard:secrets", "is not an environment variable name",
                               {"shipyard:secrets": ["DB-PASSWORD=/shipyard-sample/dev/db"]}),
    "secret-name-starts-with-digit": Bad("shipyard:secrets", "not starting with a digit",
                                         {"shipyard:secrets": ["1KEY=/shipyard-sample/dev/k"]}),
    "secret-also-plain": Bad("shipyard:secrets", "is also in environmentVariables",
                             {"shipyard:secrets": ["GREETING=/shipyard-sample/dev/greeting"],
                              "shipyard:environmentVariables": ["GREETING=hello"]}),
    "secret-reserved": Bad("shipyard:secrets", "PORT is set by shipyard",
                           {"shipyard:secrets": ["PORT=/shipyard-sample/dev/port"]}),
    "secret-twice": Bad("shipyard:secrets", "DB is listed twice",
                        {"shipyard:secrets": [
                            "DB=/shipyard-sample/dev/a",
                            "DB=/shipyard-sample/dev/b",
                        ]}),
    "secrets-past-the-role-policy-cap": Bad(
        "shipyard:secrets", "70 secrets make the instance role's policy about", {
            "shipyard:secrets": [f"S{i}=/shipyard-sample/qa/s{i}" for i in range(70)],
        }, stack_file="qa"),
    "exec-on-ec2": Bad("shipyard:exec", "set sessionManager: true instead",
                       {"shipyard:exec": True}, stack_file="qa"),
    "secret-empty-reference": Bad("shipyard:secrets", "DB has an empty reference",
                                  {"shipyard:secrets": ["DB="]}),
    "secret-foreign-region": Bad("shipyard:secrets", "is in eu-west-1, but the stack deploys "
                                 "to us-east-1", {"shipyard:secrets": [
                                     "DB=arn:aws:ssm:eu-west-1:123456789012:parameter/shipyard-sa"
                                     "mple/dev/db",
                                 ]}),
    "secret-foreign-account": Bad("shipyard:secrets", "is in account 210987654321",
                                  {"shipyard:secrets": [
                                      "DB=arn:aws:secretsmanager:us-east-1:210987654321:secret:sh"
                                      "ipyard-sample/dev/db-AbCdEf",
                                  ]}),
    "secret-malformed-arn": Bad("shipyard:secrets", "is not a well-formed ARN",
                                {"shipyard:secrets": ["DB=arn:aws:ssm"]}),
    "secret-other-service-arn": Bad("shipyard:secrets", "is an s3 ARN",
                                    {"shipyard:secrets": ["DB=arn:aws:s3:::bucket/key"]}),
    "secret-arn-without-suffix": Bad("shipyard:secrets", "6-character suffix",
                                     {"shipyard:secrets": [
                                         "DB=arn:aws:secretsmanager:us-east-1:123456789012:secret"
                                         ":shipyard-sample/dev/db",
                                     ]}),
    "secret-json-key-on-ssm": Bad("shipyard:secrets", "JSON keys are a Secrets Manager feature",
                                  {"shipyard:secrets": [
                                      "DB=arn:aws:ssm:us-east-1:123456789012:parameter/shipyard-s"
                                      "ample/dev/db:password::",
                                  ]}),
    "secret-json-key-parts": Bad("shipyard:secrets", "three parts after the ARN",
                                 {"shipyard:secrets": [
                                     "DB=arn:aws:secretsmanager:us-east-1:123456789012:secret:shi"
                                     "pyard-sample/dev/db-AbCdEf:password",
                                 ]}),
    "secret-stage-and-version": Bad("shipyard:secrets", "keep one",
                                    {"shipyard:secrets": [
                                        "DB=arn:aws:secretsmanager:us-east-1:123456789012:secret:"
                                        "shipyard-sample/dev/db-AbCdEf:password:AWSCURRENT:0f1e2d"
                                        "3c",
                                    ]}),
    "secret-outside-boundary": Bad("shipyard:secrets", "permissions boundary allows parameters "
                                   "under /shipyard-sample/dev/",
                                   {"shipyard:secrets": ["DB=/prod/database/password"]}),
    "secret-under-shipyards-own-path": Bad("shipyard:secrets", "permissions boundary allows "
                                           "parameters under /shipyard-sample/dev/",
                                           {"shipyard:secrets":
                                            ["DB=/shipyard/shipyard-sample/dev/db"]}),
    "secret-reserved-ssm-prefix": Bad("shipyard:secrets", "SSM reserves for itself",
                                      {"shipyard:secrets": ["DB=/aws/service/x"]}),
    "secret-kept-without-value": Bad("shipyard:secrets", "API_KEY is kept by Pulumi but has no "
                                     "value; set it with `pulumi config set --secret --path "
                                     "'shipyard:secretValues[0]' API_KEY=VALUE -s dev`",
                                     {"shipyard:secrets": ["API_KEY"]}),
    "secret-value-in-plain-text": Bad("shipyard:secretValues", "set in plain text",
                                      {"shipyard:secrets": ["API_KEY"],
                                       "shipyard:secretValues": ["API_KEY=x"]}),
    "secret-value-not-listed": Bad("shipyard:secretValues[0]", "its name is not a bare name in "
                                   "shipyard:secrets", {"shipyard:secretValues": ["TOKEN=x"]}),
    "secret-looking-plain-variable": Bad("shipyard:environmentVariables", "DB_PASSWORD looks "
                                         "like a secret", {"shipyard:environmentVariables":
                                                           ["DB_PASSWORD=hunter2"]}),
    "secret-looking-plain-key": Bad("shipyard:environmentVariables", "STRIPE_KEY looks like a "
                                    "secret", {"shipyard:environmentVariables":
                                               ["STRIPE_KEY=sk_live_x"]}),
    "secret-references-kept-path": Bad("shipyard:secrets", "reference it by the bare name only",
                                       {"shipyard:secrets": [
                                           "API_KEY",
                                           "OTHER=/shipyard-sample/dev/API_KEY",
                                       ]}),
    "secret-url-with-password": Bad("shipyard:environmentVariables", "a URL with a password",
                                    {"shipyard:environmentVariables":
                                     ["DATABASE_URL=postgres://app:hunter2@db:5432/app"]}),
    # -- alarm notifications --
    "alarm-email-not-an-address": Bad("shipyard:alarmEmails", "is not an email address",
                                      {"shipyard:alarmEmails": ["ops at example.com"]}),
    "alarm-email-twice": Bad("shipyard:alarmEmails", "listed twice",
                             {"shipyard:alarmEmails": ["a@example.com", "a@example.com"]}),
    "alarm-topic-not-sns": Bad("shipyard:alarmTopicArn", "is not an SNS topic ARN",
                               {"shipyard:alarmTopicArn": "arn:aws:sqs:us-east-1:123456789012:q"}),
    "alarm-topic-other-region": Bad("shipyard:alarmTopicArn", "the topic is in eu-west-1",
                                    {"shipyard:alarmTopicArn":
                                     "arn:aws:sns:eu-west-1:123456789012:pager"}),
    "alarm-emails-with-foreign-topic": Bad("shipyard:alarmEmails", "cannot subscribe",
                                           {"shipyard:alarmTopicArn":
                                            "arn:aws:sns:us-east-1:123456789012:pager",
                                            "shipyard:alarmEmails": ["a@example.com"]}),
    # -- HTTPS on a domain, and what a prod-like stack may not weaken --
    "domain-outside-zone": Bad("shipyard:domainName", "is not in the zone example.org",
                               {"shipyard:hostedZone": "example.org"}, "prod"),
    "domain-without-zone": Bad("shipyard:hostedZone", "go together",
                               {"shipyard:hostedZone": ""}, "prod"),
    "domain-not-a-name": Bad("shipyard:domainName", "is not a domain name",
                             {"shipyard:domainName": "*.example.com"}, "prod"),
    "domain-too-long-for-a-certificate": Bad("shipyard:domainName", "at most 64",
                                             {"shipyard:domainName":
                                              f"{'a' * 54}.example.com"}, "prod"),
    "domain-and-certificate": Bad("shipyard:certificateArn", "requests and validates",
                                  {"shipyard:certificateArn": "arn:aws:acm:us-east-1:"
                                   "123456789012:certificate/0b1c2d3e"}, "prod"),
    "waf-rate-limit-too-low": Bad("shipyard:wafRateLimit", "out of range; use 10 to 2000000000",
                                  {"shipyard:wafRateLimit": "5"}, "prod"),
    "prod-plain-http": Bad("shipyard:domainName", "serves HTTPS",
                           {"shipyard:domainName": "", "shipyard:hostedZone": ""}, "prod"),
    "prod-default-vpc": Bad("shipyard:useDefaultVpc", "runs in its own VPC",
                            {"shipyard:useDefaultVpc": "true"}, "prod"),
    "prod-no-deletion-protection": Bad("shipyard:albDeletionProtection", "set it to true",
                                       {"shipyard:albDeletionProtection": "false"}, "prod"),
    "prod-short-retention": Bad("shipyard:logRetentionDays", "at least 90 days",
                                {"shipyard:logRetentionDays": "30"}, "prod"),
    # -- deployment strategies: ECS's ranges, what each target can do, the test listener --
    "strategy-unknown": Bad("shipyard:deploymentStrategy",
                            "use rolling, blue_green, canary, linear",
                            {"shipyard:deploymentStrategy": "bluegreen"}),
    "strategy-blue-green-on-ec2": Bad("shipyard:deploymentStrategy", "on EC2 use canary or linear",
                                      {"shipyard:deploymentStrategy": "blue_green"}, "qa"),
    "bake-too-long": Bad("shipyard:bakeMinutes", "use 0 to 1440",
                         {"shipyard:deploymentStrategy": "canary", "shipyard:bakeMinutes": "1441"}),
    "canary-percent-zero": Bad("shipyard:canaryPercent", "use 1 to 100",
                               {"shipyard:canaryPercent": "0"}, "prod"),
    "canary-percent-over-100": Bad("shipyard:canaryPercent", "use 1 to 100",
                                   {"shipyard:canaryPercent": "101"}, "prod"),
    "canary-bake-negative": Bad("shipyard:canaryBakeMinutes", "use 0 to 1440",
                                {"shipyard:canaryBakeMinutes": "-1"}, "prod"),
    "linear-step-too-small": Bad("shipyard:linearStepPercent", "use 3 to 100",
                                 {"shipyard:deploymentStrategy": "linear",
                                  "shipyard:linearStepPercent": "2"}),
    "linear-step-minutes-too-long": Bad("shipyard:linearStepMinutes", "use 0 to 1440",
                                        {"shipyard:linearStepMinutes": "1500"}, "qa"),
    "test-port-clashes-with-https": Bad("shipyard:testListenerPort", "production listener's port",
                                        {"shipyard:testListenerPort": "443"}, "prod"),
    "test-port-clashes-with-http": Bad("shipyard:testListenerPort", "production listener's port",
                                       {"shipyard:testListenerPort": "80"}, "staging"),
    "test-port-out-of-range": Bad("shipyard:testListenerPort", "use 1 to 65535",
                                  {"shipyard:testListenerPort": "70000"}, "staging"),
    "test-listener-open-to-all": Bad("shipyard:testListenerCidrs", "is too wide (/0)",
                                     {"shipyard:testListenerCidrs": ["0.0.0.0/0"]}, "staging"),
    "test-listener-halves-of-the-internet": Bad("shipyard:testListenerCidrs",
                                                "0.0.0.0/1 is too wide (/1)",
                                                {"shipyard:testListenerCidrs":
                                                 ["0.0.0.0/1", "128.0.0.0/1"]}, "staging"),
    "test-listener-too-many-ranges": Bad(
        "shipyard:testListenerCidrs", "list at most 50",
        {"shipyard:testListenerCidrs": [f"198.51.{n}.0/24" for n in range(51)]},
        "staging"),
    "test-listener-a-15": Bad("shipyard:testListenerCidrs", "is too wide (/15)",
                              {"shipyard:testListenerCidrs": ["198.50.0.0/15"]}, "staging"),
    "test-listener-bad-cidr": Bad("shipyard:testListenerCidrs", "is not an IPv4 CIDR block",
                                  {"shipyard:testListenerCidrs": ["10.0.0.1/16"]}, "staging"),
    "test-listener-cidr-twice": Bad("shipyard:testListenerCidrs", "listed twice",
                                    {"shipyard:testListenerCidrs":
                                     ["203.0.113.0/24", "203.0.113.0/24"]}, "staging"),
    "requests-scaling-with-canary": Bad("shipyard:scaleOnRequests", "scale on cpu or memory",
                                        {"shipyard:scaleOnRequests": "true"}, "prod"),
    # -- keys that do nothing where they are set (shipyard/config/applicability.py) --
    "ec2-key-on-ecs": Bad("shipyard:instanceType", "does nothing on target ecs",
                          {"shipyard:instanceType": "t3.large"}),
    "ec2-refresh-key-on-ecs": Bad("shipyard:instanceWarmup", "applies to target: ec2",
                                  {"shipyard:instanceWarmup": 60}, "staging"),
    "fargate-size-on-ec2": Bad("shipyard:cpu", "does nothing on target ec2",
                               {"shipyard:cpu": 1024, "shipyard:memory": 2048}, "qa"),
    "canary-key-on-rolling": Bad("shipyard:canaryPercent", "does nothing with "
                                 "deploymentStrategy rolling", {"shipyard:canaryPercent": 20}),
    "canary-key-on-blue-green": Bad("shipyard:canaryBakeMinutes", "applies to canary",
                                    {"shipyard:canaryBakeMinutes": 10}, "staging"),
    "linear-key-on-canary": Bad("shipyard:linearStepPercent", "applies to linear",
                                {"shipyard:linearStepPercent": 50}, "prod"),
    "bake-on-ec2": Bad("shipyard:bakeMinutes", "on target ec2; it applies when ECS moves "
                       "traffic", {"shipyard:bakeMinutes": 10}, "qa"),
    "test-listener-on-ec2": Bad("shipyard:testListenerPort", "when ECS moves traffic",
                                {"shipyard:testListenerPort": 9443}, "qa"),
    "test-listener-on-rolling": Bad("shipyard:testListenerCidrs", "deploymentStrategy rolling",
                                    {"shipyard:testListenerCidrs": ["203.0.113.0/24"]}),
    "waf-rate-without-waf": Bad("shipyard:wafRateLimit", "does nothing with waf off",
                                {"shipyard:wafRateLimit": 500}, "staging"),
    "access-log-days-without-logs": Bad("shipyard:accessLogDays", "with accessLogs off",
                                        {"shipyard:accessLogDays": 30}),
    "nat-per-zone-default-vpc": Bad("shipyard:natGatewayPerZone", "does nothing with "
                                    "useDefaultVpc", {"shipyard:natGatewayPerZone": "true"}),
    "vpc-cidr-default-vpc": Bad("shipyard:vpcCidr", "set useDefaultVpc: false",
                                {"shipyard:vpcCidr": "10.1.0.0/16"}),
    "zones-default-vpc": Bad("shipyard:availabilityZones", "the account's default VPC",
                             {"shipyard:availabilityZones": 3}),
    # -- limits a real deploy would hit --
    "state-bucket-two-dots": Bad("shipyard:pulumiStateBucket", "two dots in a row",
                                 {"shipyard:pulumiStateBucket": "team..state"}, "shared"),
    "state-bucket-ip": Bad("shipyard:pulumiStateBucket", "is an IP address",
                           {"shipyard:pulumiStateBucket": "192.168.5.4"}, "shared"),
    "state-bucket-xn": Bad("shipyard:pulumiStateBucket", "starts with xn--",
                           {"shipyard:pulumiStateBucket": "xn--state"}, "shared"),
    "state-bucket-alias": Bad("shipyard:pulumiStateBucket", "ends with -s3alias",
                              {"shipyard:pulumiStateBucket": "state-s3alias"}, "shared"),
    "state-bucket-upper": Bad("shipyard:pulumiStateBucket", "is not an S3 bucket name",
                              {"shipyard:pulumiStateBucket": "Team-State"}, "shared"),
    "secret-other-partition": Bad("shipyard:secrets", "is in partition aws-cn",
                                  {"shipyard:secrets": [
                                      "DB=arn:aws-cn:secretsmanager:us-east-1:123456789012:"
                                      "secret:shipyard-sample/dev/db-AbCdEf"]}),
    # The deploy role's session (an hour) must outlast the update's waits.
    "canary-bake-past-the-session": Bad("shipyard:canaryBakeMinutes", "60-minute session",
                                        {"shipyard:canaryBakeMinutes": 40}, "prod"),
    "bake-past-the-session": Bad("shipyard:bakeMinutes", "keep the waits to 30 minutes",
                                 {"shipyard:bakeMinutes": 45}, "staging"),
    "linear-steps-past-the-session": Bad("shipyard:linearStepMinutes", "may wait 66 minutes",
                                         {"shipyard:deploymentStrategy": "linear",
                                          "shipyard:linearStepPercent": 10,
                                          "shipyard:linearStepMinutes": 4}, "qa"),
    "access-logs-short-in-prod": Bad("shipyard:accessLogDays", "at least 90 days",
                                     {"shipyard:accessLogDays": 30}, "prod"),
    # -- null and YAML edge cases, as Pulumi hands them over (typed keys: ENGINE_REFUSED) --
    "empty-service-name": Bad("shipyard:serviceName", "(empty) is not a valid name",
                              {"shipyard:serviceName": None}),
}  # fmt: skip


# Values of the wrong type for Pulumi.yaml's declaration: the engine refuses the stack before
# the program starts (engine_config), so the program's own checks never see them.
ENGINE_REFUSED = {
    "null-number": Bad("shipyard:cpu", "'cpu' must be of type 'integer'; it has no value: set "
                       "a whole number, or remove the key", {"shipyard:cpu": None}),
    "null-boolean": Bad("shipyard:scaleOnCpu", "must be of type 'boolean'; it has no value: "
                        "set true or false", {"shipyard:scaleOnCpu": None}),
    "null-list": Bad("shipyard:environmentVariables", "must be of type 'array<string>'; it has "
                     'no value: set a list like ["A", "B"]',
                     {"shipyard:environmentVariables": None}),
    "unquoted-yes": Bad("shipyard:scaleOnCpu", "'scaleOnCpu' must be of type 'boolean'; write "
                        "true or false", {"shipyard:scaleOnCpu": "yes"}),
    "float-number": Bad("shipyard:cpu", "must be of type 'integer'", {"shipyard:cpu": 0.5}),
    "number-text": Bad("shipyard:cpu", "must be of type 'integer'", {"shipyard:cpu": "1e3"}),
    "list-for-text": Bad("shipyard:target", "must be of type 'string'; write text",
                         {"shipyard:target": ["ecs"]}),
    "text-for-list": Bad("shipyard:alarmEmails", "must be of type 'array<string>'",
                         {"shipyard:alarmEmails": "ops@example.com"}),
    "number-in-list": Bad("shipyard:containerHealthCheck", "must be of type 'array<string>'",
                          {"shipyard:containerHealthCheck": ["CMD", 1]}),
}  # fmt: skip


@pytest.mark.parametrize("case", list(ENGINE_REFUSED.values()), ids=list(ENGINE_REFUSED))
def test_a_value_of_the_wrong_type_is_refused_as_the_engine_refuses_it(case: Bad):
    config = {**pulumi_mocks.stack_config(case.stack_file), **case.config}
    mocks = pulumi_mocks.RecordingMocks()
    with pytest.raises(ConfigTypeError) as raised:
        pulumi_mocks.evaluate(case.stack_file, config=config, mocks=mocks)
    assert mocks.resources == {}
    assert "nothing was deployed" in str(raised.value)
    problems = [p for p in raised.value.problems if p.startswith(f"{case.key_path}: Stack ")]
    assert [case.advice in problem for problem in problems] == [True], raised.value.problems


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_bad_stack_file_is_refused_by_key_path_before_any_resource(case: Bad):
    config = {**pulumi_mocks.stack_config(case.stack_file), **case.config}
    error, problems = refused(case.stack_name or case.stack_file, case.key_path, config=config)
    assert any(case.advice in problem for problem in problems), problems
    assert "None" not in str(error)


@pytest.mark.parametrize(
    ("stack", "config"),
    [
        # Each key where it does something, and every key at its default anywhere.
        ("prod", {"shipyard:canaryPercent": 25, "shipyard:canaryBakeMinutes": 0,
                  "shipyard:bakeMinutes": 0, "shipyard:wafRateLimit": 100}),
        ("staging", {"shipyard:deploymentStrategy": "linear", "shipyard:linearStepPercent": 50,
                     "shipyard:linearStepMinutes": 1, "shipyard:testListenerPort": 9443}),
        ("qa", {"shipyard:canaryPercent": 50, "shipyard:instanceWarmup": 30}),
        ("staging", {"shipyard:vpcCidr": "10.8.0.0/20", "shipyard:availabilityZones": 3,
                     "shipyard:natGatewayPerZone": "true", "shipyard:accessLogDays": 365}),
        ("shared", {"shipyard:pulumiStateBucket": "team.state-1"}),
        # A bare SSM name is in the stack's own partition, whichever that is.
        ("dev", {"aws:region": "cn-north-1", "shipyard:secrets": ["DB=/shipyard-sample/dev/db"]}),
        # Waits of 30 minutes in all still fit the hour's session with the margin.
        ("staging", {"shipyard:bakeMinutes": 30}),
        ("prod", {"shipyard:accessLogDays": 90}),
        ("dev", {"shipyard:instanceType": "t3.small", "shipyard:canaryPercent": 10,
                 "shipyard:vpcCidr": "10.0.0.0/16", "shipyard:wafRateLimit": 2000}),
    ],
)  # fmt: skip
def test_a_key_where_it_does_something_or_at_its_default_is_accepted(stack, config):
    evaluation = pulumi_mocks.evaluate(stack, config={**pulumi_mocks.stack_config(stack), **config})
    assert evaluation.resources


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40


def test_every_problem_of_a_file_is_listed_once():
    config = {
        **pulumi_mocks.stack_config("qa"),
        "shipyard:instanceType": "t4g.small",
        "shipyard:vpcCidr": "172.17.0.0/16",
        "shipyard:keepImages": "1",
        "aws:desiredCount": "3",
    }
    with pytest.raises(SettingsError) as raised:
        pulumi_mocks.evaluate("qa", config=config)
    keys = [problem.split(": ", 1)[0] for problem in raised.value.problems]
    assert sorted(keys) == [
        "aws:desiredCount", "shipyard:instanceType", "shipyard:keepImages", "shipyard:vpcCidr",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        # Text where a list belongs: the engine refuses it, by type, before the program runs.
        ("API_KEY=test-only-9f8e", "'secretValues' must be of type 'array<string>'"),
        (["dGVzdC1vbmx5LTlmOGU=="], "shipyard:secretValues[0]: its name is not a bare name"),
        (["postgres://u:test-only-9f8e@h/db?ssl=on"], "shipyard:secretValues[0]: is not"),
    ],
)
def test_a_malformed_secret_value_is_refused_without_showing_it(raw, said):
    config = {
        **pulumi_mocks.stack_config("dev"),
        "shipyard:secrets": ["API_KEY"],
        "shipyard:secretValues": raw,
    }
    mocks = pulumi_mocks.RecordingMocks()
    with pytest.raises((SettingsError, ConfigTypeError)) as raised:
        pulumi_mocks.evaluate("dev", config=config, mocks=mocks,
                              secret_keys={"shipyard:secretValues"})  # fmt: skip
    message = str(raised.value)
    assert said in message, message
    assert "test-only-9f8e" not in message and "dGVzdC1vbmx5" not in message
    assert mocks.resources == {}


@pytest.mark.parametrize("line_break", ["\n", "\r\n"])
def test_a_kept_value_ec2_cannot_carry_is_refused_at_preview_without_showing_it(line_break):
    config = {
        **pulumi_mocks.stack_config("qa"),
        "shipyard:secrets": ["API_KEY"],
        "shipyard:secretValues": [f"API_KEY=test-only-9f8e{line_break}second-line"],
    }
    mocks = pulumi_mocks.RecordingMocks()
    with pytest.raises(SettingsError) as raised:
        pulumi_mocks.evaluate("qa", config=config, mocks=mocks,
                              secret_keys={"shipyard:secretValues"})  # fmt: skip
    (problem,) = raised.value.problems
    assert problem.startswith("shipyard:secretValues[0]: API_KEY's value has a line break")
    assert "test-only-9f8e" not in str(raised.value) and mocks.resources == {}
    # ECS passes it as it is: the same value deploys there.
    on_ecs = {**pulumi_mocks.stack_config("dev"), "shipyard:secrets": ["API_KEY"],
              "shipyard:secretValues": config["shipyard:secretValues"]}  # fmt: skip
    evaluation = pulumi_mocks.evaluate("dev", config=on_ecs, secret_keys={"shipyard:secretValues"})
    assert evaluation.resources


def test_only_secret_values_may_be_set_as_a_secret():
    config = {**pulumi_mocks.stack_config("dev"), "shipyard:environmentVariables": ["A=b"]}
    mocks = pulumi_mocks.RecordingMocks()
    with pytest.raises(SettingsError) as raised:
        pulumi_mocks.evaluate("dev", config=config, mocks=mocks,
                              secret_keys={"shipyard:environmentVariables"})  # fmt: skip
    assert raised.value.problems == [
        "shipyard:environmentVariables: set as a secret, but shipyard puts it in plain text in "
        "resources (the task definition, the user data); set it without --secret, and keep "
        "secrets in shipyard:secretValues or in AWS (shipyard:secrets)"
    ]
    assert mocks.resources == {}


def test_plain_http_in_prod_needs_the_explicit_opt_out():
    evaluation = pulumi_mocks.evaluate(
        "prod", overrides={"domainName": "", "hostedZone": "", "allowPlainHttp": True}
    )
    assert evaluation.outputs["url"].startswith("http://")


def test_a_key_set_as_a_secret_by_mistake_is_refused_without_showing_it():
    # Easy to mix up with secretValues: `pulumi config set --secret shipyard:secrets ...`.
    config = {**pulumi_mocks.stack_config("dev"),
              "shipyard:secrets": ["API_KEY=Sup3r$ecret!pw"]}  # fmt: skip
    with pytest.raises(SettingsError) as raised:
        pulumi_mocks.evaluate("dev", config=config, secret_keys={"shipyard:secrets"})
    assert "Sup3r$ecret!pw" not in str(raised.value)
    assert [p.split(":", 2)[1] for p in raised.value.problems] == ["secrets"]
