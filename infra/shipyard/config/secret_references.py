"""Container secrets by reference: what a `secrets` entry names, and how ECS, IAM and the EC2
boot script address it.

An entry is `NAME=reference` or a bare `NAME`:
- an SSM parameter, by name (`/shipyard-sample/prod/db-password`) or ARN;
- a Secrets Manager secret by its full ARN (with the 6-character suffix AWS adds), or one
  JSON key of it in the form ECS accepts: `<secret ARN>:<json-key>:<version-stage>:<version-id>`
  (the last two may be empty: `<secret ARN>:password::`);
- a bare NAME: the value is kept by Pulumi (`shipyard:secretValues`, set with
  `pulumi config set --secret`) and stored as an SSM SecureString under
  `/<service>/<env>/<NAME>`, encrypted with the environment's KMS key.

Parsing needs no AWS call; region and account come from the ARN, or are the stack's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shipyard.config import naming

PULUMI, SSM, SECRETS_MANAGER = "pulumi", "ssm", "secretsmanager"
VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ARN = re.compile(r"arn:(?P<partition>aws[a-z-]*):(?P<service>[a-z0-9-]*):(?P<region>[^:]*):"
                  r"(?P<account>[^:]*):(?P<resource>.*)")  # fmt: skip
_SSM_NAME = re.compile(r"/?[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*")
# Secret names: letters, digits and /_+=.@-, then the hyphen and 6 characters AWS appends.
_SECRET_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}-[A-Za-z0-9]{6}")
# AWS counts 1011 characters over the parameter's whole ARN: what is left for the name
# after the longest ARN prefix (partition, region and account) there can be.
SSM_NAME_LIMIT = 1011 - len("arn:aws-us-gov:ssm:ap-southeast-5:123456789012:parameter/")
SSM_LEVELS = 15
SSM_STANDARD_VALUE_BYTES = 4096  # a Standard-tier parameter's value
EMPTY_REFERENCE = (
    "has an empty reference; give an SSM parameter name or ARN or a Secrets Manager secret "
    "ARN, or write the bare name to keep the value in shipyard:secretValues"
)


@dataclass(frozen=True)
class SecretReference:
    """Where one container variable's value lives."""

    variable: str
    kind: str  # pulumi | ssm | secretsmanager
    # SSM: the parameter name as GetParameter takes it. Secrets Manager: the secret's name
    # with AWS's suffix (what follows `secret:` in its ARN).
    name: str
    region: str = ""  # "" when the reference names none: the stack's region
    account: str = ""  # "" when the reference names none: the stack's account
    partition: str = "aws"
    json_key: str = ""
    version_stage: str = ""
    version_id: str = ""

    def arn(self, region: str, account: str) -> str:
        """The parameter's or the secret's ARN: what IAM grants and a describe call takes."""
        region, account = self.region or region, self.account or account
        if self.kind == SECRETS_MANAGER:
            return f"arn:{self.partition}:secretsmanager:{region}:{account}:secret:{self.name}"
        return f"arn:{self.partition}:ssm:{region}:{account}:parameter/{self.name.lstrip('/')}"

    def value_from(self, region: str, account: str) -> str:
        """The container definition's `valueFrom`: the ARN, plus the JSON key part, if any."""
        arn = self.arn(region, account)
        if self.json_key or self.version_stage or self.version_id:
            return f"{arn}:{self.json_key}:{self.version_stage}:{self.version_id}"
        return arn


def secret_parameter_name(service_name: str, environment: str, variable: str) -> str:
    """Where a value kept by Pulumi is stored (SSM SecureString)."""
    return f"{naming.secret_parameter_path(service_name, environment)}/{variable}"


def parse_entry(entry: str, service_name: str, environment: str) -> SecretReference:
    """One `secrets` entry; raises ValueError saying what is wrong (without the key path)."""
    variable, separator, reference = entry.partition("=")
    variable = variable.strip()
    if not VARIABLE_NAME.fullmatch(variable):
        raise ValueError(
            f"{variable!r} is not an environment variable name (letters, digits, underscores, "
            "not starting with a digit)"
        )
    if not separator:
        return SecretReference(
            variable, PULUMI, secret_parameter_name(service_name, environment, variable)
        )
    reference = reference.strip()
    if not reference:
        raise ValueError(f"{variable} {EMPTY_REFERENCE}")
    return parse_reference(variable, reference)


def parse_reference(variable: str, reference: str) -> SecretReference:
    if not reference.startswith("arn:"):
        return _ssm_name(variable, reference, reference)
    arn = _ARN.fullmatch(reference)
    if not arn:
        raise ValueError(f"{variable}: {reference!r} is not a well-formed ARN")
    service = arn["service"]
    if service == "ssm":
        resource = arn["resource"]
        if not resource.startswith("parameter/"):
            raise ValueError(
                f"{variable}: {reference!r} is an SSM ARN but not a parameter's "
                "(arn:aws:ssm:REGION:ACCOUNT:parameter/NAME)"
            )
        name = resource[len("parameter/") :]
        parsed = _ssm_name(variable, "/" + name if "/" in name else name, reference)
    elif service == SECRETS_MANAGER:
        parsed = _secret(variable, arn["resource"], reference)
    else:
        what = f"an {service} ARN" if service else "an ARN of no service"
        raise ValueError(
            f"{variable}: {reference!r} is {what}; a secret is an SSM parameter or a Secrets "
            "Manager secret"
        )
    if not re.fullmatch(r"[a-z]{2}(?:-[a-z]+)+-\d", arn["region"]):
        raise ValueError(f"{variable}: {reference!r} names no region; give the full ARN")
    if not re.fullmatch(r"\d{12}", arn["account"]):
        raise ValueError(f"{variable}: {reference!r} names no 12-digit account; give the full ARN")
    return SecretReference(
        variable,
        parsed.kind,
        parsed.name,
        region=arn["region"],
        account=arn["account"],
        partition=arn["partition"],
        json_key=parsed.json_key,
        version_stage=parsed.version_stage,
        version_id=parsed.version_id,
    )


def _ssm_name(variable: str, name: str, reference: str) -> SecretReference:
    if ":" in name:
        raise ValueError(
            f"{variable}: {reference!r} asks for a JSON key of an SSM parameter; a parameter "
            "holds one value (JSON keys are a Secrets Manager feature), so reference the "
            "parameter alone"
        )
    if not _SSM_NAME.fullmatch(name) or ("/" in name and not name.startswith("/")):
        raise ValueError(
            f"{variable}: {reference!r} is not an SSM parameter name (letters, digits, _ . - "
            "and /, a hierarchical name starting with /) nor an ARN"
        )
    if len(name) > SSM_NAME_LIMIT or name.count("/") > SSM_LEVELS:
        raise ValueError(
            f"{variable}: {reference!r} is longer than SSM allows ({SSM_NAME_LIMIT} characters, "
            f"{SSM_LEVELS} levels)"
        )
    if re.match(r"/?(aws|ssm)", name, re.IGNORECASE):
        raise ValueError(
            f"{variable}: {reference!r} starts with aws or ssm, which SSM reserves for itself"
        )
    return SecretReference(variable, SSM, name)


def _secret(variable: str, resource: str, reference: str) -> SecretReference:
    if not resource.startswith("secret:"):
        raise ValueError(
            f"{variable}: {reference!r} is a Secrets Manager ARN but not a secret's "
            "(arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf)"
        )
    name, *rest = resource[len("secret:") :].split(":")
    if not _SECRET_NAME.fullmatch(name):
        raise ValueError(
            f"{variable}: {reference!r} does not end in the 6-character suffix Secrets Manager "
            "adds to a secret's name (NAME-AbCdEf); copy the full ARN from `aws secretsmanager "
            "describe-secret --secret-id NAME`"
        )
    if rest and len(rest) != 3:
        raise ValueError(
            f"{variable}: {reference!r}: a JSON key reference has three parts after the ARN, "
            "json-key:version-stage:version-id, the last two possibly empty (ARN:password::)"
        )
    json_key, stage, version = rest or ("", "", "")
    if rest and not (json_key or stage or version):
        raise ValueError(
            f"{variable}: {reference!r} names no JSON key, stage or version; give one "
            "(ARN:password:: or ARN::AWSPREVIOUS:) or reference the whole secret by its ARN alone"
        )
    if stage and version:
        raise ValueError(
            f"{variable}: {reference!r} names both a version stage and a version id; keep one"
        )
    return SecretReference(
        variable, SECRETS_MANAGER, name, json_key=json_key, version_stage=stage,
        version_id=version,
    )  # fmt: skip


def readable_names(service_name: str, environment: str) -> tuple[str, str]:
    """What an environment's roles may read, as their permissions boundary grants it
    (deploy_policy.workload_boundary): parameters under one path, secrets by prefix. Not
    shipyard's own /shipyard/... parameters, which pull requests' preview role reads."""
    return (
        f"{naming.secret_parameter_path(service_name, environment)}/",
        naming.secret_name_prefix(service_name, environment),
    )


def outside_boundary(reference: SecretReference, service_name: str, environment: str) -> bool:
    parameters, secrets = readable_names(service_name, environment)
    if reference.kind == SECRETS_MANAGER:
        return not reference.name.startswith(secrets)
    return not ("/" + reference.name.lstrip("/")).startswith(parameters)

