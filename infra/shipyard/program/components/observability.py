"""Logs and alarms: the stack's log group, the alarms that gate deployments, and the topic
that tells people when one fires or clears.

The same component serves both targets; only the CPU metric's namespace and dimensions
differ (ECS service or Auto Scaling group), so the caller passes them in.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shipyard.config import naming
from shipyard.program.components.log_groups import encrypted_log_group


@dataclass(frozen=True)
class CpuMetric:
    namespace: str
    dimensions: dict[str, pulumi.Input[str]]


@dataclass(frozen=True)
class ObservabilityArgs:
    log_retention_days: int
    load_balancer_arn_suffix: pulumi.Input[str]
    target_group_arn_suffix: pulumi.Input[str]
    cpu_metric: CpuMetric
    alarm_cpu_percent: int
    alarm_5xx_per_minute: int
    protect: bool
    # The environment's own key: it encrypts the log group and the alarm topic.
    key_arn: pulumi.Input[str]
    # An existing topic to notify instead of one of shipyard's ("": create it).
    alarm_topic_arn: str = ""
    alarm_emails: tuple[str, ...] = ()
    # The second target group ECS moves traffic to (blue/green, canary, linear); None: one.
    alternate_target_group_arn_suffix: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class AlarmSpec:
    suffix: str
    description: str
    namespace: str
    metric_name: str
    statistic: str
    threshold: float
    evaluation_periods: int


class Observability(pulumi.ComponentResource):
    log_group_name: pulumi.Output[str]
    log_group_arn: pulumi.Output[str]
    # Outputs of the alarms, so whatever names them (a service's rollback alarms) waits for
    # them to exist.
    alarm_names: list[pulumi.Output[str]]
    topic_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("shipyard:index:Observability", name, None, opts)
        log_group = encrypted_log_group(
            f"{name}-logs", naming.log_group_name(name), args.log_retention_days,
            args.key_arn, self, args.protect,
        )
        self.topic_arn = self._topic(name, args)
        load_balancer = {"LoadBalancer": args.load_balancer_arn_suffix}
        primary = {**load_balancer, "TargetGroup": args.target_group_arn_suffix}
        alternate = args.alternate_target_group_arn_suffix
        targets_5xx = AlarmSpec(
            "5xx",
            f"Targets answered more than {args.alarm_5xx_per_minute} 5xx a minute",
            "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum",
            args.alarm_5xx_per_minute, 2,
        )  # fmt: skip
        unhealthy = AlarmSpec(
            "unhealthy", "At least one target failed its health check",
            "AWS/ApplicationELB", "UnHealthyHostCount", "Maximum", 0, 2,
        )  # fmt: skip
        specs = [
            # With two target groups, ECS moves traffic between them at every deployment: the
            # targets' 5xx are counted for the whole load balancer, and each group has its
            # own unhealthy-host alarm (that metric exists only per target group).
            (targets_5xx, primary if alternate is None else load_balancer),
            (
                # 5xx the load balancer answers itself (502 from a connection the target
                # closed, 503 with no healthy target), which the targets' count never sees.
                AlarmSpec(
                    "elb-5xx",
                    f"The load balancer answered more than {args.alarm_5xx_per_minute} 5xx "
                    "a minute itself",
                    "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum",
                    args.alarm_5xx_per_minute, 2,
                ),
                load_balancer,
            ),
            (unhealthy, primary),
            *(
                [
                    (
                        dataclasses.replace(unhealthy, suffix="unhealthy-2"),
                        {**load_balancer, "TargetGroup": alternate},
                    )
                ]
                if alternate is not None
                else []
            ),
            (
                AlarmSpec(
                    "cpu", f"Average CPU above {args.alarm_cpu_percent}%",
                    args.cpu_metric.namespace, "CPUUtilization", "Average",
                    args.alarm_cpu_percent, 3,
                ),
                args.cpu_metric.dimensions,
            ),
        ]  # fmt: skip
        self.alarm_names = [
            self._alarm(name, spec, dims, self.topic_arn).name for spec, dims in specs
        ]
        self.log_group_name = log_group.name
        self.log_group_arn = log_group.arn
        self.register_outputs(
            {"log_group_name": self.log_group_name, "alarm_names": self.alarm_names}
        )

    def _topic(self, name: str, args: ObservabilityArgs) -> pulumi.Output[str]:
        """Where every alarm reports when it fires and when it clears."""
        if args.alarm_topic_arn:
            return pulumi.Output.from_input(args.alarm_topic_arn)
        topic = aws.sns.Topic(
            f"{name}-alarms",
            name=naming.alarm_topic_name(name),
            kms_master_key_id=args.key_arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        for email in args.alarm_emails:
            # Named by a hash of the address: a list in another order changes nothing.
            digest = hashlib.sha256(email.lower().encode()).hexdigest()[:8]
            aws.sns.TopicSubscription(
                f"{name}-alarms-{digest}",
                topic=topic.arn,
                protocol="email",
                endpoint=email,
                opts=pulumi.ResourceOptions(parent=self),
            )
        return topic.arn

    def _alarm(
        self, name: str, spec: AlarmSpec, dimensions: dict, topic_arn: pulumi.Input[str]
    ) -> aws.cloudwatch.MetricAlarm:
        alarm_name = f"{name}-{spec.suffix}"
        return aws.cloudwatch.MetricAlarm(
            alarm_name,
            name=alarm_name,
            alarm_description=spec.description,
            namespace=spec.namespace,
            metric_name=spec.metric_name,
            statistic=spec.statistic,
            dimensions=dimensions,
            period=60,
            evaluation_periods=spec.evaluation_periods,
            threshold=spec.threshold,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[topic_arn],
            ok_actions=[topic_arn],
            opts=pulumi.ResourceOptions(parent=self),
        )
