"""The rules for what faces the world and what tells people: HTTPS on a domain or a
certificate, access logs, the WAF, alarm notifications, and what a prod-like stack
(protectResources) may not weaken."""

from __future__ import annotations

import re

from shipyard.config.checks import Check, Problems, Values, between
from shipyard.config.keys import path


def certificate(values: Values) -> Problems:
    arn = values["certificateArn"]
    if arn == "":
        return None
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or parts[2] != "acm":
        service = parts[2] if len(parts) > 2 and parts[0] == "arn" else ""
        what = f"an {service} ARN" if service else "not an ARN"
        return (
            f"{path('certificateArn')}: {arn!r} is {what}, not an ACM certificate "
            "(arn:aws:acm:REGION:ACCOUNT:certificate/ID)"
        )
    if not re.fullmatch(r"arn:aws[\w-]*:acm:[a-z0-9-]+:\d{12}:certificate/[\w-]+", arn):
        return (
            f"{path('certificateArn')}: {arn!r} is not an ACM certificate ARN "
            "(arn:aws:acm:REGION:ACCOUNT:certificate/ID)"
        )
    if values.region and parts[3] != values.region:
        return (
            f"{path('certificateArn')}: the certificate is in {parts[3]}, but the stack deploys "
            f"to {values.region}; a load balancer can only use a certificate from its own "
            "region, so request or import one there"
        )
    return None


# What SNS takes as an email endpoint, near enough: one @, a dotted domain, no spaces.
EMAIL = re.compile(r"[^@\s,;]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def alarm_notifications(values: Values) -> Problems:
    problems = [
        f"{path('alarmEmails')}: {email!r} is not an email address (like ops@example.com)"
        for email in values["alarmEmails"]
        if not EMAIL.fullmatch(email)
    ]
    if len(set(values["alarmEmails"])) != len(values["alarmEmails"]):
        problems.append(f"{path('alarmEmails')}: an address is listed twice; keep one")
    arn = values["alarmTopicArn"]
    if not arn:
        return problems
    parts = re.fullmatch(r"arn:aws[\w-]*:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256})", arn)
    if not parts:
        problems.append(
            f"{path('alarmTopicArn')}: {arn!r} is not an SNS topic ARN "
            "(arn:aws:sns:REGION:ACCOUNT:NAME)"
        )
    elif values.region and parts[1] != values.region:
        problems.append(
            f"{path('alarmTopicArn')}: the topic is in {parts[1]}, but the stack deploys to "
            f"{values.region}; alarms notify topics of their own region only"
        )
    if values["alarmEmails"]:
        problems.append(
            f"{path('alarmEmails')}: alarmTopicArn names a topic shipyard does not own, so it "
            "cannot subscribe addresses to it; subscribe them to that topic, or drop "
            "alarmTopicArn to use shipyard's"
        )
    return problems


# A DNS name ACM issues for: labels of letters, digits and hyphens, 253 characters at most.
DOMAIN = re.compile(
    r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]"
)
ZONE_ID = re.compile(r"Z[A-Z0-9]{1,31}")
# ACM's RequestCertificate: the domain name, which becomes the Common Name, at most 64
# characters, periods included (RFC 5280), though DNS allows 253.
CERTIFICATE_NAME_LIMIT = 64


def domain(values: Values) -> Problems:
    name, zone = values["domainName"], values["hostedZone"]
    if not name and not zone:
        return None
    if not name or not zone:
        missing = "hostedZone" if name else "domainName"
        return (
            f"{path(missing)}: domainName and hostedZone go together (the certificate is "
            "validated and the alias records made in that zone); set both, or neither"
        )
    problems = []
    if not DOMAIN.fullmatch(name):
        problems.append(
            f"{path('domainName')}: {name!r} is not a domain name like app.example.com "
            "(lowercase, no wildcard, no trailing dot)"
        )
    elif len(name) > CERTIFICATE_NAME_LIMIT:
        problems.append(
            f"{path('domainName')}: {name} is {len(name)} characters; the certificate's name "
            f"(its Common Name) may have at most {CERTIFICATE_NAME_LIMIT}, so use a shorter one"
        )
    if not ZONE_ID.fullmatch(zone) and not DOMAIN.fullmatch(zone.rstrip(".").lower()):
        problems.append(
            f"{path('hostedZone')}: {zone!r} is neither a hosted zone ID (Z...) nor a zone "
            "name like example.com"
        )
    elif not ZONE_ID.fullmatch(zone) and not in_zone(name, zone):
        problems.append(
            f"{path('domainName')}: {name} is not in the zone {zone.rstrip('.')}, so its "
            "certificate cannot be validated nor its alias made there; use a name under it"
        )
    if values["certificateArn"]:
        problems.append(
            f"{path('certificateArn')}: with domainName shipyard requests and validates the "
            "certificate itself; remove certificateArn, or domainName and hostedZone"
        )
    return problems


def in_zone(name: str, zone: str) -> bool:
    zone = zone.rstrip(".").lower()
    return name == zone or name.endswith(f".{zone}")


def production_safety(values: Values) -> Problems:
    """What a stack that protects its resources (prod) may not weaken."""
    if not values["protectResources"]:
        return None
    problems = []
    https = values["domainName"] or values["certificateArn"]
    if not https and not values["allowPlainHttp"]:
        problems.append(
            f"{path('domainName')}: a stack with protectResources serves HTTPS: set domainName "
            "and hostedZone (or certificateArn), or allowPlainHttp: true with the reason"
        )
    if values["useDefaultVpc"]:
        problems.append(
            f"{path('useDefaultVpc')}: a stack with protectResources runs in its own VPC, with "
            "tasks and instances in private subnets and no public IP; set it to false"
        )
    if not values["albDeletionProtection"]:
        problems.append(
            f"{path('albDeletionProtection')}: a stack with protectResources keeps its load "
            "balancer from deletion; set it to true"
        )
    if values["logRetentionDays"] < 90:
        problems.append(
            f"{path('logRetentionDays')}: {values['logRetentionDays']} days is too short for a "
            "stack with protectResources; keep logs at least 90 days"
        )
    if values["accessLogs"] and values["accessLogDays"] < 90:
        problems.append(
            f"{path('accessLogDays')}: {values['accessLogDays']} days is too short for a "
            "stack with protectResources; keep the load balancer's access logs at least 90 days"
        )
    return problems


EDGE_CHECKS: tuple[Check, ...] = (
    certificate,
    domain,
    between("accessLogDays", 1, 3650),
    # AWS's range for a rate-based rule's limit (the lowest was 100 before August 2024).
    between("wafRateLimit", 10, 2_000_000_000),
    alarm_notifications,
    production_safety,
)
