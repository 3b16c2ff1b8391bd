"""Evaluate the real Pulumi program (infra/__main__.py) offline, under Pulumi's unit-test mocks.

This is how the tests evaluate every stack, and how `shipyard validate` checks stack files
without the Pulumi CLI or AWS credentials.

No engine or provider plugin is needed: `pulumi.runtime.set_mocks` stands in for the engine,
and RecordingMocks answers as AWS would with plausible computed outputs (ARNs, DNS names,
digests) while recording every resource's inputs. A stack transformation records the options
the mocks cannot see (protect, parent, ignore_changes), and RecordingMonitor records what
each resource waits for: the URNs the SDK sends the engine, explicit `depends_on` and the
resources behind its input Outputs alike.
"""

from __future__ import annotations

import hashlib
import json
import os
import runpy
import sys
import uuid
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.stack import Stack

from shipyard.cli.project import CHECKOUT_DIR
from shipyard.config.engine_config import engine_config
from shipyard.config.parse import OFFLINE_VARIABLE
from shipyard.config.stack_files import project_name, secure_keys, stack_file, stack_values

ACCOUNT = "123456789012"
REGION = "us-east-1"
AMAZON_LINUX_AMI = "ami-0a1b2c3d4e5f60718"
# What a release record holds in an offline evaluation, unless told otherwise.
RECORDED_DIGEST = "sha256:" + "d" * 64
# What an offline evaluation builds: a fixed commit, so it reads no git state.
OFFLINE_COMMIT = "0" * 40
OFFLINE_VERSION = "offline"
# Regions newer than the provider's table of load balancer log accounts (a sample of them).
ELB_SERVICE_PRINCIPAL_REGIONS = frozenset({"ap-southeast-5", "ca-west-1", "mx-central-1"})


@dataclass
class Registered:
    type: str
    name: str
    inputs: dict[str, Any]
    protect: bool = False
    parent_type: str | None = None
    ignore_changes: list[str] = field(default_factory=list)
    # How long the engine waits for its create and update ("" for the provider's default).
    create_timeout: str = ""
    update_timeout: str = ""
    # (type, name) of every resource this one waits for before it is created.
    dependencies: set[tuple[str, str]] = field(default_factory=set)
    # (name, parent) of each alias: the name and parent it had before ("root": the stack).
    aliases: list[tuple[str, str]] = field(default_factory=list)
    # The inputs as the engine would store and show them: each secret as SECRET_SHOWN.
    shown_inputs: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return self.type, self.name


def _hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _arn(service: str, resource: str, region: str = REGION) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{resource}"


def key_id(name: Any) -> str:
    """A KMS key ID (a UUID), the same for the same name."""
    return str(uuid.UUID(_hash(name)[:32]))


def repository_attributes(name: str, region: str = REGION) -> dict[str, str]:
    return {
        "name": name,
        "repositoryUrl": f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/{name}",
        "registryId": ACCOUNT,
        "arn": _arn("ecr", f"repository/{name}", region),
    }


def urn_key(urn: str) -> tuple[str, str]:
    """(type, name) of a URN: urn:pulumi:<stack>::<project>::<parent$...$type>::<name>."""
    qualified_type, name = urn.split("::")[2:4]
    return qualified_type.rsplit("$", 1)[-1], name


def name_of_service(args: Mapping[str, Any]) -> str:
    return str(args.get("serviceName", ""))


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(
        self,
        zones: list[str] | None = None,
        region: str = REGION,
        releases: dict[str, str] | None = None,
        repositories: set[str] | None = None,
        keys: set[str] | None = None,
        live_services: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.resources: dict[tuple[str, str], Registered] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.region = region
        self.zones = [f"{region}{letter}" for letter in "abcdef"] if zones is None else zones
        # Release records by parameter name; None: every environment was released before,
        # with RECORDED_DIGEST. Repositories that exist; None: any the program asks for.
        self.releases = releases
        self.repositories = repositories
        # Key aliases the service stack has made; None: any the program asks for.
        self.keys = keys
        # ECS services that exist, by name, as DescribeServices shows them; none by default.
        self.live_services = live_services or {}

    def record(self, typ: str, name: str) -> Registered:
        return self.resources.setdefault((typ, name), Registered(typ, name, {}))

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict]:
        record = self.record(args.typ, args.name)
        record.inputs = dict(args.inputs)
        name = args.inputs.get("name", args.name)
        outputs: dict[str, Any] = {
            **args.inputs,
            "name": name,
            "arn": _arn(args.typ.split(":")[1].split("/")[0], f"{args.typ}/{name}", self.region),
        }
        outputs.update(self._computed(args.typ, name, args.inputs, self.region))
        return f"{args.name}-id", outputs

    @staticmethod
    def _computed(
        typ: str, name: str, inputs: dict[str, Any], region: str = REGION
    ) -> dict[str, Any]:
        if typ == "aws:ecr/repository:Repository":
            return repository_attributes(name, region)
        if typ == "docker:index/image:Image":
            repository = inputs["imageName"].rsplit(":", 1)[0]
            return {"repoDigest": f"{repository}@sha256:{_hash(inputs)}"}
        if typ == "aws:lb/loadBalancer:LoadBalancer":
            suffix = f"app/{name}/50dc6c495c0c9188"
            return {
                "dnsName": f"{name}-1234567890.{region}.elb.amazonaws.com",
                "arnSuffix": suffix,
                "arn": _arn("elasticloadbalancing", f"loadbalancer/{suffix}", region),
                # Route 53's zone for the load balancers of us-east-1 (aliases point into it).
                "zoneId": "Z35SXDOTRQ7X7K",
            }
        if typ == "aws:acm/certificate:Certificate":
            domain = inputs["domainName"]
            return {
                "arn": _arn("acm", f"certificate/{key_id(domain)}", region),
                "domainValidationOptions": [{
                    "domainName": domain, "resourceRecordType": "CNAME",
                    "resourceRecordName": f"_{_hash(domain)[:32]}.{domain}.",
                    "resourceRecordValue": f"_{_hash(name)[:32]}.acm-validations.aws.",
                }],
            }  # fmt: skip
        if typ == "aws:acm/certificateValidation:CertificateValidation":
            return {"certificateArn": inputs["certificateArn"]}
        if typ == "aws:route53/record:Record":
            return {"fqdn": str(inputs["name"]).rstrip(".")}
        if typ == "aws:lb/targetGroup:TargetGroup":
            suffix = f"targetgroup/{name}/73e2d6bc24d8a067"
            return {"arnSuffix": suffix, "arn": _arn("elasticloadbalancing", suffix, region)}
        if typ == "aws:ecs/taskDefinition:TaskDefinition":
            # Every change of inputs is a new revision, with a new ARN, as in ECS.
            revision = int(_hash(inputs)[:6], 16)
            return {
                "arn": _arn("ecs", f"task-definition/{inputs['family']}:{revision}", region),
                "revision": revision,
            }
        if typ == "aws:ec2/launchTemplate:LaunchTemplate":
            # Every change of inputs is a new numbered version, as in EC2.
            return {"latestVersion": int(_hash(inputs)[:6], 16)}
        if typ == "aws:cloudwatch/logGroup:LogGroup":
            return {"arn": _arn("logs", f"log-group:{name}", region)}
        if typ == "aws:iam/role:Role":
            return {"arn": f"arn:aws:iam::{ACCOUNT}:role/{name}"}
        if typ == "aws:s3/bucket:Bucket":
            bucket = f"{name}-{_hash(name)[:7]}"
            return {"bucket": bucket, "arn": f"arn:aws:s3:::{bucket}", "id": bucket}
        if typ == "aws:sns/topic:Topic":
            return {"arn": _arn("sns", name, region)}
        if typ == "aws:ssm/parameter:Parameter":
            return {"arn": _arn("ssm", f"parameter/{name.lstrip('/')}", region)}
        if typ == "aws:kms/key:Key":
            new_key = key_id(name)
            return {"keyId": new_key, "arn": _arn("kms", f"key/{new_key}", region)}
        return {}

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict, list]:
        self.calls.append((args.token, dict(args.args)))
        failure = self._failure(args.token, args.args)
        if failure:
            return {}, [("", failure)]
        answers: dict[str, dict[str, Any]] = {
            "aws:index/getRegion:getRegion": {
                "region": self.region, "name": self.region, "id": self.region,
            },
            "aws:index/getAvailabilityZones:getAvailabilityZones": {
                "names": self.zones,
                "zoneIds": [f"use1-az{index}" for index in range(1, len(self.zones) + 1)],
            },
            "aws:index/getCallerIdentity:getCallerIdentity": {
                "accountId": ACCOUNT,
                "arn": f"arn:aws:iam::{ACCOUNT}:user/deployer",
                "userId": "AIDAEXAMPLE",
            },
            "aws:ec2/getVpc:getVpc": {"id": "vpc-0default", "cidrBlock": "172.31.0.0/16"},
            # Out of order on purpose: the program must sort them for stable inputs.
            "aws:ec2/getSubnets:getSubnets": {
                "ids": ["subnet-0default-c", "subnet-0default-a", "subnet-0default-b"]
            },
            "aws:ecr/getRepository:getRepository": repository_attributes(
                args.args.get("name", ""), self.region
            ),
            "aws:ssm/getParameter:getParameter": {
                "name": args.args.get("name"),
                "type": "String",
                "value": self._parameter(args.args.get("name", "")),
            },
            # Elastic Load Balancing's account in us-east-1 (the provider's table).
            "aws:elb/getServiceAccount:getServiceAccount": {
                "arn": "arn:aws:iam::127311923021:root", "id": "127311923021",
            },
            "aws:route53/getZone:getZone": {
                "zoneId": args.args.get("zoneId") or "Z0123456789EXAMPLE",
                "name": f"{args.args.get('name') or 'example.com'}.",
                "id": args.args.get("zoneId") or "Z0123456789EXAMPLE",
            },
            # The environment's key, made by the service stack, found by its alias.
            "aws:kms/getKey:getKey": {
                "arn": _arn("kms", f"key/{key_id(args.args.get('keyId'))}", self.region),
                "id": key_id(args.args.get("keyId")),
            },
            "aws:ecs/getService:getService": self.live_services.get(
                str(args.args.get("serviceName")), {}
            ),
            "aws:ecr/getAuthorizationToken:getAuthorizationToken": {
                "userName": "AWS",
                "password": "mock-token",
                "proxyEndpoint": f"https://{ACCOUNT}.dkr.ecr.{self.region}.amazonaws.com",
            },
        }
        return answers.get(args.token, {}), []


    def _parameter(self, name: str) -> str:
        if name.startswith("/aws/service/"):
            return AMAZON_LINUX_AMI
        return RECORDED_DIGEST if self.releases is None else self.releases.get(name, "")

    def _failure(self, token: str, args: Mapping[str, Any]) -> str:
        """What AWS answers for a parameter or repository that does not exist."""
        name = str(args.get("name", ""))
        if token == "aws:ssm/getParameter:getParameter" and not self._parameter(name):
            return f"reading SSM Parameter ({name}): ParameterNotFound"
        if token == "aws:ecr/getRepository:getRepository" and (
            self.repositories is not None and name not in self.repositories
        ):
            return f"reading ECR Repository ({name}): RepositoryNotFoundException"
        if token == "aws:elb/getServiceAccount:getServiceAccount" and str(
            args.get("region")
        ) in ELB_SERVICE_PRINCIPAL_REGIONS:
            return f"unsupported AWS Region: {args.get('region')}"
        if token == "aws:ecs/getService:getService" and name_of_service(args) not in (
            self.live_services
        ):
            return f"reading ECS Service ({name_of_service(args)}): empty result"
        key = str(args.get("keyId", ""))
        if token == "aws:kms/getKey:getKey" and self.keys is not None and key not in self.keys:
            return f"reading KMS Key ({key}): NotFoundException: Alias {key} is not found."
        return ""


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The mock engine, also recording each resource's dependencies as the SDK sends them."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.recording = mocks

    def RegisterResource(self, request: Any) -> Any:
        if request.type != "pulumi:pulumi:Stack":
            record = self.recording.record(request.type, request.name)
            record.dependencies = {urn_key(urn) for urn in request.dependencies}
            record.shown_inputs = masked(json_format.MessageToDict(request.object))
        return super().RegisterResource(request)


# How the SDK marks a secret value on the wire (rpc.py's _special_sig_key and secret sig).
_SIG_KEY, _SECRET_SIG = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"
SECRET_SHOWN = "[secret]"


def masked(value: Any) -> Any:
    """A serialized property value with every secret replaced by SECRET_SHOWN."""
    if isinstance(value, dict):
        if value.get(_SIG_KEY) == _SECRET_SIG:
            return SECRET_SHOWN
        return {key: masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


@dataclass
class Evaluation:
    stack: str
    resources: dict[tuple[str, str], Registered]
    calls: list[tuple[str, dict[str, Any]]]
    outputs: dict[str, Any] = field(default_factory=dict)
    # The config the program was given, as the engine gives it: Pulumi.yaml's defaults
    # merged in, every value a string.
    config: dict[str, str] = field(default_factory=dict)

    def of_type(self, typ: str) -> list[Registered]:
        return [record for record in self.resources.values() if record.type == typ]

    def one(self, typ: str) -> Registered:
        found = self.of_type(typ)
        assert len(found) == 1, f"expected one {typ}, found {[r.name for r in found]}"
        return found[0]

    def inputs_by_key(self) -> dict[tuple[str, str], dict[str, Any]]:
        return {key: record.inputs for key, record in self.resources.items()}


def stack_config(stack: str, project_dir: Path = CHECKOUT_DIR) -> dict[str, Any]:
    """The `config:` block of stacks/Pulumi.<stack>.yaml as the file sets it (YAML values;
    encrypted ones as stack_files.ENCRYPTED, since nothing here can decrypt them)."""
    return stack_values(stack_file(project_dir, stack), project_name(project_dir))


@contextmanager
def _without_source_positions() -> Iterator[None]:
    """The SDK walks the Python stack at each registration to tell the engine where the
    resource was made; nothing offline reads it, and the walk is a quarter of an
    evaluation. Where the SDK no longer has the function, nothing is changed."""
    walk = getattr(pulumi_resource, "_get_stack_trace", None)
    if walk is None:
        yield
        return
    pulumi_resource._get_stack_trace = lambda *_, **__: source_pb2.StackTrace()  # empty
    try:
        yield
    finally:
        pulumi_resource._get_stack_trace = walk


@contextmanager
def _program_environment(project_dir: Path, commit: str, version: str) -> Iterator[None]:
    saved_path = list(sys.path)
    saved_env = {
        key: os.environ.get(key)
        for key in ("SHIPYARD_COMMIT", "SHIPYARD_VERSION", OFFLINE_VARIABLE)
    }
    saved_cwd = Path.cwd()
    sys.path.insert(0, str(project_dir / "infra"))
    os.environ["SHIPYARD_COMMIT"], os.environ["SHIPYARD_VERSION"] = commit, version
    # Nothing here decrypts `secure:` values: settings take them as set (stack_files).
    os.environ[OFFLINE_VARIABLE] = "1"
    # Pulumi runs the program from the project directory.
    os.chdir(project_dir)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def evaluate(
    stack: str,
    config: Mapping[str, Any] | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    commit: str = OFFLINE_COMMIT,
    version: str = OFFLINE_VERSION,
    preview: bool = False,
    mocks: RecordingMocks | None = None,
    project_dir: Path = CHECKOUT_DIR,
    secret_keys: Collection[str] = (),
) -> Evaluation:
    """Run infra/__main__.py for `stack` with its stack file's config (or `config`, values as
    a stack file holds them) plus overrides (`shipyard:` keys without the namespace), merged
    with Pulumi.yaml's declarations as the engine merges them (engine_config.engine_config,
    which raises ConfigTypeError where the engine would refuse to start the program).
    `secret_keys` are keys set as with `pulumi config set --secret`, as are those the stack
    file holds encrypted.

    Pass `mocks` to inspect what was registered even when the program raises.
    """
    values = dict(stack_config(stack, project_dir) if config is None else config)
    values.update({f"shipyard:{key}": value for key, value in (overrides or {}).items()})
    secret = {*secret_keys}
    if config is None:
        secret |= secure_keys(stack_file(project_dir, stack), project_name(project_dir))
    received = engine_config(stack, values, project_dir, secret)
    if mocks is None:
        mocks = RecordingMocks(region=str(received.get("aws:region") or REGION))
    pulumi.runtime.set_all_config(received, sorted(secret))
    # A fresh root stack per evaluation: outputs and transformations must not carry over.
    pulumi_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(
        mocks, project="shipyard", stack=stack, preview=preview, monitor=RecordingMonitor(mocks)
    )
    # The engine tells the program where the project is; the mocks leave a placeholder.
    pulumi_settings.SETTINGS.root_directory = str(project_dir)

    def record_options(args: pulumi.ResourceTransformationArgs) -> None:
        record = mocks.record(args.type_, args.name)
        record.protect = bool(args.opts.protect)
        record.parent_type = getattr(args.opts.parent, "_type", None) if args.opts.parent else None
        record.ignore_changes = list(args.opts.ignore_changes or [])
        timeouts = args.opts.custom_timeouts
        record.create_timeout = (timeouts.create or "") if timeouts else ""
        record.update_timeout = (timeouts.update or "") if timeouts else ""
        record.aliases = [
            (str(alias.name), "root" if alias.parent is None else str(alias.parent))
            for alias in args.opts.aliases or []
            if isinstance(alias, pulumi.Alias)
        ]

    pulumi.runtime.register_stack_transformation(record_options)

    exported: dict[str, Any] = {}

    @pulumi.runtime.test
    def run_program() -> pulumi.Output:
        runpy.run_path(str(project_dir / "infra" / "__main__.py"), run_name="__main__")
        root = pulumi.runtime.get_root_resource()
        assert isinstance(root, Stack), "set_mocks made a root stack"
        return pulumi.Output.all(**root.outputs).apply(exported.update)

    with _program_environment(project_dir, commit, version), _without_source_positions():
        run_program()
    return Evaluation(stack, mocks.resources, mocks.calls, exported, received)
