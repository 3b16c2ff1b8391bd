"""A local stand-in for AWS (and Docker) that the real Pulumi engine deploys to.

The engine finds a resource provider plugin by name on PATH (`pulumi-resource-aws`,
`pulumi-resource-docker`; devtools/plugins/ has the two launchers) and talks to it over
Pulumi's ResourceProvider gRPC interface, whose stubs ship in the Python SDK. This server
answers that interface the way the mocks answer the SDK (shipyard/cli/offline.py's
RecordingMocks): the same deterministic IDs, ARNs and computed outputs, and the same
lookups (region, account, zones, repository, key, release record, zone, live service).

Where AWS_ENDPOINT_URL names a moto server (tests/engine and scripts/engine-check start
one), that server is the account: the resources other stacks, later updates and shipyard's
own boto3 calls need are made there too, with moto's IDs and ARNs, and lookups are answered
from it (devtools/moto_account.py). So an environment finds the repository and keys the
service stack made, its own release record, its zone and its ECS service, or "not found".

Diff replaces a resource where terraform-provider-aws marks a changed input ForceNew
(devtools/force_new.py, from the provider's source).

What it does not model: anything AWS checks at create time (names, limits, permissions,
combinations), replacements a provider decides at plan time (CustomizeDiff), and Read (a
refresh keeps what the state holds). It serves the engine's own
handling of the program: config, secrets, outputs, dependencies, replacements, deletes.
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

from devtools import force_new
from devtools.moto_account import MotoAccount
from shipyard.cli.offline import RecordingMocks, urn_key
from shipyard.config.stack_files import whole_numbers

PACKAGES = {"aws": "pulumi_aws", "docker": "pulumi_docker"}


def _plain(struct: struct_pb2.Struct) -> dict[str, Any]:
    # Protobuf's numbers are doubles; AWS's APIs want integers where they are whole.
    return dict(whole_numbers(json_format.MessageToDict(struct)))


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


class LocalCloud(provider_pb2_grpc.ResourceProviderServicer):
    def __init__(self, package: str) -> None:
        self.package = package
        self.mocks = RecordingMocks()
        self.account: MotoAccount | None = None
        self.force_new = force_new.load() if package == "aws" else {}

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
        endpoint = os.environ.get("AWS_ENDPOINT_URL")
        if endpoint and self.package == "aws":
            self.account = MotoAccount(endpoint, self.mocks.region)
        return proto.ConfigureResponse(acceptSecrets=False, supportsPreview=True)

    def Check(self, request: Any, context: Any) -> Any:
        return proto.CheckResponse(inputs=request.news)

    def Diff(self, request: Any, context: Any) -> Any:
        # Inputs against inputs, as a real provider diffs (the old outputs hold computed
        # values the program never sets); a change the provider marks ForceNew replaces.
        olds, news = _plain(request.old_inputs), _plain(request.news)
        changed = sorted(key for key in {*olds, *news} if olds.get(key) != news.get(key))
        typ, _ = urn_key(request.urn)
        replaces = force_new.replaced(self.force_new.get(typ, []), olds, news)
        return proto.DiffResponse(
            changes=proto.DiffResponse.DIFF_SOME if changed else proto.DiffResponse.DIFF_NONE,
            diffs=changed,
            replaces=replaces,
        )

    def _outputs(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        typ, name = urn_key(urn)
        resource_id, outputs = self.mocks.new_resource(
            MockResourceArgs(typ=typ, name=name, inputs=inputs, provider="", resource_id="")
        )
        return resource_id, outputs

    def Create(self, request: Any, context: Any) -> Any:
        inputs = _plain(request.properties)
        resource_id, outputs = self._outputs(request.urn, inputs)
        typ, name = urn_key(request.urn)
        if request.preview:
            return proto.CreateResponse(properties=_struct(outputs))
        if self.account is not None and self.account.kept(typ):
            resource_id = self.account.create(typ, name, inputs, outputs)
        else:
            resource_id = f"{resource_id}-{hashlib.sha256(request.urn.encode()).hexdigest()[:8]}"
        return proto.CreateResponse(id=resource_id, properties=_struct(outputs))

    def Update(self, request: Any, context: Any) -> Any:
        inputs, olds = _plain(request.news), _plain(request.olds)
        _, outputs = self._outputs(request.urn, inputs)
        typ, _ = urn_key(request.urn)
        if self.account is not None and self.account.kept(typ):
            # What AWS computed at creation stays (ARNs, IDs); the update may add to it.
            outputs.update({key: olds[key] for key in olds if key not in inputs})
            if not request.preview:
                self.account.update(typ, request.id, inputs, outputs)
        return proto.UpdateResponse(properties=_struct(outputs))

    def Read(self, request: Any, context: Any) -> Any:
        return proto.ReadResponse(
            id=request.id, properties=request.properties, inputs=request.inputs
        )

    def Delete(self, request: Any, context: Any) -> Any:
        typ, _ = urn_key(request.urn)
        if self.account is not None:
            self.account.delete(typ, request.id, _plain(request.properties))
        return empty_pb2.Empty()

    def Invoke(self, request: Any, context: Any) -> Any:
        args = _plain(request.args)
        if self.account is not None and self.account.answers(request.tok, args):
            outputs, failure = self.account.look_up(request.tok, args)
            failures = [("", failure)] if failure else []
        else:
            outputs, failures = self.mocks.call(
                MockCallArgs(token=request.tok, args=args, provider="")
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
