"""The service's own domain: a certificate ACM issues once DNS proves the name is ours, and the
alias records that send the name to the load balancer.

Two components, because the load balancer sits between them: its HTTPS listener needs the
validated certificate, and the alias records need its DNS name.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class HostedZone:
    zone_id: str
    name: str


@dataclass(frozen=True)
class DomainArgs:
    domain_name: str
    zone: HostedZone


class DomainCertificate(pulumi.ComponentResource):
    # Known only once ACM has issued it: a listener that uses it waits for that.
    certificate_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: DomainArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("shipyard:index:DomainCertificate", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        certificate = aws.acm.Certificate(
            f"{name}-certificate",
            domain_name=args.domain_name,
            validation_method="DNS",
            # A new certificate is issued before the old one is deleted (Pulumi's default
            # order for a replacement), so the listener always has one.
            opts=child,
        )
        # One name, so ACM asks for one record; reading it needs no resource inside apply.
        option = certificate.domain_validation_options[0]
        record = aws.route53.Record(
            f"{name}-validation",
            zone_id=args.zone.zone_id,
            name=option.resource_record_name,
            type=option.resource_record_type,
            records=[option.resource_record_value],
            ttl=60,
            # The record is the same for every certificate of this name and account: a
            # replacement's validation finds it there already.
            allow_overwrite=True,
            opts=child,
        )
        validation = aws.acm.CertificateValidation(
            f"{name}-validation",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[record.fqdn],
            opts=child,
        )
        self.certificate_arn = validation.certificate_arn
        self.register_outputs({"certificate_arn": self.certificate_arn})


@dataclass(frozen=True)
class DomainAliasArgs:
    domain_name: str
    zone: HostedZone
    load_balancer_dns_name: pulumi.Input[str]
    load_balancer_zone_id: pulumi.Input[str]


class DomainAlias(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: DomainAliasArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("shipyard:index:DomainAlias", name, None, opts)
        # An A record only: the load balancer is IPv4 (its default ipAddressType), so an AAAA
        # alias to it would answer nothing. Dual-stack needs IPv6 in the VPC and subnets.
        aws.route53.Record(
            f"{name}-a",
            zone_id=args.zone.zone_id,
            name=args.domain_name,
            type="A",
            aliases=[
                aws.route53.RecordAliasArgs(
                    name=args.load_balancer_dns_name,
                    zone_id=args.load_balancer_zone_id,
                    evaluate_target_health=True,
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})
