"""The local cloud's account: what it makes, kept in moto, so that state outlives a stack.

The local cloud (devtools/local_cloud.py) runs once per `pulumi` command, so it keeps
nothing itself. Where AWS_ENDPOINT_URL names a moto server, the resources another stack,
a later update or shipyard's own AWS calls need are made there too:
- what an environment looks up: the service stack's repository and keys (by alias), its
  own release record, the zone, the ECS service, the default VPC and its subnets;
- what shipyard's CLI and the rollout step call with boto3: the repository's images, the
  ECS cluster, task definitions and service, target groups (and the VPC they name), launch
  templates and groups.
These take AWS's (moto's) IDs, ARNs and computed values. Every other type keeps the
deterministic ones of the mocks. Lookups are answered from moto, and report "not found"
with the text the provider gives when nothing made what they look for.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar

import boto3
from botocore.exceptions import ClientError

Outputs = dict[str, Any]


def _repository_attributes(repository: dict[str, Any]) -> dict[str, Any]:
    """An ECR repository as the provider shows it, made or looked up."""
    return {
        "name": repository["repositoryName"], "arn": repository["repositoryArn"],
        "repositoryUrl": repository["repositoryUri"], "registryId": repository["registryId"],
    }  # fmt: skip


class MotoAccount:
    def __init__(self, endpoint: str, region: str) -> None:
        self.region = region
        self.endpoint = endpoint
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service, region_name=self.region, endpoint_url=self.endpoint
            )
        return self._clients[service]

    # ---- resources ------------------------------------------------------------------------

    def kept(self, typ: str) -> bool:
        return typ in self._creates

    def create(self, typ: str, name: str, inputs: dict[str, Any], outputs: Outputs) -> str:
        """Make the resource in moto; returns its ID and sets what AWS computes in outputs."""
        return self._creates[typ](self, name, inputs, outputs)

    def update(self, typ: str, resource_id: str, inputs: dict[str, Any], outputs: Outputs) -> None:
        change = self._updates.get(typ)
        if change is not None:
            change(self, resource_id, inputs, outputs)

    def delete(self, typ: str, resource_id: str, outputs: dict[str, Any]) -> None:
        remove = self._deletes.get(typ)
        if remove is None:
            return
        try:
            remove(self, resource_id, outputs)
        except ClientError as error:  # gone already: a delete is idempotent
            if "NotFound" not in error.response["Error"]["Code"]:
                raise

    def _repository(self, name: str, inputs: dict[str, Any], outputs: Outputs) -> str:
        made = self.client("ecr").create_repository(repositoryName=inputs.get("name") or name)
        outputs.update(_repository_attributes(made["repository"]))
        return str(outputs["name"])

    def _key(self, name: str, inputs: dict[str, Any], outputs: Outputs) -> str:
        key = self.client("kms").create_key(Description=str(inputs.get("description", name)))
        metadata = key["KeyMetadata"]
        outputs.update(keyId=metadata["KeyId"], arn=metadata["Arn"])
        return str(metadata["KeyId"])

    def _alias(self, name: str, inputs: dict[str, Any], outputs: Outputs) -> str:
        alias = str(inputs["name"])
        self.client("kms").create_alias(AliasName=alias, TargetKeyId=inputs["targetKeyId"])
        outputs["arn"] = f"arn:aws:kms:{self.region}:{self._account()}:{alias}"
        return alias

    def _parameter(self, name: str, inputs: dict[str, Any], outputs: Outputs) -> str:
        self._put_parameter(str(inputs["name"]), inputs, outputs, overwrite=False)
        return str(inputs["name"])

    def _put_parameter(
        self, name: str, inputs: dict[str, Any], outputs: Outputs, overwrite: bool
    ) -> None:
        value = inputs.get("insecureValue", inputs.get("value", ""))
        self.client("ssm").put_parameter(
            Name=name, Value=str(value), Type=str(inputs.get("type", "String")),
            Overwrite=overwrite,
        )  # fmt: skip
        outputs["arn"] = f"arn:aws:ssm:{self.region}:{self._account()}:parameter/{name.lstrip('/')}"

    def _vpc(self, name: str, inputs: dict[str, Any], outputs: Outputs) -> str:
        made = self.client("ec2").create_vpc(CidrBlock=str(inputs["cidrBlock"]))["Vpc"]
        outputs["arn"] = f"arn:aws:ec2:{self.region}:{self._account()}:vpc/{made['VpcId']}"
        return str(made["VpcId"])

    def _cluster(self, name: str, inputs: dict[str, Any], outputs: Outputs) -> str:
        made = self.client("ecs").create_cluster(clusterName=str(inputs.get("name") or name))
        outputs["arn"] = made["cluster"]["clusterArn"]
        return str(outputs["arn"])

    def _task_definition(self, name: str, inputs: dict[str, Any], outputs: Outputs) -> str:
        roles = {key: inputs[key] for key in ("executionRoleArn", "taskRoleArn") if inputs.get(key)}
        made = self.client("ecs").register_task_definition(
            family=inputs["family"],
            containerDefinitions=json.loads(inputs["containerDefinitions"]),
            networkMode=inputs.get("networkMode", "bridge"), cpu=str(inputs.get("cpu", "")),
            memory=str(inputs.get("memory", "")),
            requiresCompatibilities=inputs.get("requiresCompatibilities", []), **roles,
        )["taskDefinition"]  # fmt: skip
        arn = made["taskDefinitionArn"]
        outputs.update(arn=arn, revision=made["revision"], arnWithoutRevision=arn.rsplit(":", 1)[0])
        return str(inputs["family"])

    def _service(self, name: str, inputs: dict[str, Any], outputs: Outputs) -> str:
        made = self.client("ecs").create_service(
            cluster=inputs["cluster"], serviceName=inputs["name"],
            taskDefinition=inputs["taskDefinition"],
            desiredCount=int(inputs.get("desiredCount", 1)),
            loadBalancers=[
                {key: value for key, value in balancer.items() if key != "elbName"}
                for balancer in inputs.get("loadBalancers", [])
            ],
        )["service"]  # fmt: skip
        return str(made["serviceArn"])

    def _update_service(self, resource_id: str, inputs: dict[str, Any], outputs: Outputs) -> None:
        self.client("ecs").update_service(
            cluster=inputs["cluster"], service=inputs["name"],
            taskDefinition=inputs["taskDefinition"],
            desiredCount=int(inputs.get("desiredCount", 1)),
        )  # fmt: skip

    def _target_group(self, name: str, inputs: dict[str, Any], outputs: Outputs) -> str:
        made = self.client("elbv2").create_target_group(
            Name=str(inputs.get("name") or name), Protocol=inputs.get("protocol", "HTTP"),
            Port=int(inputs.get("port", 80)), VpcId=str(inputs.get("vpcId", "vpc-local")),
            TargetType=inputs.get("targetType", "instance"),
        )["TargetGroups"][0]  # fmt: skip
        arn = made["TargetGroupArn"]
        outputs.update(arn=arn, id=arn, arnSuffix=arn.split(":", 5)[5])
        return str(arn)

    def _launch_template(self, name: str, inputs: dict[str, Any], outputs: Outputs) -> str:
        made = self.client("ec2").create_launch_template(
            LaunchTemplateName=str(inputs.get("name") or name), LaunchTemplateData={}
        )["LaunchTemplate"]
        outputs["latestVersion"] = 1
        return str(made["LaunchTemplateId"])

    def _new_template_version(
        self, resource_id: str, inputs: dict[str, Any], outputs: Outputs
    ) -> None:
        made = self.client("ec2").create_launch_template_version(
            LaunchTemplateId=resource_id, LaunchTemplateData={}
        )["LaunchTemplateVersion"]
        outputs["latestVersion"] = made["VersionNumber"]

    def _group(self, name: str, inputs: dict[str, Any], outputs: Outputs) -> str:
        template = inputs["launchTemplate"]
        self.client("autoscaling").create_auto_scaling_group(
            AutoScalingGroupName=str(inputs["name"]), MinSize=int(inputs["minSize"]),
            MaxSize=int(inputs["maxSize"]), DesiredCapacity=int(inputs["desiredCapacity"]),
            AvailabilityZones=[f"{self.region}a"],
            LaunchTemplate={"LaunchTemplateId": template["id"],
                            "Version": str(template["version"])},
        )  # fmt: skip
        return str(inputs["name"])

    _creates: ClassVar[dict[str, Callable[[MotoAccount, str, dict[str, Any], Outputs], str]]] = {
        "aws:ecr/repository:Repository": _repository,
        "aws:kms/key:Key": _key,
        "aws:kms/alias:Alias": _alias,
        "aws:ssm/parameter:Parameter": _parameter,
        "aws:ec2/vpc:Vpc": _vpc,
        "aws:ecs/cluster:Cluster": _cluster,
        "aws:ecs/taskDefinition:TaskDefinition": _task_definition,
        "aws:ecs/service:Service": _service,
        "aws:lb/targetGroup:TargetGroup": _target_group,
        "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
        "aws:autoscaling/group:Group": _group,
    }
    _updates: ClassVar[dict[str, Callable[[MotoAccount, str, dict[str, Any], Outputs], None]]] = {
        "aws:ssm/parameter:Parameter": lambda self, rid, inputs, outputs: self._put_parameter(
            rid, inputs, outputs, overwrite=True
        ),
        "aws:ecs/service:Service": _update_service,
        "aws:ec2/launchTemplate:LaunchTemplate": _new_template_version,
    }
    _deletes: ClassVar[dict[str, Callable[[MotoAccount, str, dict[str, Any]], Any]]] = {
        "aws:ecr/repository:Repository": lambda self, rid, _: self.client("ecr").delete_repository(
            repositoryName=rid, force=True
        ),
        "aws:kms/key:Key": lambda self, rid, _: self.client("kms").schedule_key_deletion(
            KeyId=rid, PendingWindowInDays=7
        ),
        "aws:kms/alias:Alias": lambda self, rid, _: self.client("kms").delete_alias(AliasName=rid),
        "aws:ssm/parameter:Parameter": lambda self, rid, _: self.client("ssm").delete_parameter(
            Name=rid
        ),
        "aws:ec2/vpc:Vpc": lambda self, rid, _: self.client("ec2").delete_vpc(VpcId=rid),
        "aws:ecs/cluster:Cluster": lambda self, rid, _: self.client("ecs").delete_cluster(
            cluster=rid
        ),
        "aws:ecs/taskDefinition:TaskDefinition": lambda self, rid, outputs: self.client(
            "ecs"
        ).deregister_task_definition(taskDefinition=outputs["arn"]),
        "aws:ecs/service:Service": lambda self, rid, outputs: self.client("ecs").delete_service(
            cluster=outputs["cluster"], service=outputs["name"], force=True
        ),
        "aws:lb/targetGroup:TargetGroup": lambda self, rid, _: self.client(
            "elbv2"
        ).delete_target_group(TargetGroupArn=rid),
        "aws:ec2/launchTemplate:LaunchTemplate": lambda self, rid, _: self.client(
            "ec2"
        ).delete_launch_template(LaunchTemplateId=rid),
        "aws:autoscaling/group:Group": lambda self, rid, _: self.client(
            "autoscaling"
        ).delete_auto_scaling_group(AutoScalingGroupName=rid, ForceDelete=True),
    }

    def _account(self) -> str:
        return str(self.client("sts").get_caller_identity()["Account"])

    # ---- lookups --------------------------------------------------------------------------

    def answers(self, token: str, args: dict[str, Any]) -> bool:
        # AWS's public parameters (the AMI IDs) are not an account's: the mocks answer them.
        public = str(args.get("name", "")).startswith("/aws/service/")
        return token in self._lookups and not public

    def look_up(self, token: str, args: dict[str, Any]) -> tuple[dict[str, Any], str]:
        """The data source's answer, or "" and the failure the provider reports."""
        try:
            return self._lookups[token](self, args), ""
        except ClientError as error:
            return {}, f"{token}: {error.response['Error']['Code']}: {error}"
        except LookupError as error:
            return {}, str(error.args[0])

    def _get_repository(self, args: dict[str, Any]) -> dict[str, Any]:
        (found,) = self.client("ecr").describe_repositories(repositoryNames=[args["name"]])[
            "repositories"
        ]
        attributes = _repository_attributes(found)
        return {**attributes, "id": attributes["name"]}

    def _get_key(self, args: dict[str, Any]) -> dict[str, Any]:
        metadata = self.client("kms").describe_key(KeyId=args["keyId"])["KeyMetadata"]
        return {"arn": metadata["Arn"], "id": metadata["KeyId"], "keyId": metadata["KeyId"]}

    def _get_parameter(self, args: dict[str, Any]) -> dict[str, Any]:
        found = self.client("ssm").get_parameter(Name=args["name"])["Parameter"]
        return {
            "name": found["Name"], "type": found["Type"], "value": found["Value"],
            "insecureValue": found["Value"], "arn": found["ARN"], "id": found["Name"],
            "version": found["Version"],
        }  # fmt: skip

    def _get_zone(self, args: dict[str, Any]) -> dict[str, Any]:
        route53 = self.client("route53")
        if args.get("zoneId"):
            zones = [route53.get_hosted_zone(Id=args["zoneId"])["HostedZone"]]
        else:
            wanted = str(args.get("name", "")).rstrip(".") + "."
            zones = [
                zone for zone in route53.list_hosted_zones_by_name(DNSName=wanted)["HostedZones"]
                if zone["Name"] == wanted
                and zone["Config"].get("PrivateZone", False) == bool(args.get("privateZone"))
            ]  # fmt: skip
        if not zones:
            raise LookupError("no matching Route 53 Hosted Zone found")
        zone_id = zones[0]["Id"].rsplit("/", 1)[-1]
        return {"zoneId": zone_id, "id": zone_id, "name": zones[0]["Name"]}

    def _get_service(self, args: dict[str, Any]) -> dict[str, Any]:
        found = self.client("ecs").describe_services(
            cluster=args["clusterArn"], services=[args["serviceName"]]
        )["services"]
        if not found:
            raise LookupError(f"reading ECS Service ({args['serviceName']}): empty result")
        service = found[0]
        balancers = [
            {
                **{k: v for k, v in balancer.items() if k != "advancedConfiguration"},
                "advancedConfigurations": [balancer["advancedConfiguration"]]
                if balancer.get("advancedConfiguration") else [],
            }
            for balancer in service.get("loadBalancers", [])
        ]  # fmt: skip
        return {
            "arn": service["serviceArn"], "serviceName": service["serviceName"],
            "clusterArn": service["clusterArn"], "status": service["status"],
            "desiredCount": service["desiredCount"], "taskDefinition": service["taskDefinition"],
            "loadBalancers": balancers,
        }  # fmt: skip

    def _get_vpc(self, args: dict[str, Any]) -> dict[str, Any]:
        wanted = [{"Name": "is-default", "Values": ["true"]}] if args.get("default") else []
        vpcs = self.client("ec2").describe_vpcs(
            **({"VpcIds": [args["id"]]} if args.get("id") else {}), Filters=wanted
        )["Vpcs"]
        if len(vpcs) != 1:
            raise LookupError(f"no matching EC2 VPC found ({len(vpcs)} matched)")
        return {"id": vpcs[0]["VpcId"], "cidrBlock": vpcs[0]["CidrBlock"]}

    def _get_subnets(self, args: dict[str, Any]) -> dict[str, Any]:
        filters = [
            {"Name": entry["name"], "Values": entry["values"]} for entry in args.get("filters", [])
        ]
        subnets = self.client("ec2").describe_subnets(Filters=filters)["Subnets"]
        return {"ids": [subnet["SubnetId"] for subnet in subnets]}

    _lookups: ClassVar[dict[str, Callable[[MotoAccount, dict[str, Any]], dict[str, Any]]]] = {
        "aws:ecr/getRepository:getRepository": _get_repository,
        "aws:kms/getKey:getKey": _get_key,
        "aws:ssm/getParameter:getParameter": _get_parameter,
        "aws:route53/getZone:getZone": _get_zone,
        "aws:ecs/getService:getService": _get_service,
        "aws:ec2/getVpc:getVpc": _get_vpc,
        "aws:ec2/getSubnets:getSubnets": _get_subnets,
    }
