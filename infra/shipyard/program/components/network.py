"""The VPC the service runs in: the account's default VPC, or one with public and private
subnets across zones and NAT for egress from the private ones."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shipyard.config import naming
from shipyard.program.components import iam
from shipyard.program.components.log_groups import encrypted_log_group


@dataclass(frozen=True)
class FlowLogSettings:
    """Where a created VPC's flow logs go: a log group encrypted with the environment's key,
    written by a role that may do nothing else."""

    retention_days: int
    key_arn: pulumi.Input[str]
    region: str
    account: str
    permissions_boundary: str


@dataclass(frozen=True)
class NetworkArgs:
    use_default_vpc: bool
    cidr: str
    # The zones a created VPC spans, looked up before any resource is registered.
    zone_names: tuple[str, ...]
    nat_gateway_per_zone: bool
    protect: bool
    flow_logs: FlowLogSettings | None = None


def subnet_cidrs(vpc_cidr: str, zones: int) -> tuple[list[str], list[str]]:
    """Split the VPC into equal blocks: the first `zones` public, the next `zones` private."""
    network = ipaddress.IPv4Network(vpc_cidr)
    # Four bits of room for up to 6 zones x 2 tiers; each block keeps >= 256 addresses at /20.
    blocks = [str(block) for block in network.subnets(prefixlen_diff=4)]
    return blocks[:zones], blocks[zones : 2 * zones]


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]
    # Known while the program runs, because it decides resource inputs, not just values.
    has_private_subnets: bool
    # What must exist before anything in the private subnets can reach ECR and CloudWatch:
    # the NAT gateways and the routes to them. Compute waits for these on first create.
    egress: list[pulumi.Resource]

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("shipyard:index:Network", name, None, opts)
        if args.use_default_vpc:
            self._adopt_default_vpc()
        else:
            self._create_vpc(name, args)
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
            }
        )

    def _adopt_default_vpc(self) -> None:
        vpc = aws.ec2.get_vpc_output(default=True, opts=pulumi.InvokeOptions(parent=self))
        subnets = aws.ec2.get_subnets_output(
            filters=vpc.id.apply(
                lambda vpc_id: [
                    aws.ec2.GetSubnetsFilterArgs(name="vpc-id", values=[vpc_id]),
                    aws.ec2.GetSubnetsFilterArgs(name="default-for-az", values=["true"]),
                ]
            ),
            opts=pulumi.InvokeOptions(parent=self),
        )
        self.vpc_id = vpc.id
        self.public_subnet_ids = subnets.ids.apply(sorted)
        self.private_subnet_ids = pulumi.Output.from_input([])
        self.has_private_subnets = False
        self.egress = []

    def _create_vpc(self, name: str, args: NetworkArgs) -> None:
        child = pulumi.ResourceOptions(parent=self)
        zones = args.zone_names
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": name},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        if args.flow_logs is not None:
            self._flow_logs(name, vpc, args.flow_logs, args.protect)
        gateway = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, opts=child)
        public_route_table = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=gateway.id)],
            opts=child,
        )
        public_cidrs, private_cidrs = subnet_cidrs(args.cidr, len(zones))
        public_subnets = [
            self._subnet(name, "public", index, vpc, zones[index], cidr, public_route_table.id)[0]
            for index, cidr in enumerate(public_cidrs)
        ]
        nat_count = len(zones) if args.nat_gateway_per_zone else 1
        nat_gateways = [
            aws.ec2.NatGateway(
                f"{name}-nat-{index}",
                subnet_id=public_subnets[index].id,
                allocation_id=aws.ec2.Eip(f"{name}-nat-{index}", domain="vpc", opts=child).id,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[gateway]),
            )
            for index in range(nat_count)
        ]
        private_subnets = []
        self.egress = list(nat_gateways)
        for index, cidr in enumerate(private_cidrs):
            route_table = aws.ec2.RouteTable(
                f"{name}-private-{index}",
                vpc_id=vpc.id,
                routes=[
                    aws.ec2.RouteTableRouteArgs(
                        cidr_block="0.0.0.0/0",
                        nat_gateway_id=nat_gateways[index % nat_count].id,
                    )
                ],
                opts=child,
            )
            subnet, association = self._subnet(
                name, "private", index, vpc, zones[index], cidr, route_table.id
            )
            private_subnets.append(subnet)
            self.egress += [route_table, association]
        self.vpc_id = vpc.id
        self.public_subnet_ids = pulumi.Output.all(*[subnet.id for subnet in public_subnets])
        self.private_subnet_ids = pulumi.Output.all(*[subnet.id for subnet in private_subnets])
        self.has_private_subnets = True

    def _flow_logs(
        self, name: str, vpc: aws.ec2.Vpc, settings: FlowLogSettings, protect: bool
    ) -> None:
        """Every accepted and rejected connection of the VPC, aggregated by the minute."""
        group = encrypted_log_group(
            f"{name}-flow-logs", naming.flow_log_group_name(name), settings.retention_days,
            settings.key_arn, self, protect,
        )
        # Only VPC Flow Logs of this account, for its flow logs, may assume it.
        trust = iam.source_trust(
            settings.account,
            f"arn:aws:ec2:{settings.region}:{settings.account}:vpc-flow-log/*",
        )
        role = iam.service_role(
            f"{name}-flow-logs",
            "vpc-flow-logs.amazonaws.com",
            [
                iam.allow(
                    ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                    # The group (DescribeLogStreams) and its streams (the other two).
                    [group.arn, group.arn.apply(lambda arn: f"{arn}:*")],
                )
            ],
            parent=self,
            permissions_boundary=settings.permissions_boundary,
            trust_condition=trust,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-logs",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            opts=pulumi.ResourceOptions(parent=self, depends_on=role.grants),
        )

    def _subnet(
        self,
        network_name: str,
        tier: str,
        index: int,
        vpc: aws.ec2.Vpc,
        zone: str,
        cidr: str,
        route_table_id: pulumi.Input[str],
    ) -> tuple[aws.ec2.Subnet, aws.ec2.RouteTableAssociation]:
        name = f"{network_name}-{tier}-{index}"
        subnet = aws.ec2.Subnet(
            name,
            vpc_id=vpc.id,
            cidr_block=cidr,
            availability_zone=zone,
            # Nothing launched here gets a public address unless it asks for one.
            map_public_ip_on_launch=False,
            tags={"Name": name},
            opts=pulumi.ResourceOptions(parent=self),
        )
        association = aws.ec2.RouteTableAssociation(
            name,
            subnet_id=subnet.id,
            route_table_id=route_table_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return subnet, association
