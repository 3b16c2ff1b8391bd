"""AWS for the CLI's tests and benchmarks: moto on 127.0.0.1, seeded like a deployment.

Moto cannot reach some states by itself (ECS services never run tasks, instance refreshes do
not exist, targets are always healthy). `World` injects them through botocore's own event
hooks on the very clients the CLI uses, so every other call still goes to moto.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
import logging
import os
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from devtools.instance_refreshes import InstanceRefreshes
from shipyard.aws import Aws
from shipyard.config import naming
from shipyard.config.secret_references import SECRETS_MANAGER, SSM, parse_entry

REGION = "us-east-1"
REPOSITORY = "shipyard-sample"


def release_parameter(env: str) -> str:
    return naming.release_parameter_name(REPOSITORY, env)


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """moto on 127.0.0.1 for a test session or a benchmark; yields its endpoint, and empties
    it afterwards (its backends outlive the server)."""
    # Moto's EC2 backend otherwise makes its default AMIs, with a snapshot and a volume each,
    # whenever it starts or is reset: a third of a CLI test's time. Nothing here looks them
    # up: launch templates name an AMI that moto does not check.
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    from moto.server import ThreadedMotoServer  # flask and werkzeug load only here

    from devtools import moto_refreshes, moto_tasks

    moto_refreshes.install()
    moto_tasks.install()

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        yield endpoint
    finally:
        reset_moto(endpoint)
        server.stop()


def reset_moto(endpoint: str) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()


@functools.cache
def _session() -> boto3.Session:
    """One session for every world: it caches the service models, whose JSON (EC2's is
    megabytes) a new session would parse again for every test. Clients, and the fault hooks
    registered on them, are still each world's own."""
    return boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )


class World:
    def __init__(self, endpoint_url: str, make_repository: bool = True) -> None:
        """`make_repository`: make the service's ECR repository, as the service stack would
        (False where a stack on the engine made it)."""
        self.aws = Aws(_session(), endpoint_url=endpoint_url)
        self.calls: dict[str, int] = {}
        # The CancelCommand requests of `shipyard run` on EC2 (one_off_command).
        self.cancelled_commands: list[dict[str, Any]] = []
        self._vpc: tuple[str, list[str]] | None = None
        # Instance refreshes, which moto lacks, by AWS's documented rules.
        self.refreshes = InstanceRefreshes(
            self.client("autoscaling"),
            _session().client("autoscaling", endpoint_url=endpoint_url),
        )
        self._template_versions = 0
        self._deployment_handlers: list[tuple[str, Callable[..., Any]]] = []
        self._deployments = 0
        # Moto has no service deployments: a service lists none until a test scripts one.
        self.client("ecs").meta.events.register_last(
            "before-call.ecs.ListServiceDeployments",
            lambda **_: (AWSResponse(None, 200, {}, None), {"serviceDeployments": []}),
        )
        if make_repository:
            self.client("ecr").create_repository(repositoryName=REPOSITORY)

    def client(self, service: str) -> Any:
        return self.aws.client(service)

    # ---- seeding ---------------------------------------------------------------------

    def push_image(self, tag: str) -> str:
        """A distinct manifest per tag, as a real build would give; returns its digest."""
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": len(tag),
                "digest": "sha256:" + tag.encode().hex().ljust(64, "0")[:64],
            },
            "layers": [],
        }
        body = json.dumps(manifest)
        # ECR names an image by the sha256 of its manifest; moto needs to be told it.
        digest = "sha256:" + hashlib.sha256(body.encode()).hexdigest()
        image = self.client("ecr").put_image(
            repositoryName=REPOSITORY, imageManifest=body, imageTag=tag, imageDigest=digest
        )
        return image["image"]["imageId"]["imageDigest"]

    def delete_image(self, digest: str) -> None:
        self.client("ecr").batch_delete_image(
            repositoryName=REPOSITORY, imageIds=[{"imageDigest": digest}]
        )

    def _network(self) -> tuple[str, list[str]]:
        if self._vpc is None:
            ec2 = self.client("ec2")
            vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
            # As the program's VPC has it (and moto's awsvpc tasks need it).
            ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
            subnets = [
                ec2.create_subnet(
                    VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{zone}"
                )["Subnet"]["SubnetId"]
                for i, zone in enumerate("ab")
            ]
            self._vpc = (vpc, subnets)
        return self._vpc

    def _load_balancer(self, env: str, target_type: str) -> tuple[str, str]:
        vpc, subnets = self._network()
        elb = self.client("elbv2")
        elb.create_load_balancer(Name=f"{env}-alb", Subnets=subnets, Type="application")
        group = elb.create_target_group(
            Name=f"{env}-tg", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType=target_type
        )["TargetGroups"][0]["TargetGroupArn"]
        return vpc, group

    def _alarms(self, prefix: str, namespace: str) -> list[str]:
        names = [f"{prefix}-5xx", f"{prefix}-unhealthy", f"{prefix}-cpu"]
        for name in names:
            self.client("cloudwatch").put_metric_alarm(
                AlarmName=name, MetricName="CPUUtilization", Namespace=namespace,
                Statistic="Average", Period=60, EvaluationPeriods=1, Threshold=80,
                ComparisonOperator="GreaterThanThreshold",
            )  # fmt: skip
        return names

    def ecs_environment(
        self, env: str, desired: int = 2, strategy: str = "rolling"
    ) -> dict[str, Any]:
        prefix = f"shipyard-sample-{env}"
        vpc, group = self._load_balancer(env, "ip")
        moving: dict[str, Any] = {"deploymentStrategy": strategy}
        if strategy != "rolling":  # the second group ECS moves traffic to, empty for now
            moving["alternateTargetGroupArn"] = self.client("elbv2").create_target_group(
                Name=f"{env}-tg2", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip"
            )["TargetGroups"][0]["TargetGroupArn"]
        self.client("elbv2").register_targets(
            TargetGroupArn=group,
            Targets=[{"Id": f"10.0.0.{10 + i}", "Port": 8080} for i in range(desired)],
        )
        ecs = self.client("ecs")
        ecs.create_cluster(clusterName=prefix)
        ecs.register_task_definition(
            family=prefix, containerDefinitions=[{"name": "app", "image": "x", "memory": 512}]
        )
        ecs.create_service(
            cluster=prefix, serviceName=prefix, taskDefinition=prefix, desiredCount=desired,
            launchType="FARGATE",  # as the program makes it
        )
        self.client("logs").create_log_group(logGroupName=f"/shipyard/{prefix}")
        return {
            "target": "ecs",
            "clusterName": prefix,
            "serviceName": prefix,
            "targetGroupArn": group,
            "alarmNames": self._alarms(prefix, "AWS/ECS"),
            "logGroupName": f"/shipyard/{prefix}",
            "repositoryUrl": f"123456789012.dkr.ecr.{REGION}.amazonaws.com/{REPOSITORY}",
            "releaseParameter": release_parameter(env),
            "url": f"http://{env}-alb.example",
            **moving,
        }

    def runnable(self, outputs: dict[str, Any]) -> None:
        """The ECS environment's service on a task definition as the program makes it: one
        container logging to the service's log group, in awsvpc subnets."""
        prefix = outputs["serviceName"]
        ecs = self.client("ecs")
        arn = ecs.register_task_definition(
            family=prefix, networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
            cpu="256", memory="512",
            executionRoleArn=f"arn:aws:iam::123456789012:role/{prefix}-execution",
            taskRoleArn=f"arn:aws:iam::123456789012:role/{prefix}-task",
            containerDefinitions=[{
                "name": "app", "image": f"{outputs['repositoryUrl']}@sha256:{'1' * 64}",
                # The program sizes the task only; moto's RunTask needs the container's size.
                "essential": True, "memory": 512,
                "logConfiguration": {"logDriver": "awslogs", "options": {
                    "awslogs-group": outputs["logGroupName"], "awslogs-region": REGION,
                    "awslogs-stream-prefix": "app",
                }},
            }],
        )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip
        _, subnets = self._network()
        ecs.update_service(
            cluster=prefix, service=prefix, taskDefinition=arn,
            networkConfiguration={"awsvpcConfiguration": {
                "subnets": subnets[:1], "securityGroups": ["sg-12345678"],
                "assignPublicIp": "DISABLED",
            }},
        )  # fmt: skip

    def one_off_task(
        self, group: str, lines: list[str], exit_code: int | None = 0, reason: str = "",
        stops_after: int = 2, started_by: str = "shipyard-run",
    ) -> list[dict[str, Any]]:
        """What ECS does with a one-off task (moto starts it and leaves it running): its
        lines arrive in its log stream, one per DescribeTasks, and at the `stops_after`-th
        it stops with `exit_code` (None: its container never ran, for `reason`). Returns the
        RunTask requests."""
        requests: list[dict[str, Any]] = []
        seen = {"count": 0}
        pending = list(lines)

        def remember(params: dict[str, Any], **_: Any) -> None:
            requests.append(params)

        def progress(parsed: dict) -> None:
            for task in parsed.get("tasks", []):
                if task.get("startedBy") != started_by:
                    continue
                seen["count"] += 1
                stream = f"app/app/{task['taskArn'].rsplit('/', 1)[-1]}"
                stopping = seen["count"] >= stops_after
                if exit_code is not None:
                    self._arrive(group, stream, pending, all_of_them=stopping)
                # moto moves tasks on by itself: it runs until the script says it stops.
                task["lastStatus"] = "STOPPED" if stopping else "RUNNING"
                for container in task.get("containers", []):
                    container.pop("exitCode", None)
                    if stopping and exit_code is not None:
                        container["exitCode"] = exit_code
                    elif stopping:
                        container["reason"] = reason
                if stopping:
                    task["stoppedReason"] = reason or "Essential container in task exited"

        self.client("ecs").meta.events.register("provide-client-params.ecs.RunTask", remember)
        self._after("ecs", "DescribeTasks", progress)
        return requests

    def one_off_command(
        self, group: str, lines: list[str], statuses: list[str], response_code: int = 0,
        error: str = "",
    ) -> list[dict[str, Any]]:
        """What SSM does with `shipyard run`'s script on an instance (moto reports success at
        once and runs nothing): GetCommandInvocation answers `statuses` in turn (the last
        one from then on) with `response_code`, and the container's `lines` reach the
        script's log stream one per answer. Returns the SendCommand requests."""
        requests: list[dict[str, Any]] = []
        pending = list(lines)
        answers = list(statuses)

        def remember(params: dict[str, Any], **_: Any) -> None:
            requests.append(params)

        def progress(parsed: dict) -> None:
            script = requests[-1]["Parameters"]["commands"][0]
            stream = script.split("awslogs-stream=", 1)[1].split()[0]
            status = answers.pop(0) if len(answers) > 1 else answers[0]
            done = status not in ("Pending", "InProgress", "Delayed")
            self._arrive(group, stream, pending, all_of_them=done)
            parsed.update(Status=status, ResponseCode=response_code if done else -1,
                          StandardErrorContent=error if done else "")

        def cancel(**_: Any) -> tuple[AWSResponse, dict]:  # moto has no CancelCommand
            answers[:] = ["Cancelled"]
            return AWSResponse(None, 200, {}, None), {}

        def record_cancel(params: dict[str, Any], **_: Any) -> None:
            cancels.append(dict(params))

        cancels = self.cancelled_commands
        self.client("ssm").meta.events.register("provide-client-params.ssm.SendCommand", remember)
        self.client("ssm").meta.events.register(
            "provide-client-params.ssm.CancelCommand", record_cancel
        )
        self.client("ssm").meta.events.register("before-call.ssm.CancelCommand", cancel)
        self._after("ssm", "GetCommandInvocation", progress)
        return requests

    def _arrive(self, group: str, stream: str, pending: list[str], all_of_them: bool) -> None:
        """A one-off command's next line reaches its log stream, or every line left where it
        has ended."""
        arriving = pending if all_of_them else pending[:1]
        for line in arriving:
            self.log(group, stream, [(int(time.time() * 1000), line)])
        del pending[: len(arriving)]

    def ec2_environment(self, env: str, desired: int = 2) -> dict[str, Any]:
        prefix = f"shipyard-sample-{env}"
        _, subnets = self._network()
        _, group = self._load_balancer(env, "instance")
        self.client("ec2").create_launch_template(
            LaunchTemplateName=prefix,
            LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.small"},
        )
        autoscaling = self.client("autoscaling")
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=prefix, MinSize=desired, MaxSize=desired * 2,
            DesiredCapacity=desired, LaunchTemplate={"LaunchTemplateName": prefix, "Version": "1"},
            VPCZoneIdentifier=",".join(subnets), TargetGroupARNs=[group],
            HealthCheckType="ELB",
        )  # fmt: skip
        self.client("logs").create_log_group(logGroupName=f"/shipyard/{prefix}")
        return {
            "target": "ec2",
            "autoScalingGroupName": prefix,
            "targetGroupArn": group,
            "alarmNames": self._alarms(prefix, "AWS/EC2"),
            "logGroupName": f"/shipyard/{prefix}",
            "repositoryUrl": f"123456789012.dkr.ecr.{REGION}.amazonaws.com/{REPOSITORY}",
            "releaseParameter": release_parameter(env),
            "url": f"http://{env}-alb.example",
        }

    def store_secrets(self, env: str, config: dict[str, str]) -> dict[str, str]:
        """Create every parameter and secret a stack's config references, as a team does
        before its first deploy. Secrets Manager picks each secret's ARN suffix itself, so
        the config comes back referencing the ARNs moto chose."""
        entries = json.loads(config.get("shipyard:secrets") or "[]")
        stored = []
        for entry in entries:
            reference = parse_entry(entry, REPOSITORY, env)
            value = f"test-only-{reference.variable.lower()}"
            if reference.kind == SSM:
                self.client("ssm").put_parameter(
                    Name=reference.name, Value=value, Type="SecureString", Overwrite=True
                )
            elif reference.kind == SECRETS_MANAGER:
                arn = self.client("secretsmanager").create_secret(
                    Name=reference.name.rsplit("-", 1)[0],
                    SecretString=json.dumps({reference.json_key: value})
                    if reference.json_key
                    else value,
                )["ARN"]
                entry = entry.replace(reference.arn("", ""), arn)
            stored.append(entry)
        return {**config, "shipyard:secrets": json.dumps(stored)} if entries else dict(config)

    def record_release(self, env: str, digest: str) -> None:
        """What the program's release record (an SSM parameter) holds after an update."""
        self.client("ssm").put_parameter(
            Name=release_parameter(env), Value=digest, Type="String", Overwrite=True
        )

    def release_record(self, env: str) -> str | None:
        return self.aws.release_record(release_parameter(env))

    def run_on_ecs(self, outputs: dict[str, Any], image: str) -> None:
        """The ECS service on a new task definition revision running `image`."""
        ecs = self.client("ecs")
        arn = ecs.register_task_definition(
            family=outputs["serviceName"],
            containerDefinitions=[{"name": "app", "image": image, "memory": 512}],
        )["taskDefinition"]["taskDefinitionArn"]
        ecs.update_service(
            cluster=outputs["clusterName"], service=outputs["serviceName"], taskDefinition=arn
        )

    def new_launch_template_version(self, group: str, image: str = "") -> tuple[str, str]:
        """What `pulumi up` does to the launch template for a new image: a new version whose
        boot script runs `image`, from the one the group has saved, which it leaves alone (the
        rollout step moves the group); returns the template's ID and the version."""
        autoscaling, ec2 = self.client("autoscaling"), self.client("ec2")
        current = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group])[
            "AutoScalingGroups"
        ][0]["LaunchTemplate"]
        self._template_versions += 1
        made = ec2.create_launch_template_version(
            LaunchTemplateName=current["LaunchTemplateName"],
            SourceVersion=current["Version"],
            LaunchTemplateData={
                "UserData": base64.b64encode(
                    f"#!/bin/bash\n# rollout {self._template_versions}\nimage='{image}'\n".encode()
                ).decode()
            },
        )["LaunchTemplateVersion"]
        return made["LaunchTemplateId"], str(made["VersionNumber"])

    def alarm(self, name: str) -> None:
        self.client("cloudwatch").set_alarm_state(
            AlarmName=name, StateValue="ALARM", StateReason="injected by the test"
        )

    def log(self, group: str, stream: str, messages: list[tuple[int, str]]) -> None:
        logs = self.client("logs")
        with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
        logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": stamp, "message": text} for stamp, text in messages],
        )

    # ---- states moto cannot reach -------------------------------------------------------

    def _after(self, service: str, operation: str, change: Callable[[dict], None]) -> None:
        self.client(service).meta.events.register(
            f"after-call.{service}.{operation}", _parsed(change)
        )

    def tasks_running(self) -> None:
        """ECS runs every desired task and the deployment completes."""

        def run(parsed: dict) -> None:
            for service in parsed.get("services", []):
                service["runningCount"] = service["desiredCount"]
                primary = next(d for d in service["deployments"] if d["status"] == "PRIMARY")
                primary.update(
                    runningCount=service["desiredCount"],
                    rolloutState="COMPLETED",
                    rolloutStateReason="ECS deployment completed.",
                )
                service["deployments"] = [primary]

        self._after("ecs", "DescribeServices", run)

    def deployment_failed(self, reason: str) -> None:
        """The circuit breaker stopped the newest ECS deployment; the old tasks still run."""

        def fail(parsed: dict) -> None:
            for service in parsed.get("services", []):
                primary = next(d for d in service["deployments"] if d["status"] == "PRIMARY")
                primary.update(rolloutState="FAILED", rolloutStateReason=reason, runningCount=0)
                service["runningCount"] = service["desiredCount"]
                active = dict(
                    primary,
                    status="ACTIVE",
                    rolloutState="COMPLETED",
                    runningCount=service["desiredCount"],
                )
                service["deployments"] = [primary, active]

        self._after("ecs", "DescribeServices", fail)

    def targets(self, state: str, reason: str = "") -> None:
        def set_state(parsed: dict) -> None:
            for item in parsed.get("TargetHealthDescriptions", []):
                item["TargetHealth"] = {"State": state, "Description": reason}

        self._after("elbv2", "DescribeTargetHealth", set_state)

    def tasks_registered(self, count: int) -> None:
        """ECS registers its tasks in the service's target group (moto registers nothing):
        a group moto lists no targets of shows `count`, healthy."""

        def register(parsed: dict) -> None:
            if not parsed.get("TargetHealthDescriptions"):
                parsed["TargetHealthDescriptions"] = [
                    {"Target": {"Id": f"10.0.1.{10 + i}", "Port": 8080},
                     "TargetHealth": {"State": "healthy"}}
                    for i in range(count)
                ]  # fmt: skip

        self._after("elbv2", "DescribeTargetHealth", register)

    def instances_in_service(self) -> None:
        def serve(parsed: dict) -> None:
            for group in parsed.get("AutoScalingGroups", []):
                for instance in group.get("Instances", []):
                    instance["LifecycleState"] = "InService"

        self._after("autoscaling", "DescribeAutoScalingGroups", serve)

    def instance_refresh(self, status: str, reason: str = "") -> None:
        """Instance refreshes started from now on end in `status` (the model's script)."""
        self.refreshes.end_with(status, reason)

    def accept_instance_refreshes(self, refuse_with: str = "") -> list[dict[str, Any]]:
        """The StartInstanceRefresh requests made from now on, as they reach AWS; with
        `refuse_with`, each is refused with that error code."""
        self.refreshes.refuse_with = refuse_with
        self.refreshes.requests.clear()
        return self.refreshes.requests

    def service_deployment(
        self,
        outputs: dict[str, Any],
        stages: list[tuple[str, str, float]],
        previous_image: str,
        step: float = 0.3,
        refuse_stop: str = "",
        rollback_reason: str = "",
        sources: int = 1,
        new_image: str = "",
        rollback_ends: str = "ROLLBACK_SUCCESSFUL",
        failed_tasks: int = 0,
    ) -> list[dict[str, Any]]:
        """An ECS service deployment, which moto lacks, starting now: each (status, lifecycle
        stage, % of production traffic new) of `stages` lasts at least `step` seconds (see
        `_Pace`; 0: the last at once), and the last stays. StopServiceDeployment (refused
        with `refuse_stop`, if given) starts a rollback of a few steps that ends
        `rollback_ends`. The previous revision runs `previous_image`, the new one
        `new_image`. Returns the stop requests made, as they reach AWS."""
        ecs = self.client("ecs")

        def task_definition(image: str) -> str:
            return ecs.register_task_definition(
                family=outputs["serviceName"],
                containerDefinitions=[{"name": "app", "image": image, "memory": 512}],
            )["taskDefinition"]["taskDefinitionArn"]

        base = f"arn:aws:ecs:{REGION}:123456789012"
        service = f"{outputs['clusterName']}/{outputs['serviceName']}"
        self._deployments += 1  # a new ARN, as each deployment ECS starts has
        arn = f"{base}:service-deployment/{service}/d-{self._deployments}"
        revision = f"{base}:service-revision/{service}/{self._deployments}-from"
        target = f"{base}:service-revision/{service}/{self._deployments}-to"
        runs = {revision: task_definition(previous_image),
                target: task_definition(new_image or "new")}  # fmt: skip
        pace = _Pace(stages, step)
        script = {"reason": rollback_reason}
        # Stamped by AWS's clock, here ten minutes behind the local one: the CLI must find
        # the deployment an update started without comparing clocks.
        created = datetime.now(UTC) - timedelta(minutes=10)
        stops: list[dict[str, Any]] = []

        def now(telling: bool = False) -> dict[str, Any]:
            status, stage, weight = pace.current(telling)
            deployment = {
                "serviceDeploymentArn": arn, "status": status, "lifecycleStage": stage,
                "createdAt": created, "sourceServiceRevisions": [{"arn": revision}] * sources,
                "targetServiceRevision": {
                    "arn": target,
                    "requestedProductionTrafficWeight": weight,
                },
            }  # fmt: skip
            if status.startswith("ROLLBACK"):
                reason = script["reason"] or "Stopped by StopServiceDeployment (ROLLBACK)"
                deployment["rollback"] = {"reason": reason, "serviceRevisionArn": revision}
            if failed_tasks:  # the circuit breaker (rolling) counted them
                deployment["deploymentCircuitBreaker"] = {
                    "status": "TRIGGERED", "failureCount": failed_tasks, "threshold": 3
                }
            return deployment

        def answer(result: Callable[..., dict[str, Any]]) -> Callable[..., Any]:
            def handler(**kwargs: Any) -> tuple[AWSResponse, dict]:
                return AWSResponse(None, 200, {}, None), result(**kwargs)

            return handler

        def listing(params: dict[str, Any], **_: Any) -> dict[str, Any]:
            current = now()
            wanted = json.loads(params.get("body") or b"{}").get("status")  # the request
            found = [] if wanted and current["status"] not in wanted else [current]
            keys = ("serviceDeploymentArn", "status", "createdAt")
            return {"serviceDeployments": [{key: d[key] for key in keys} for d in found]}

        def stop(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict] | None:
            stops.append(dict(params))
            if refuse_stop:
                error = {"Code": refuse_stop, "Message": f"injected {refuse_stop}"}
                return AWSResponse(None, 400, {}, None), {"Error": error}
            pace.restart([
                ("ROLLBACK_REQUESTED", "PRODUCTION_TRAFFIC_SHIFT", now()["targetServiceRevision"][
                    "requestedProductionTrafficWeight"]),
                ("ROLLBACK_IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 0),
                (rollback_ends, "CLEAN_UP", 0),
            ])  # fmt: skip
            script["reason"] = ""
            return AWSResponse(None, 200, {}, None), {"serviceDeploymentArn": arn}

        def revisions(params: dict[str, Any], **_: Any) -> dict[str, Any]:
            asked = json.loads(params.get("body") or b"{}").get("serviceRevisionArns", [])
            return {"serviceRevisions": [
                {"serviceRevisionArn": arn, "taskDefinition": runs[arn]} for arn in asked
            ], "failures": []}  # fmt: skip

        pending_stop: dict[str, Any] = {}

        def remember(params: dict[str, Any], **_: Any) -> None:
            pending_stop.update(params)

        handlers: list[tuple[str, Callable[..., Any]]] = [
            ("before-call.ecs.ListServiceDeployments", answer(listing)),
            ("before-call.ecs.DescribeServiceDeployments",
             answer(lambda **_: {"serviceDeployments": [now(telling=True)], "failures": []})),
            ("before-call.ecs.DescribeServiceRevisions", answer(revisions)),
            ("before-parameter-build.ecs.StopServiceDeployment", remember),
            ("before-call.ecs.StopServiceDeployment", lambda **_: stop(dict(pending_stop))),
        ]  # fmt: skip
        events = ecs.meta.events
        for event, old in self._deployment_handlers:  # the newest deployment replaces
            events.unregister(event, old)
        self._deployment_handlers = handlers
        for event, new in handlers:
            events.register(event, new)
        return stops

    def fail(self, service: str, operation: str, code: str, times: int, status: int = 400) -> None:
        """The next `times` requests of `operation` fail at the wire with `code`."""
        self.calls[operation] = 0

        def reject(request: Any, **_: Any) -> AWSResponse | None:
            self.calls[operation] += 1
            if self.calls[operation] > times:
                return None
            body = json.dumps({"__type": code, "message": f"injected {code}"}).encode()
            return AWSResponse(request.url, status, {"x-amzn-errortype": code}, _Raw(body))

        self.client(service).meta.events.register(f"before-send.{service}.{operation}", reject)

    def raise_during(
        self, service: str, operation: str, error: BaseException, after: int = 0
    ) -> None:
        """Raise `error` (e.g. KeyboardInterrupt) once, at the call of `operation` after the
        first `after` calls."""
        seen = {"count": 0}

        def interrupt(**_: Any) -> None:
            seen["count"] += 1
            if seen["count"] == after + 1:
                raise error

        self.client(service).meta.events.register(f"before-call.{service}.{operation}", interrupt)


def _parsed(change: Callable[[dict], None]) -> Callable[..., None]:
    """An after-call handler that changes the parsed response in place."""

    def handler(parsed: dict, **_: Any) -> None:
        change(parsed)

    return handler


class _Pace:
    """Which stage a scripted service deployment is at. A stage lasts at least `step`
    seconds, and is not left before every poller still running (the CLI's watcher thread,
    the provider's wait, the follower) has been told it by DescribeServiceDeployments: what
    each of them shows then depends on the order of events, not on how fast the machine is.
    With `step` 0 the last stage answers at once."""

    def __init__(self, stages: list[tuple[str, str, float]], step: float) -> None:
        self.step = step
        self._lock = threading.Lock()
        self.restart(stages)

    def restart(self, stages: list[tuple[str, str, float]]) -> None:
        self.stages = list(stages)
        self.position = 0 if self.step > 0 else len(self.stages) - 1
        self.since = time.monotonic()
        self.told: dict[threading.Thread, int] = {}

    def current(self, telling: bool) -> tuple[str, str, float]:
        with self._lock:
            if (
                self.position < len(self.stages) - 1
                and time.monotonic() - self.since >= self.step
                and all(
                    told >= self.position
                    for poller, told in self.told.items()
                    if poller.is_alive()
                )
            ):
                self.position += 1
                self.since = time.monotonic()
            if telling:
                self.told[threading.current_thread()] = self.position
            return self.stages[self.position]


class _Raw:
    """The raw body botocore reads from an injected response."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any):
        yield self._body

    def read(self) -> bytes:
        return self._body
