"""A local stand-in for AWS (and Docker) that the real Pulumi engine deploys to.

The engine finds a resource provider plugin by name on PATH (`pulumi-resource-aws`,
`pulumi-resource-docker`; devtools/plugins/ has the two launchers) and talks to it over
Pulumi's ResourceProvider gRPC interface, whose stubs ship in the Python SDK. This server
answers that interface the way the mocks answer the SDK (shipyard_cli/offline.py's
RecordingMocks): the same deterministic IDs, ARNs and computed outputs, and the same
lookups (region, account, zones, repository, key, release record, zone, live service).

Where AWS_ENDPOINT_URL names a moto server (tests/engine and scripts/engine-check start
one), launch templates and Auto Scaling groups are also made there: the program's own
rollout step (a dynamic provider, which calls Auto Scaling with boto3) then finds the group
it rolls out to, on the version the program asked for.

What it does not model: anything AWS checks (names, limits, permissions), replacements
(Diff reports changed properties, never a replace), state across stacks, and Read (a
refresh keeps what the state holds). It serves previews and the engine's own checks of the
program: config, secrets, outputs, dependencies.
"""

from __future__ import annotations

import hashlib
import os
import sys
from concurrent import futures
from importlib import metadata
from threading import Event
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime import proto
from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs
from pulumi.runtime.proto import provider_pb2_grpc

from shipyard_cli.offline import RecordingMocks, urn_key

PACKAGES = {"aws": "pulumi_aws", "docker": "pulumi_docker"}
MIRRORED = ("aws:ec2/launchTemplate:LaunchTemplate", "aws:autoscaling/group:Group")


def _plain(struct: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(struct)


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


class LocalCloud(provider_pb2_grpc.ResourceProviderServicer):
    def __init__(self, package: str) -> None:
        self.package = package
        self.mocks = RecordingMocks()

    def GetPluginInfo(self, request: Any, context: Any) -> Any:
        return proto.PluginInfo(version=metadata.version(PACKAGES[self.package]))

    def GetSchema(self, request: Any, context: Any) -> Any:
        return proto.GetSchemaResponse(schema="{}")

    def CheckConfig(self, request: Any, context: Any) -> Any:
        return proto.CheckResponse(inputs=request.news)

    def DiffConfig(self, request: Any, context: Any) -> Any:
        return proto.DiffResponse()

    def Configure(self, request: Any, context: Any) -> Any:
        region = _plain(request.args).get("region") or request.variables.get("aws:config:region")
        if region:
            self.mocks = RecordingMocks(region=str(region))
        return proto.ConfigureResponse(acceptSecrets=False, supportsPreview=True)

    def Check(self, request: Any, context: Any) -> Any:
        return proto.CheckResponse(inputs=request.news)

    def Diff(self, request: Any, context: Any) -> Any:
        # Inputs against inputs, as a real provider diffs (the old outputs hold computed
        # values the program never sets).
        olds, news = _plain(request.old_inputs), _plain(request.news)
        changed = sorted(key for key in {*olds, *news} if olds.get(key) != news.get(key))
        return proto.DiffResponse(
            changes=proto.DiffResponse.DIFF_SOME if changed else proto.DiffResponse.DIFF_NONE,
            diffs=changed,
        )

    def _outputs(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        typ, name = urn_key(urn)
        resource_id, outputs = self.mocks.new_resource(
            MockResourceArgs(typ=typ, name=name, inputs=inputs, provider="", resource_id="")
        )
        return resource_id, outputs

    def _mirror(self, urn: str, inputs: dict[str, Any], outputs: dict[str, Any],
                resource_id: str, preview: bool, update: bool = False) -> str:  # fmt: skip
        """Make launch templates and groups in moto too, where there is one; their IDs and
        versions are then moto's."""
        typ, name = urn_key(urn)
        endpoint = os.environ.get("AWS_ENDPOINT_URL")
        if preview or not endpoint or typ not in MIRRORED:
            return resource_id
        import boto3

        region = self.mocks.region
        if typ == "aws:ec2/launchTemplate:LaunchTemplate":
            ec2 = boto3.client("ec2", region_name=region, endpoint_url=endpoint)
            if update:
                made = ec2.create_launch_template_version(
                    LaunchTemplateId=resource_id, LaunchTemplateData={}
                )["LaunchTemplateVersion"]
                outputs["latestVersion"] = made["VersionNumber"]
                return resource_id
            template = ec2.create_launch_template(
                LaunchTemplateName=str(inputs.get("name") or name), LaunchTemplateData={}
            )["LaunchTemplate"]
            outputs["latestVersion"] = 1
            return str(template["LaunchTemplateId"])
        if typ == "aws:autoscaling/group:Group" and not update:
            template = inputs["launchTemplate"]
            autoscaling = boto3.client("autoscaling", region_name=region, endpoint_url=endpoint)
            autoscaling.create_auto_scaling_group(
                AutoScalingGroupName=str(inputs["name"]), MinSize=int(inputs["minSize"]),
                MaxSize=int(inputs["maxSize"]), DesiredCapacity=int(inputs["desiredCapacity"]),
                AvailabilityZones=[f"{region}a"],
                LaunchTemplate={"LaunchTemplateId": template["id"],
                                "Version": str(template["version"])},
            )  # fmt: skip
            return str(inputs["name"])
        return resource_id

    def Create(self, request: Any, context: Any) -> Any:
        inputs = _plain(request.properties)
        resource_id, outputs = self._outputs(request.urn, inputs)
        digest = hashlib.sha256(request.urn.encode()).hexdigest()[:8]
        resource_id = self._mirror(
            request.urn, inputs, outputs, f"{resource_id}-{digest}", request.preview
        )
        return proto.CreateResponse(
            id="" if request.preview else resource_id, properties=_struct(outputs)
        )

    def Update(self, request: Any, context: Any) -> Any:
        inputs = _plain(request.news)
        _, outputs = self._outputs(request.urn, inputs)
        self._mirror(request.urn, inputs, outputs, request.id, request.preview, update=True)
        return proto.UpdateResponse(properties=_struct(outputs))

    def Read(self, request: Any, context: Any) -> Any:
        return proto.ReadResponse(
            id=request.id, properties=request.properties, inputs=request.inputs
        )

    def Delete(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()

    def Invoke(self, request: Any, context: Any) -> Any:
        outputs, failures = self.mocks.call(
            MockCallArgs(token=request.tok, args=_plain(request.args), provider="")
        )
        return proto.InvokeResponse(
            **{"return": _struct(outputs)},
            failures=[proto.CheckFailure(property=p, reason=r) for p, r in failures],
        )

    def Cancel(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()


def main(package: str) -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(LocalCloud(package), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    # The engine reads the port from the first line the plugin prints.
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    Event().wait()


if __name__ == "__main__":
    main(sys.argv[1])
