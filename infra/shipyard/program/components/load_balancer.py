"""The public Application Load Balancer, its target group, listeners and security groups.

It owns two security groups: the ALB's, open to the world on its listener ports only, and the
targets', which admits only the ALB on the container port. ECS tasks and EC2 instances both
use the targets' group, so neither target repeats these rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shipyard.config import HealthCheckSettings, naming

# TLS 1.2 and 1.3 only, forward-secret ciphers.
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
WORLD_IPV4 = "0.0.0.0/0"


@dataclass(frozen=True)
class TestListenerArgs:
    """Blue/green, canary and linear: the port that serves the new revision before it takes
    production traffic, and the IPv4 ranges that may reach it."""

    port: int
    cidrs: tuple[str, ...]


@dataclass(frozen=True)
class TrafficShifting:
    """What ECS moves traffic with (blue/green, canary, linear): the second target group and
    the production and test listener rules that forward to both by weight."""

    alternate_target_group_arn: pulumi.Output[str]
    alternate_target_group_arn_suffix: pulumi.Output[str]
    production_rule_arn: pulumi.Output[str]
    test_rule_arn: pulumi.Output[str]


@dataclass(frozen=True)
class LoadBalancerArgs:
    vpc_id: pulumi.Input[str]
    public_subnet_ids: pulumi.Input[list[str]]
    container_port: int
    health_check: HealthCheckSettings
    target_type: str  # "ip" for Fargate tasks, "instance" for EC2
    idle_timeout: int
    # A certificate for the HTTPS listener (HTTP then redirects to it); None: HTTP only.
    certificate_arn: pulumi.Input[str] | None
    deletion_protection: bool
    protect: bool
    # The service's own domain, for its URL; "": the load balancer's DNS name.
    domain_name: str = ""
    # The bucket access logs go to (None: off), and what lets the load balancer write there.
    access_log_bucket: pulumi.Input[str] | None = None
    access_log_permission: tuple[pulumi.Resource, ...] = ()
    # A second target group and a test listener, for ECS to move traffic between; None: one
    # target group that the listeners forward to (rolling deployments).
    test_listener: TestListenerArgs | None = None


# ECS rewrites the weights of these rules' forward actions at every deployment (and so swaps
# which group takes production traffic): Pulumi must not put them back.
ECS_OWNED_RULE_PROPERTIES = ["actions"]


class LoadBalancer(pulumi.ComponentResource):
    url: pulumi.Output[str]
    dns_name: pulumi.Output[str]
    zone_id: pulumi.Output[str]  # Route 53's zone of the load balancer's name (for aliases)
    load_balancer_arn: pulumi.Output[str]
    load_balancer_arn_suffix: pulumi.Output[str]
    target_group_arn: pulumi.Output[str]
    target_group_arn_suffix: pulumi.Output[str]
    targets_security_group_id: pulumi.Output[str]
    # The listeners and rules that attach the target groups to the load balancer: ECS
    # refuses a service whose target group no listener uses yet.
    listeners: list[pulumi.Resource]
    # With a test listener: the second group, and the rules ECS moves traffic with.
    traffic: TrafficShifting | None = None  # with a test listener

    def __init__(
        self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("shipyard:index:LoadBalancer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        https = args.certificate_arn is not None
        listener_ports = [80, 443] if https else [80]

        alb_group = aws.ec2.SecurityGroup(
            f"{name}-alb", vpc_id=args.vpc_id, description="Load balancer listeners", opts=child
        )
        targets_group = aws.ec2.SecurityGroup(
            f"{name}-targets",
            vpc_id=args.vpc_id,
            description="Service targets: only the load balancer reaches them",
            opts=child,
        )
        for port in listener_ports:
            self._tcp_rule(
                aws.vpc.SecurityGroupIngressRule,
                f"{name}-alb-in-{port}",
                alb_group,
                port,
                f"Public listener on {port}",
                cidr=WORLD_IPV4,
            )
        self._tcp_rule(
            aws.vpc.SecurityGroupEgressRule,
            f"{name}-alb-out",
            alb_group,
            args.container_port,
            "To service targets on the container port",
            peer=targets_group,
        )
        self._tcp_rule(
            aws.vpc.SecurityGroupIngressRule,
            f"{name}-targets-in",
            targets_group,
            args.container_port,
            "From the load balancer on the container port",
            peer=alb_group,
        )
        self._tcp_rule(
            aws.vpc.SecurityGroupEgressRule, f"{name}-targets-out", targets_group, 443,
            "HTTPS out: ECR, CloudWatch Logs, SSM", cidr=WORLD_IPV4,
        )  # fmt: skip

        # Auto-named (so a replacement can be created before the old one goes), from a
        # logical name short enough for AWS's 32 characters.
        alb = aws.lb.LoadBalancer(
            naming.load_balancer_name(name),
            load_balancer_type="application",
            idle_timeout=args.idle_timeout,
            internal=False,
            security_groups=[alb_group.id],
            subnets=args.public_subnet_ids,
            drop_invalid_header_fields=True,
            desync_mitigation_mode="defensive",
            enable_deletion_protection=args.deletion_protection,
            access_logs=(
                aws.lb.LoadBalancerAccessLogsArgs(bucket=args.access_log_bucket, enabled=True)
                if args.access_log_bucket is not None
                else None
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                # ELB checks that it may write to the bucket when logging is turned on.
                depends_on=list(args.access_log_permission),
            ),
        )
        target_group = self._target_group(naming.target_group_name(name), args)
        forward = [
            aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=target_group.arn)
        ]
        redirect = [
            aws.lb.ListenerDefaultActionArgs(
                type="redirect",
                redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                    protocol="HTTPS", port="443", status_code="HTTP_301"
                ),
            )
        ]
        test = args.test_listener
        # With two target groups, a rule that ECS weights routes every request; the default
        # action stays as it was, so switching strategy never leaves a request unrouted.
        listeners = [
            self._listener(f"{name}-http", alb, 80, redirect if https else forward, args)
        ]
        if https:
            listeners.append(self._listener(f"{name}-https", alb, 443, forward, args))
        attachments: list[pulumi.Resource] = [*listeners]
        if test:
            alternate = self._target_group(naming.target_group_name(name, "tg2"), args)
            test_listener = self._listener(f"{name}-test", alb, test.port, forward, args)
            for index, cidr in enumerate(test.cidrs):
                self._tcp_rule(
                    aws.vpc.SecurityGroupIngressRule, f"{name}-alb-in-test-{index}", alb_group,
                    test.port, f"Test listener, from {cidr}", cidr=cidr,
                )  # fmt: skip
            production_rule = self._weighted_rule(
                f"{name}-rule", listeners[-1], target_group, alternate
            )
            test_rule = self._weighted_rule(
                f"{name}-test-rule", test_listener, target_group, alternate
            )
            attachments += [test_listener, production_rule, test_rule]
            self.traffic = TrafficShifting(
                alternate.arn, alternate.arn_suffix, production_rule.arn, test_rule.arn
            )

        scheme = "https" if https else "http"
        self.url = alb.dns_name.apply(lambda dns: f"{scheme}://{args.domain_name or dns}")
        self.dns_name = alb.dns_name
        self.zone_id = alb.zone_id
        self.load_balancer_arn = alb.arn
        self.load_balancer_arn_suffix = alb.arn_suffix
        self.target_group_arn = target_group.arn
        self.target_group_arn_suffix = target_group.arn_suffix
        self.targets_security_group_id = targets_group.id
        self.listeners = attachments
        self.register_outputs({"url": self.url, "target_group_arn": self.target_group_arn})

    def _target_group(self, logical_name: str, args: LoadBalancerArgs) -> aws.lb.TargetGroup:
        check = args.health_check
        return aws.lb.TargetGroup(
            logical_name,
            vpc_id=args.vpc_id,
            port=args.container_port,
            protocol="HTTP",
            target_type=args.target_type,
            deregistration_delay=check.deregistration_delay,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True,
                path=check.path,
                port="traffic-port",
                protocol="HTTP",
                interval=check.interval,
                timeout=check.timeout,
                healthy_threshold=check.healthy_threshold,
                unhealthy_threshold=check.unhealthy_threshold,
                matcher=check.matcher,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _listener(
        self,
        name: str,
        alb: aws.lb.LoadBalancer,
        port: int,
        actions: list[aws.lb.ListenerDefaultActionArgs],
        args: LoadBalancerArgs,
    ) -> aws.lb.Listener:
        """HTTP on port 80; any other port is HTTPS when the load balancer has a certificate."""
        https = args.certificate_arn is not None and port != 80
        return aws.lb.Listener(
            name,
            load_balancer_arn=alb.arn,
            port=port,
            protocol="HTTPS" if https else "HTTP",
            ssl_policy=TLS_POLICY if https else None,
            certificate_arn=args.certificate_arn if https else None,
            default_actions=actions,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _weighted_rule(
        self,
        name: str,
        listener: aws.lb.Listener,
        primary: aws.lb.TargetGroup,
        alternate: aws.lb.TargetGroup,
    ) -> aws.lb.ListenerRule:
        """Every request, forwarded to the two groups by weight: all to `primary` until ECS
        moves it. A rule needs a condition; "/*" matches every path."""
        return aws.lb.ListenerRule(
            name,
            listener_arn=listener.arn,
            priority=1,
            conditions=[
                aws.lb.ListenerRuleConditionArgs(
                    path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=["/*"])
                )
            ],
            actions=[
                aws.lb.ListenerRuleActionArgs(
                    type="forward",
                    forward=aws.lb.ListenerRuleActionForwardArgs(
                        target_groups=[
                            aws.lb.ListenerRuleActionForwardTargetGroupArgs(
                                arn=primary.arn, weight=100
                            ),
                            aws.lb.ListenerRuleActionForwardTargetGroupArgs(
                                arn=alternate.arn, weight=0
                            ),
                        ]
                    ),
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=ECS_OWNED_RULE_PROPERTIES),
        )

    def _tcp_rule(
        self,
        rule_type: type[aws.vpc.SecurityGroupIngressRule] | type[aws.vpc.SecurityGroupEgressRule],
        name: str,
        group: aws.ec2.SecurityGroup,
        port: int,
        description: str,
        *,
        cidr: str | None = None,
        peer: aws.ec2.SecurityGroup | None = None,
    ) -> None:
        """One TCP port, to or from either a CIDR block or another security group."""
        rule_type(
            name,
            security_group_id=group.id,
            cidr_ipv4=cidr,
            referenced_security_group_id=peer.id if peer else None,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=description,
            opts=pulumi.ResourceOptions(parent=self),
        )
