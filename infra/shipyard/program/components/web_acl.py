"""A regional WAF web ACL in front of the load balancer: AWS's managed rule groups for common
attacks, known bad inputs and IP reputation, and a per-IP rate limit; what it blocks or
counts is logged to an encrypted log group of the environment."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shipyard.config import naming
from shipyard.program.components.log_groups import encrypted_log_group

# AWS's managed rule groups, in the order they are evaluated: each may only block.
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesCommonRuleSet",
)
# Requests one IP may send in the rate limit's window before it is blocked.
RATE_LIMIT_WINDOW_SECONDS = 300
# Headers WAF writes to its logs as REDACTED: credentials a log reader must not get. WAF
# compares them lowercase (the provider's docs; AWS returns them so).
REDACTED_HEADERS = ("authorization", "cookie")
# Logged: what a rule blocked, counted or challenged. Allowed requests are in the load
# balancer's access logs (where on), and logging them all would cost per request.
LOGGED_ACTIONS = ("BLOCK", "COUNT", "CAPTCHA", "CHALLENGE")


@dataclass(frozen=True)
class WebFirewallArgs:
    load_balancer_arn: pulumi.Input[str]
    rate_limit: int  # requests per IP per five minutes
    key_arn: pulumi.Input[str]  # the environment's key, which encrypts its log groups
    log_retention_days: int
    protect: bool


def visibility(metric: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgs:
    return aws.wafv2.WebAclRuleVisibilityConfigArgs(
        cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


class WebFirewall(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: WebFirewallArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("shipyard:index:WebFirewall", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        managed = [
            aws.wafv2.WebAclRuleArgs(
                name=group,
                priority=10 * (index + 1),
                override_action=aws.wafv2.WebAclRuleOverrideActionArgs(
                    none=aws.wafv2.WebAclRuleOverrideActionNoneArgs()
                ),
                statement=aws.wafv2.WebAclRuleStatementArgs(
                    managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                        name=group, vendor_name="AWS"
                    )
                ),
                visibility_config=visibility(f"{name}-{group}"),
            )
            for index, group in enumerate(MANAGED_RULE_GROUPS)
        ]
        rate_limit = aws.wafv2.WebAclRuleArgs(
            name="rate-limit-per-ip",
            priority=10 * (len(MANAGED_RULE_GROUPS) + 1),
            action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
            statement=aws.wafv2.WebAclRuleStatementArgs(
                rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                    limit=args.rate_limit,
                    aggregate_key_type="IP",
                    evaluation_window_sec=RATE_LIMIT_WINDOW_SECONDS,
                )
            ),
            visibility_config=visibility(f"{name}-rate-limit"),
        )
        acl = aws.wafv2.WebAcl(
            f"{name}-waf",
            name=f"{name}-waf",
            scope="REGIONAL",
            default_action=aws.wafv2.WebAclDefaultActionArgs(
                allow=aws.wafv2.WebAclDefaultActionAllowArgs()
            ),
            rules=[*managed, rate_limit],
            visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True,
                metric_name=f"{name}-waf",
                sampled_requests_enabled=True,
            ),
            opts=child,
        )
        aws.wafv2.WebAclAssociation(
            f"{name}-waf",
            resource_arn=args.load_balancer_arn,
            web_acl_arn=acl.arn,
            opts=child,
        )
        self._log(name, acl, args)
        self.web_acl_arn = acl.arn
        self.register_outputs({"web_acl_arn": self.web_acl_arn})

    def _log(self, name: str, acl: aws.wafv2.WebAcl, args: WebFirewallArgs) -> None:
        """WAF writes the group's resource policy itself when logging starts (CloudWatch
        Logs' documented path; the deploy role may, see edge_policy.py)."""
        group = encrypted_log_group(
            f"{name}-waf-logs", naming.waf_log_group_name(name), args.log_retention_days,
            args.key_arn, self, args.protect,
        )
        condition = aws.wafv2.WebAclLoggingConfigurationLoggingFilterFilterConditionArgs
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-waf",
            resource_arn=acl.arn,
            log_destination_configs=[group.arn],
            redacted_fields=[
                aws.wafv2.WebAclLoggingConfigurationRedactedFieldArgs(
                    single_header=aws.wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs(
                        name=header
                    )
                )
                for header in REDACTED_HEADERS
            ],
            logging_filter=aws.wafv2.WebAclLoggingConfigurationLoggingFilterArgs(
                default_behavior="DROP",
                filters=[
                    aws.wafv2.WebAclLoggingConfigurationLoggingFilterFilterArgs(
                        behavior="KEEP",
                        requirement="MEETS_ANY",
                        conditions=[
                            condition(
                                action_condition=aws.wafv2.WebAclLoggingConfigurationLoggingFilterFilterConditionActionConditionArgs(
                                    action=action
                                )
                            )
                            for action in LOGGED_ACTIONS
                        ],
                    )
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
