"""EC2 compute: a launch template whose user data runs the container, an Auto Scaling group
behind the target group, rolled by instance refresh, and its target-tracking policies."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import iam
from components.autoscaling import tracking_policies
from components.compute import ComputePlacement
from settings import Ec2Settings
from user_data import BootContainer, render_user_data

AMAZON_LINUX_AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
SSM_CORE_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"


@dataclass(frozen=True)
class Ec2ServiceArgs:
    group_name: str
    placement: ComputePlacement
    # ami_id empty: the current Amazon Linux 2023 AMI from its public SSM parameter
    instances: Ec2Settings


def user_data(placement: ComputePlacement) -> pulumi.Output[str]:
    spec = placement.container
    script = pulumi.Output.all(spec.image_ref, spec.log_group_name, spec.region).apply(
        lambda values: render_user_data(
            BootContainer(
                image_ref=values[0],
                port=spec.port,
                environment=spec.environment,
                stop_timeout=spec.stop_timeout,
                log_group_name=values[1],
                region=values[2],
            )
        )
    )
    return script.apply(lambda text: base64.b64encode(text.encode()).decode())


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
            iam.image_pull_and_log_statements(placement.repository_arn, placement.log_group_arn),
            parent=self,
            managed_policy_arns=(SSM_CORE_POLICY,),
        )
        profile = aws.iam.InstanceProfile(f"{name}-instance", role=role.name, opts=child)
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
            user_data=user_data(placement),
            update_default_version=True,
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(
                    resource_type="instance", tags={"Name": args.group_name}
                )
            ],
            opts=child,
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
            # A numbered version (not $Latest), so an instance refresh can roll back to it.
            launch_template=aws.autoscaling.GroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            instance_refresh=aws.autoscaling.GroupInstanceRefreshArgs(
                strategy="Rolling",
                preferences=aws.autoscaling.GroupInstanceRefreshPreferencesArgs(
                    min_healthy_percentage=instances.refresh_min_healthy_percent,
                    max_healthy_percentage=instances.refresh_max_healthy_percent,
                    instance_warmup=str(instances.instance_warmup),
                    auto_rollback=True,
                    alarm_specification=(
                        aws.autoscaling.GroupInstanceRefreshPreferencesAlarmSpecificationArgs(
                            alarms=placement.alarm_names
                        )
                    ),
                ),
            ),
            tags=[
                aws.autoscaling.GroupTagArgs(
                    key="Name", value=args.group_name, propagate_at_launch=True
                )
            ],
            # Autoscaling owns the running count after the first deploy.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["desiredCapacity"]),
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
