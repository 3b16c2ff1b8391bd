"""ECS Fargate compute: cluster, roles, task definition, service and its autoscaling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from shipyard.config import DeploymentSettings
from shipyard.config.container_contract import CONTAINER_NAME
from shipyard.program import strategies
from shipyard.program.components import iam
from shipyard.program.components.autoscaling import tracking_policies
from shipyard.program.components.compute import ComputePlacement, pre_deploy_props
from shipyard.program.components.load_balancer import TrafficShifting
from shipyard.program.container import HEALTH_CHECK_TIMING, ContainerSpec
from shipyard.program.pre_deploy import PreDeployCommand


@dataclass(frozen=True)
class FargateServiceArgs:
    service_name: str
    placement: ComputePlacement
    cpu: int
    memory: int
    protect: bool
    deployment: DeploymentSettings
    # None: rolling, one target group.
    traffic: TrafficShifting | None = None
    # ECS already moves this service's traffic (it has its advancedConfiguration).
    ecs_owns_load_balancers: bool = False
    # ECS Exec: a shell in the running containers (`shipyard exec`).
    execute_command: bool = False
    # Run by each new image before the service moves to it (program/pre_deploy.py).
    pre_deploy_command: tuple[str, ...] = ()
    pre_deploy_timeout_minutes: int = 10


def advanced_configuration(
    traffic: TrafficShifting | None, role: iam.ServiceRole | None
) -> aws.ecs.ServiceLoadBalancerAdvancedConfigurationArgs | None:
    """What ECS moves traffic with: the second group, the two rules and its role."""
    if traffic is None or role is None:
        return None
    return aws.ecs.ServiceLoadBalancerAdvancedConfigurationArgs(
        alternate_target_group_arn=traffic.alternate_target_group_arn,
        production_listener_rule=traffic.production_rule_arn,
        test_listener_rule=traffic.test_rule_arn,
        role_arn=role.role.arn,
    )


# ECS swaps the service's target group and its alternate at every deployment that moves
# traffic; the provider holds them in one set, so the whole block is ECS's from then on.
# Not before: a service switching from rolling must be sent its advancedConfiguration.
ECS_OWNED_SERVICE_PROPERTIES = ["loadBalancers"]


def secrets_entry(spec: ContainerSpec) -> dict[str, Any]:
    """The container definition's `secrets`, when it has any: ECS reads each value at task
    start with the execution role and hands it to the container as a variable."""
    if not spec.secrets:
        return {}
    ordered = sorted(spec.secrets, key=lambda secret: secret.reference.variable)
    return {
        "secrets": [
            {"name": secret.reference.variable, "valueFrom": secret.value_from}
            for secret in ordered
        ]
    }


def container_definitions(spec: ContainerSpec) -> pulumi.Output[str]:
    definition: dict[str, Any] = {
        "name": CONTAINER_NAME,
        "image": spec.image_ref,
        "essential": True,
        "portMappings": [{"containerPort": spec.port, "hostPort": spec.port, "protocol": "tcp"}],
        "environment": [{"name": key, "value": value} for key, value in spec.environment],
        **secrets_entry(spec),
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": spec.log_group_name,
                "awslogs-region": spec.region,
                "awslogs-stream-prefix": CONTAINER_NAME,
            },
        },
        "stopTimeout": spec.stop_timeout,
        "readonlyRootFilesystem": True,
        "user": "10001:10001",
        # No Linux capabilities (the service binds a port above 1024 and needs none), and an
        # init process that reaps zombies and passes signals on.
        "linuxParameters": {"capabilities": {"drop": ["ALL"]}, "initProcessEnabled": True},
    }
    if spec.health_command:
        definition["healthCheck"] = {"command": list(spec.health_command), **HEALTH_CHECK_TIMING}
    return pulumi.Output.json_dumps([definition])


class FargateService(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    service_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: FargateServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("shipyard:index:FargateService", name, None, opts)
        placement = args.placement
        cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            name=args.service_name,
            settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value="enabled")],
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        trust = iam.ecs_tasks_trust(placement.container.region, placement.account)
        execution_role = iam.service_role(
            f"{name}-execution",
            "ecs-tasks.amazonaws.com",
            [
                *iam.image_pull_and_log_statements(
                    placement.repository_arn, placement.log_group_arn
                ),
                *iam.secret_statements(placement.secret_grant),
            ],
            parent=self,
            permissions_boundary=placement.permissions_boundary,
            trust_condition=trust,
        )
        # The application itself calls no AWS API: its role is empty, but for ECS Exec's
        # session channels where the stack turns it on.
        task_role = iam.service_role(
            f"{name}-task",
            "ecs-tasks.amazonaws.com",
            iam.ecs_exec_statements(placement.log_group_arn) if args.execute_command else [],
            parent=self,
            permissions_boundary=placement.permissions_boundary,
            trust_condition=trust,
        )
        task_definition = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=args.service_name,
            cpu=str(args.cpu),
            memory=str(args.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                operating_system_family="LINUX", cpu_architecture="X86_64"
            ),
            execution_role_arn=execution_role.arn,
            task_role_arn=task_role.arn,
            container_definitions=container_definitions(placement.container),
            # Tasks pull and log with the execution role at once: its grants must exist first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=execution_role.grants),
        )
        pre_deploy = self._pre_deploy(name, args, cluster, task_definition)
        traffic_role = (
            iam.service_role(
                f"{name}-traffic",
                strategies.ECS_TRAFFIC_PRINCIPAL,
                [],
                parent=self,
                permissions_boundary=placement.permissions_boundary,
                managed_policy_arns=(strategies.ECS_LOAD_BALANCERS_POLICY,),
            )
            if args.traffic
            else None
        )
        rolling = args.deployment.strategy == "rolling"
        service = aws.ecs.Service(
            f"{name}-service",
            name=args.service_name,
            cluster=cluster.arn,
            task_definition=task_definition.arn,
            desired_count=placement.scaling.desired_count,
            launch_type="FARGATE",
            platform_version="LATEST",
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            deployment_configuration=strategies.ecs_deployment_configuration(args.deployment),
            # The circuit breaker is documented with rolling deployments; the others roll
            # back on the alarms, or at once by `shipyard rollback` while they bake.
            deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(
                enable=rolling, rollback=rolling
            ),
            alarms=aws.ecs.ServiceAlarmsArgs(
                alarm_names=placement.alarm_names, enable=True, rollback=True
            ),
            health_check_grace_period_seconds=placement.health_check_grace_period,
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=placement.subnet_ids,
                security_groups=[placement.security_group_id],
                assign_public_ip=placement.assign_public_ip,
            ),
            load_balancers=[
                aws.ecs.ServiceLoadBalancerArgs(
                    target_group_arn=placement.target_group_arn,
                    container_name=CONTAINER_NAME,
                    container_port=placement.container.port,
                    advanced_configuration=advanced_configuration(args.traffic, traffic_role),
                )
            ],
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            # Only where set: an unset input keeps the existing services' inputs as they are.
            enable_execute_command=True if args.execute_command else None,
            # Waits for the service deployment: SUCCESSFUL, or the update fails when the
            # circuit breaker or an alarm rolls it back, or `shipyard rollback` stops it
            # (pulumi-aws 7.51's provider). Its wait includes the bake.
            wait_for_steady_state=True,
            opts=pulumi.ResourceOptions(
                parent=self,
                # Listeners attach the target group; NAT and routes let tasks reach ECR; ECS
                # moves traffic with the role's policy.
                depends_on=[
                    *placement.dependencies, *(traffic_role.grants if traffic_role else []),
                    *pre_deploy,
                ],
                # Autoscaling owns the running count after the first deploy.
                ignore_changes=[
                    "desiredCount",
                    *(ECS_OWNED_SERVICE_PROPERTIES if args.ecs_owns_load_balancers else []),
                ],
                custom_timeouts=(
                    None
                    if rolling
                    else pulumi.CustomTimeouts(
                        create=strategies.provider_timeout(args.deployment),
                        update=strategies.provider_timeout(args.deployment),
                    )
                ),
            ),
        )
        self._autoscaling(name, placement, cluster, service)
        self.cluster_name = cluster.name
        self.service_name = service.name
        self.register_outputs(
            {"cluster_name": self.cluster_name, "service_name": self.service_name}
        )

    def _pre_deploy(
        self,
        name: str,
        args: FargateServiceArgs,
        cluster: aws.ecs.Cluster,
        task_definition: aws.ecs.TaskDefinition,
    ) -> list[pulumi.Resource]:
        """The new image's pre-deploy command, which the service waits for; none if unset."""
        if not args.pre_deploy_command:
            return []
        placement = args.placement
        step = PreDeployCommand(
            f"{name}-pre-deploy",
            {
                **pre_deploy_props(
                    placement, args.pre_deploy_command, args.pre_deploy_timeout_minutes
                ),
                "cluster": cluster.name,
                "taskDefinition": task_definition.arn,
                "container": CONTAINER_NAME,
                "subnets": placement.subnet_ids,
                "securityGroups": [placement.security_group_id],
                "assignPublicIp": placement.assign_public_ip,
                "streamPrefix": CONTAINER_NAME,
            },
            # The subnets' NAT and routes, as for the service's own tasks.
            pulumi.ResourceOptions(parent=self, depends_on=placement.dependencies),
        )
        return [step]

    def _autoscaling(
        self,
        name: str,
        placement: ComputePlacement,
        cluster: aws.ecs.Cluster,
        service: aws.ecs.Service,
    ) -> None:
        target = aws.appautoscaling.Target(
            f"{name}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", cluster.name, "/", service.name),
            min_capacity=placement.scaling.min_capacity,
            max_capacity=placement.scaling.max_capacity,
            opts=pulumi.ResourceOptions(parent=self),
        )
        for policy in tracking_policies(placement.scaling):
            aws.appautoscaling.Policy(
                f"{name}-scale-{policy.suffix}",
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                    target_value=policy.target_value,
                    scale_in_cooldown=placement.scaling.scale_in_cooldown,
                    scale_out_cooldown=placement.scaling.scale_out_cooldown,
                    predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                        predefined_metric_type=policy.ecs_metric,
                        resource_label=policy.resource_label(placement.request_count_label),
                    ),
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
