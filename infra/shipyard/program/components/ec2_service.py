"""EC2 compute: a launch template whose user data runs the container, an Auto Scaling group
behind the target group, rolled by instance refresh, and its target-tracking policies."""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic
import pulumi_aws as aws

from shipyard.config import DeploymentSettings, Ec2Settings, naming
from shipyard.program import strategies
from shipyard.program.components import iam
from shipyard.program.components.autoscaling import tracking_policies
from shipyard.program.components.compute import ComputePlacement, pre_deploy_props
from shipyard.program.instance_refresh import InstanceRefreshWaitProvider
from shipyard.program.pre_deploy import PreDeployCommand
from shipyard.program.user_data import LIFECYCLE_HOOK_NAME, BootContainer, render_user_data

AMAZON_LINUX_AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


@dataclass(frozen=True)
class Ec2ServiceArgs:
    group_name: str
    placement: ComputePlacement
    # ami_id empty: the current Amazon Linux 2023 AMI from its public SSM parameter
    instances: Ec2Settings
    deployment: DeploymentSettings
    # Run by each new image before the group's rollout (program/pre_deploy.py).
    pre_deploy_command: tuple[str, ...] = ()
    pre_deploy_timeout_minutes: int = 10


def user_data(
    placement: ComputePlacement, group_name: str, instances: Ec2Settings
) -> pulumi.Output[str]:
    spec = placement.container
    script = pulumi.Output.all(spec.image_ref, spec.log_group_name).apply(
        lambda values: render_user_data(
            BootContainer(
                image_ref=values[0],
                port=spec.port,
                environment=spec.environment,
                secrets=tuple(secret.reference for secret in spec.secrets),
                stop_timeout=spec.stop_timeout,
                log_group_name=values[1],
                region=spec.region,
                health_check_path=placement.health_check_path,
                group_name=group_name,
                boot_timeout=instances.boot_timeout,
                health_command=spec.health_command,
            )
        )
    )
    return script.apply(lambda text: base64.b64encode(text.encode()).decode())


def launch_hook(boot_timeout: int) -> dict[str, Any]:
    """What a launch waits for: the boot script's word, or ABANDON after the boot timeout."""
    return {
        "lifecycle_transition": "autoscaling:EC2_INSTANCE_LAUNCHING",
        "default_result": "ABANDON",
        "heartbeat_timeout": boot_timeout,
    }


def lifecycle_statement(region: str, account: str, group_name: str) -> dict:
    """The boot script completes its own instance's launch lifecycle action in this group."""
    group_arn = naming.auto_scaling_group_arn(region, account, group_name)
    return iam.allow(["autoscaling:CompleteLifecycleAction"], [group_arn])


def refresh_waves(desired: int, min_healthy_percent: int, max_healthy_percent: int) -> int:
    """Waves of an instance refresh: it replaces the room between its two percentages at once."""
    batch = max(1, math.floor(desired * (max_healthy_percent - min_healthy_percent) / 100))
    return max(1, math.ceil(desired / batch))


def refresh_preferences(
    instances: Ec2Settings, deployment: DeploymentSettings, alarm_names: list[pulumi.Output[str]]
) -> dict[str, Any]:
    """StartInstanceRefresh's Preferences for a rollout, as the API takes them: the stack's
    healthy percentages and warm-up, rolled back automatically on failure or when an alarm
    fires; canary and linear stop at each share of instances replaced, for the bake."""
    preferences: dict[str, Any] = {
        "MinHealthyPercentage": instances.refresh_min_healthy_percent,
        "MaxHealthyPercentage": instances.refresh_max_healthy_percent,
        "InstanceWarmup": instances.instance_warmup,
        "SkipMatching": False,
        "AutoRollback": True,
        "AlarmSpecification": {"Alarms": alarm_names},
    }
    checkpoints = strategies.refresh_checkpoints(deployment)
    if checkpoints is not None:
        percentages, delay = checkpoints
        preferences.update(CheckpointPercentages=percentages, CheckpointDelay=delay)
    return preferences


def refresh_wait_timeout(
    instances: Ec2Settings, placement: ComputePlacement, deployment: DeploymentSettings
) -> int:
    """Long enough for an instance refresh of the largest group to replace every wave, and
    to wait at each checkpoint but the last."""
    waves = refresh_waves(
        placement.scaling.max_capacity,
        instances.refresh_min_healthy_percent,
        instances.refresh_max_healthy_percent,
    )
    per_wave = instances.boot_timeout + instances.instance_warmup + 120
    checkpoints = strategies.refresh_checkpoints(deployment)
    if checkpoints is None:
        return waves * per_wave
    percentages, delay = checkpoints
    return max(waves, len(percentages)) * per_wave + (len(percentages) - 1) * delay


class InstanceRefreshWait(pulumi.dynamic.Resource, module="shipyard", name="InstanceRefreshWait"):
    """Rolls a new launch template version out inside `pulumi up` (an instance refresh to it)
    and fails the update unless it succeeded; the group keeps its saved version until then
    (see shipyard/program/instance_refresh.py)."""

    def __init__(
        self, name: str, props: dict[str, pulumi.Input[Any]], opts: pulumi.ResourceOptions
    ) -> None:
        super().__init__(InstanceRefreshWaitProvider(), name, props, opts)


class Ec2Service(pulumi.ComponentResource):
    group_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: Ec2ServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("shipyard:index:Ec2Service", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        placement, instances = args.placement, args.instances
        role = iam.service_role(
            f"{name}-instance",
            "ec2.amazonaws.com",
            [
                *iam.image_pull_and_log_statements(
                    placement.repository_arn, placement.log_group_arn
                ),
                lifecycle_statement(
                    placement.container.region, placement.account, args.group_name
                ),
                *iam.secret_statements(placement.secret_grant),
            ],
            parent=self,
            permissions_boundary=placement.permissions_boundary,
            # Session Manager only when asked for: otherwise no shell on the instances at all.
            managed_policy_arns=(iam.SSM_CORE_POLICY,) if instances.session_manager else (),
        )
        profile = aws.iam.InstanceProfile(f"{name}-instance", role=role.role.name, opts=child)
        image_id = (
            instances.ami_id
            or aws.ssm.get_parameter_output(
                name=AMAZON_LINUX_AMI_PARAMETER, opts=pulumi.InvokeOptions(parent=self)
            ).value
        )
        template = aws.ec2.LaunchTemplate(
            f"{name}-template",
            image_id=image_id,
            instance_type=instances.instance_type,
            iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(arn=profile.arn),
            # IMDSv2 only. Hop limit 1 keeps containers (one hop further) away from the
            # instance's credentials; the Docker daemon, which ships logs, runs on the host.
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
            ),
            # One-minute CPU metrics: with basic monitoring's five, the CPU alarm (three
            # one-minute periods) never sees a breach and target tracking reacts late.
            monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_type="gp3",
                        volume_size=instances.root_volume_gb,
                        encrypted="true",
                        delete_on_termination="true",
                    ),
                )
            ],
            network_interfaces=[
                aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                    associate_public_ip_address=str(placement.assign_public_ip).lower(),
                    security_groups=[placement.security_group_id],
                )
            ],
            user_data=user_data(placement, args.group_name, instances),
            update_default_version=True,
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(
                    resource_type="instance", tags={"Name": args.group_name}
                )
            ],
            # Instances launched from it use the role at once: its grants must exist first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*role.grants, profile]),
        )
        group = aws.autoscaling.Group(
            f"{name}-group",
            name=args.group_name,
            min_size=placement.scaling.min_capacity,
            max_size=placement.scaling.max_capacity,
            desired_capacity=placement.scaling.desired_count,
            vpc_zone_identifiers=placement.subnet_ids,
            target_group_arns=[placement.target_group_arn],
            health_check_type="ELB",
            health_check_grace_period=placement.health_check_grace_period,
            default_instance_warmup=instances.instance_warmup,
            # A new instance stays in Pending:Wait, outside the target group, until its boot
            # script reports the container healthy (or abandons it); see program/user_data.py. Given
            # at creation, so a new group's first instances wait too.
            initial_lifecycle_hooks=[
                aws.autoscaling.GroupInitialLifecycleHookArgs(
                    name=LIFECYCLE_HOOK_NAME, **launch_hook(instances.boot_timeout)
                )
            ],
            # A numbered version (not $Latest), so an instance refresh can roll back to it.
            # Only a new group is created with it: the rollout step below moves the group on.
            launch_template=aws.autoscaling.GroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            tags=[
                aws.autoscaling.GroupTagArgs(
                    key="Name", value=args.group_name, propagate_at_launch=True
                )
            ],
            opts=pulumi.ResourceOptions(
                parent=self,
                # Instances in private subnets reach ECR only once NAT and routes exist.
                depends_on=placement.dependencies,
                # Autoscaling owns the running count after the first deploy. A change of the
                # initial hook would replace the group (the provider has it ForceNew, and the
                # new group's fixed name would clash): the hook below changes it in place. A
                # new launch template version is the rollout step's to save, and only once
                # its refresh succeeds: the provider would save it before the refresh, and a
                # rollback would then return to it (shipyard/program/instance_refresh.py).
                ignore_changes=["desiredCapacity", "initialLifecycleHooks", "launchTemplate"],
            ),
        )
        # The same hook, kept up to date on an existing group (PutLifecycleHook creates or
        # updates it): a group created before the hook existed, or a new instanceBootTimeout.
        hook = aws.autoscaling.LifecycleHook(
            f"{name}-launch-hook",
            name=LIFECYCLE_HOOK_NAME,
            autoscaling_group_name=group.name,
            **launch_hook(instances.boot_timeout),
            opts=child,
        )
        pre_deploy = (
            [PreDeployCommand(
                f"{name}-pre-deploy",
                {
                    **pre_deploy_props(
                        placement, args.pre_deploy_command, args.pre_deploy_timeout_minutes
                    ),
                    "target": "ec2",
                    "group": group.name,
                },
                # On an instance of the group, serving the previous release until the rollout.
                pulumi.ResourceOptions(parent=self, depends_on=[group, hook]),
            )]
            if args.pre_deploy_command
            else []
        )  # fmt: skip
        InstanceRefreshWait(
            f"{name}-rollout",
            {
                "groupName": group.name,
                "launchTemplateId": template.id,
                "launchTemplateVersion": template.latest_version.apply(str),
                "preferences": refresh_preferences(
                    instances, args.deployment, placement.alarm_names
                ),
                "region": placement.container.region,
                "profile": placement.aws_profile,
                "timeoutSeconds": refresh_wait_timeout(
                    instances, placement, args.deployment
                ),
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[group, hook, *pre_deploy]),
        )
        for policy in tracking_policies(placement.scaling):
            if policy.ec2_metric is None:  # settings refuse these for ec2 already
                continue
            aws.autoscaling.Policy(
                f"{name}-scale-{policy.suffix}",
                autoscaling_group_name=group.name,
                policy_type="TargetTrackingScaling",
                estimated_instance_warmup=instances.instance_warmup,
                target_tracking_configuration=aws.autoscaling.PolicyTargetTrackingConfigurationArgs(
                    target_value=policy.target_value,
                    predefined_metric_specification=aws.autoscaling.PolicyTargetTrackingConfigurationPredefinedMetricSpecificationArgs(
                        predefined_metric_type=policy.ec2_metric,
                        resource_label=policy.resource_label(placement.request_count_label),
                    ),
                ),
                opts=child,
            )
        self.group_name = group.name
        self.register_outputs({"group_name": self.group_name})
