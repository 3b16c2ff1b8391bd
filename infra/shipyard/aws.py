"""Every AWS call the CLI makes, through boto3 with botocore's standard retry mode.

Throttling and transient errors are retried by botocore itself; waits use boto3's waiters
(and one custom botocore waiter for instance refreshes), never hand-made sleep loops.
"""

from __future__ import annotations

import base64
import contextlib
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
import botocore.exceptions
from botocore.config import Config
from botocore.waiter import WaiterModel, create_waiter_with_client

from shipyard.errors import UNHEALTHY, UserError

RETRIES = Config(
    retries={"mode": "standard", "max_attempts": 6}, connect_timeout=5, read_timeout=30
)
DENIED_CODES = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnrecognizedClientException",
}
EXPIRED_CODES = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}

REFRESH_FAILED = ("Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed")
# The image line of the EC2 boot script (shipyard/program/user_data.py): image='<repo>@sha256:...'.
RUN_IMAGE = re.compile(r"^image='?([^'\s]+@sha256:[0-9a-f]{64})'?$", re.MULTILINE)


def _refresh_status_is(status: str, state: str) -> dict[str, str]:
    return {
        "state": state,
        "matcher": "path",
        "argument": "InstanceRefreshes[0].Status",
        "expected": status,
    }


REFRESH_ENDINGS = [
    _refresh_status_is("Successful", "success"),
    *[_refresh_status_is(status, "failure") for status in REFRESH_FAILED],
]
# Waiters in botocore's own language. ECS's services_stable, plus a failure as soon as the
# circuit breaker fails the new deployment, rather than waiting out the rollback. And one for
# instance refreshes, which boto3 has none for.
WAITERS = WaiterModel(
    {
        "version": 2,
        "waiters": {
            "ServiceDeployed": {
                "operation": "DescribeServices",
                "delay": 15,
                "maxAttempts": 40,
                "acceptors": [
                    {"state": "failure", "matcher": "pathAny", "argument": "failures[].reason",
                     "expected": "MISSING"},
                    {"state": "failure", "matcher": "pathAny",
                     "argument": "services[].deployments[?status=='PRIMARY'][].rolloutState",
                     "expected": "FAILED"},
                    {"state": "success", "matcher": "path",
                     "argument": "length(services[?!(length(deployments) == `1` && "
                                 "runningCount == desiredCount)]) == `0`",
                     "expected": True},
                ],
            },
            "InstanceRefreshFinished": {
                "operation": "DescribeInstanceRefreshes",
                "delay": 15,
                "maxAttempts": 40,
                "acceptors": [
                    # A new group has no refresh: it was launched on its version already.
                    {"state": "success", "matcher": "path", "expected": True,
                     "argument": "length(InstanceRefreshes) == `0`"},
                    *REFRESH_ENDINGS,
                ],
            },
            # One refresh by its ID: not listed (yet, just after it started) is not done.
            "InstanceRefreshEnded": {
                "operation": "DescribeInstanceRefreshes",
                "delay": 15,
                "maxAttempts": 40,
                "acceptors": REFRESH_ENDINGS,
            },
        },
    }
)  # fmt: skip


@dataclass(frozen=True)
class ImageInfo:
    digest: str
    tags: tuple[str, ...]
    pushed_at: datetime | None


@dataclass(frozen=True)
class TargetHealth:
    target: str
    state: str
    reason: str


@contextlib.contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Turn AWS failures into one clear UserError naming what was being done."""
    try:
        yield
    except botocore.exceptions.WaiterError as error:
        failure = (error.last_response or {}).get("Error", {})
        if failure.get("Code") in EXPIRED_CODES:
            raise UserError(_expired(action, failure["Code"])) from error
        if failure.get("Code") in DENIED_CODES:
            raise UserError(
                f"AWS denied access while trying to {action} ({failure['Code']}); use "
                "credentials allowed to do it"
            ) from error
        gave_up = "Max attempts exceeded" in str(error)
        raise UserError(
            f"gave up trying to {action}: " + ("timed out" if gave_up else "it failed"),
            exit_code=UNHEALTHY,
        ) from error
    except botocore.exceptions.ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", str(error))
        if code in EXPIRED_CODES:
            raise UserError(_expired(action, code)) from error
        if code in DENIED_CODES:
            raise UserError(
                f"AWS denied access while trying to {action} ({code}: {message}); use credentials "
                "allowed to do it (AWS_PROFILE / AWS_ACCESS_KEY_ID)"
            ) from error
        raise UserError(f"AWS failed to {action}: {code}: {message}") from error
    except botocore.exceptions.NoCredentialsError as error:
        raise UserError(
            f"no AWS credentials to {action}; set AWS_PROFILE or AWS_ACCESS_KEY_ID"
        ) from error
    except botocore.exceptions.BotoCoreError as error:
        raise UserError(f"could not reach AWS to {action}: {error}") from error


def _expired(action: str, code: str) -> str:
    return (
        f"the AWS credentials expired while trying to {action} ({code}); renew them (for "
        "example `aws sso login`, or a new session token) and run the command again"
    )


def waiter_config(timeout: float, delay: float) -> dict[str, float]:
    return {"Delay": delay, "MaxAttempts": max(1, math.ceil(timeout / delay))}


class Aws:
    def __init__(self, session: boto3.Session, endpoint_url: str | None = None) -> None:
        self.session = session
        self.endpoint_url = endpoint_url
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(
                service, config=RETRIES, endpoint_url=self.endpoint_url
            )
        return self._clients[service]

    # ---- ECR ---------------------------------------------------------------------------

    def image(self, repository: str, digest: str) -> ImageInfo | None:
        """The image with this digest, or None when the repository no longer holds it."""
        ecr = self.client("ecr")
        with aws_errors(f"look up {digest[:19]} in ECR repository {repository}"):
            try:
                details = ecr.describe_images(
                    repositoryName=repository, imageIds=[{"imageDigest": digest}]
                )["imageDetails"]
            except ecr.exceptions.ImageNotFoundException:
                return None
            except ecr.exceptions.RepositoryNotFoundException:
                raise self._no_repository(repository) from None
        return _image_info(details[0]) if details else None

    def images(self, repository: str) -> list[ImageInfo]:
        ecr = self.client("ecr")
        with aws_errors(f"list the images of ECR repository {repository}"):
            pages = ecr.get_paginator("describe_images").paginate(repositoryName=repository)
            try:
                return [_image_info(detail) for page in pages for detail in page["imageDetails"]]
            except ecr.exceptions.RepositoryNotFoundException:
                raise self._no_repository(repository) from None

    def _no_repository(self, repository: str) -> UserError:
        region = self.session.region_name
        return UserError(
            f"ECR repository {repository} does not exist in {region}; check the stack's "
            f"aws:region ({region}) and AWS_PROFILE point where the repository's stack deployed "
            "it, and that it has not been deleted"
        )

    # ---- secrets -----------------------------------------------------------------------

    def parameter_problems(self, names: list[str]) -> dict[str, str]:
        """Why each of these SSM parameters cannot hold a secret (missing, or plain String),
        read from their metadata only: no value, so no permission to read one is needed."""
        found: dict[str, str] = {}
        paginator = self.client("ssm").get_paginator("describe_parameters")
        for start in range(0, len(names), 50):  # a filter takes at most 50 values
            batch = names[start : start + 50]
            with aws_errors(f"check that SSM parameter(s) {', '.join(batch)} exist"):
                for page in paginator.paginate(
                    ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": batch}]
                ):
                    found.update({p["Name"]: p.get("Type", "") for p in page["Parameters"]})
        problems = {}
        for name in names:
            kind = found.get(name) or found.get("/" + name.lstrip("/"))
            if kind is None:
                problems[name] = "does not exist"
            elif kind != "SecureString":
                problems[name] = (
                    f"is a {kind} parameter, stored in plain text; recreate it as SecureString"
                )
        return problems

    def secret_problem(self, arn: str) -> str | None:
        """Why this Secrets Manager secret cannot be read at start, or None (no value read)."""
        secrets = self.client("secretsmanager")
        with aws_errors(f"check that secret {arn} exists"):
            try:
                found = secrets.describe_secret(SecretId=arn)
            except secrets.exceptions.ResourceNotFoundException:
                return "does not exist"
        if found.get("DeletedDate"):
            return "is scheduled for deletion; restore it with `aws secretsmanager restore-secret`"
        return None

    # ---- restarts ------------------------------------------------------------------------

    def restart_ecs_service(self, cluster: str, service: str) -> None:
        """A new deployment of the same task definition: new tasks read their secrets again."""
        with aws_errors(f"start a new deployment of ECS service {service}"):
            self.client("ecs").update_service(
                cluster=cluster, service=service, forceNewDeployment=True
            )

    def replace_instances(self, group: str, preferences: dict[str, Any]) -> None:
        """An instance refresh of the same launch template: new instances boot and fetch."""
        autoscaling = self.client("autoscaling")
        with aws_errors(f"start an instance refresh of {group}"):
            try:
                autoscaling.start_instance_refresh(
                    AutoScalingGroupName=group, Strategy="Rolling", Preferences=preferences
                )
            except autoscaling.exceptions.InstanceRefreshInProgressFault:
                raise UserError(
                    f"an instance refresh of {group} is already running; wait for it "
                    "(`shipyard status`) and restart again if it started before the change"
                ) from None

    # ---- ECS service deployments (blue/green, canary, linear) -----------------------------

    def service_deployments(
        self, cluster: str, service: str, statuses: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """The service's deployments, newest first (ECS lists them so), in these states."""
        kwargs: dict[str, Any] = {"cluster": cluster, "service": service}
        if statuses:
            kwargs["status"] = statuses
        with aws_errors(f"list the deployments of ECS service {service}"):
            found = self.client("ecs").list_service_deployments(**kwargs)["serviceDeployments"]
        return sorted(found, key=lambda brief: brief.get("createdAt") or 0, reverse=True)

    def service_deployment(self, arn: str) -> dict[str, Any]:
        with aws_errors(f"describe ECS service deployment {arn}"):
            answer = self.client("ecs").describe_service_deployments(serviceDeploymentArns=[arn])
        if not answer.get("serviceDeployments"):
            reasons = "; ".join(f.get("reason", "") for f in answer.get("failures", []))
            raise UserError(f"ECS has no service deployment {arn} ({reasons or 'not found'})")
        return answer["serviceDeployments"][0]

    def stop_service_deployment(self, arn: str) -> None:
        """Send traffic back to the revision the deployment started from (its tasks still
        run while it bakes): ECS's StopServiceDeployment with stopType ROLLBACK."""
        with aws_errors(f"roll back ECS service deployment {arn}"):
            self.client("ecs").stop_service_deployment(
                serviceDeploymentArn=arn, stopType="ROLLBACK"
            )

    def service_revision_image(self, revision_arn: str) -> str:
        """The image a service revision runs (its task definition's container)."""
        with aws_errors(f"describe ECS service revision {revision_arn}"):
            revisions = self.client("ecs").describe_service_revisions(
                serviceRevisionArns=[revision_arn]
            )["serviceRevisions"]
        if not revisions:
            raise UserError(f"ECS has no service revision {revision_arn}")
        return self.ecs_running_image(revisions[0])

    # ---- one-off tasks (shipyard run) ---------------------------------------------------

    def task_definition(self, arn: str) -> dict[str, Any]:
        with aws_errors(f"describe ECS task definition {arn}"):
            described: dict[str, Any] = self.client("ecs").describe_task_definition(
                taskDefinition=arn
            )["taskDefinition"]
        return described

    def register_task_definition(self, definition: dict[str, Any]) -> str:
        """A revision of `definition` (as DescribeTaskDefinition gave it, changed); its ARN."""
        accepted = {
            "family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions",
            "volumes", "requiresCompatibilities", "cpu", "memory", "runtimePlatform",
        }  # fmt: skip
        given = {key: value for key, value in definition.items() if key in accepted and value}
        with aws_errors(f"register ECS task definition {definition['family']}"):
            arn: str = self.client("ecs").register_task_definition(**given)["taskDefinition"][
                "taskDefinitionArn"
            ]
        return arn

    def deregister_task_definition(self, arn: str) -> None:
        with aws_errors(f"deregister ECS task definition {arn}"):
            self.client("ecs").deregister_task_definition(taskDefinition=arn)

    def run_task(self, **request: Any) -> dict[str, Any]:
        """One task, as RunTask takes it; a failure to place it is a UserError with AWS's reason."""
        with aws_errors("run an ECS task"):
            answer = self.client("ecs").run_task(**request)
        if not answer.get("tasks"):
            reasons = "; ".join(
                f"{failure.get('reason', 'unknown')} {failure.get('detail', '')}".strip()
                for failure in answer.get("failures", [])
            )
            raise UserError(f"ECS did not start the task: {reasons or 'no reason given'}")
        task: dict[str, Any] = answer["tasks"][0]
        return task

    def task(self, cluster: str, arn: str) -> dict[str, Any]:
        with aws_errors(f"describe ECS task {arn}"):
            tasks = self.client("ecs").describe_tasks(cluster=cluster, tasks=[arn])["tasks"]
        if not tasks:
            raise UserError(f"ECS has no task {arn} in cluster {cluster}")
        task: dict[str, Any] = tasks[0]
        return task

    def wait_task_stopped(self, cluster: str, arn: str, timeout: float, delay: float) -> bool:
        """Whether the task stopped within `timeout` (ECS's tasks_stopped waiter)."""
        return self._waited(
            "ecs", "tasks_stopped", f"wait for ECS task {arn.rsplit('/', 1)[-1]} to stop",
            timeout, delay, cluster=cluster, tasks=[arn],
        )  # fmt: skip

    def last_log_lines(self, group: str, stream: str, count: int) -> list[str]:
        """The stream's last `count` messages, oldest first; none where it does not exist."""
        logs = self.client("logs")
        with aws_errors(f"read log stream {stream} of {group}"):
            try:
                events = logs.get_log_events(
                    logGroupName=group, logStreamName=stream, startFromHead=False, limit=count
                )["events"]
            except logs.exceptions.ResourceNotFoundException:
                return []
        return [str(event.get("message", "")) for event in events]

    def stop_task(self, cluster: str, arn: str, reason: str) -> None:
        with aws_errors(f"stop ECS task {arn}"):
            self.client("ecs").stop_task(cluster=cluster, task=arn, reason=reason[:255])

    def stream_events(
        self, group: str, stream: str, token: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """The stream's events after `token`, oldest first, and the token to go on from; none
        while the stream does not exist yet (a task creates it when its container starts)."""
        logs = self.client("logs")
        request: dict[str, Any] = {
            "logGroupName": group, "logStreamName": stream, "startFromHead": True
        }
        if token:
            request["nextToken"] = token
        with aws_errors(f"read log stream {stream} of {group}"):
            try:
                page = logs.get_log_events(**request)
            except logs.exceptions.ResourceNotFoundException:
                return [], token
        return page.get("events", []), page.get("nextForwardToken") or token

    def serving_instance(self, group: str) -> str:
        """One instance of the group in service and healthy (the lowest ID: the same one
        while the group stays as it is)."""
        instances = sorted(
            instance["InstanceId"]
            for instance in self.auto_scaling_group(group).get("Instances", [])
            if instance.get("LifecycleState") == "InService"
            and instance.get("HealthStatus") == "Healthy"
        )
        if not instances:
            raise UserError(f"no instance of {group} is in service; nothing was run")
        return instances[0]

    def send_shell_script(self, instance: str, script: str, timeout: float, comment: str) -> str:
        """Run `script` on the instance with SSM Run Command (AWS-RunShellScript); its ID."""
        with aws_errors(f"send a command to {instance} with SSM Run Command"):
            command = self.client("ssm").send_command(
                InstanceIds=[instance],
                DocumentName="AWS-RunShellScript",
                Comment=comment[:100],
                Parameters={
                    "commands": [script], "executionTimeout": [str(max(1, math.ceil(timeout)))]
                },
            )["Command"]
        command_id: str = command["CommandId"]
        return command_id

    def command_invocation(self, command_id: str, instance: str) -> dict[str, Any]:
        """The command's state on the instance; Pending until SSM knows of the invocation."""
        ssm = self.client("ssm")
        with aws_errors(f"read SSM command {command_id} on {instance}"):
            try:
                found: dict[str, Any] = ssm.get_command_invocation(
                    CommandId=command_id, InstanceId=instance
                )
            except ssm.exceptions.InvocationDoesNotExist:
                return {"Status": "Pending"}
        return found

    def wait_command(self, command_id: str, instance: str, timeout: float, delay: float) -> bool:
        """Whether the command ended (however: it failed, was cancelled or timed out on the
        instance) within `timeout` (SSM's command_executed)."""
        return self._waited(
            "ssm", "command_executed", f"wait for SSM command {command_id} on {instance}",
            timeout, delay, failure_ends=True, CommandId=command_id, InstanceId=instance,
        )  # fmt: skip

    def _waited(
        self, service: str, name: str, action: str, timeout: float, delay: float,
        failure_ends: bool = False, **params: Any,
    ) -> bool:  # fmt: skip
        """Whether boto3's waiter `name` saw the end within `timeout`; a failure state ends
        the wait too where `failure_ends`, and is an error otherwise."""
        waiter = self.client(service).get_waiter(name)
        with aws_errors(action):
            try:
                waiter.wait(WaiterConfig=waiter_config(timeout, delay), **params)
            except botocore.exceptions.WaiterError as error:
                if "Max attempts exceeded" in str(error):
                    return False
                if not failure_ends:
                    raise
        return True

    def cancel_command(self, command_id: str) -> None:
        with aws_errors(f"cancel SSM command {command_id}"):
            self.client("ssm").cancel_command(CommandId=command_id)

    # ---- shells (shipyard exec) ----------------------------------------------------------

    def running_tasks(self, cluster: str, service: str) -> list[str]:
        with aws_errors(f"list the running tasks of ECS service {service}"):
            arns: list[str] = self.client("ecs").list_tasks(
                cluster=cluster, serviceName=service, desiredStatus="RUNNING"
            )["taskArns"]
        return arns

    def execute_command(self, cluster: str, task: str, container: str, command: str) -> dict:
        """An ECS Exec session (ExecuteCommand); the Session Manager plugin connects to it."""
        ecs = self.client("ecs")
        with aws_errors(f"open an ECS Exec session in task {task}"):
            try:
                answer: dict[str, Any] = ecs.execute_command(
                    cluster=cluster, task=task, container=container, command=command,
                    interactive=True,
                )  # fmt: skip
            except ecs.exceptions.TargetNotConnectedException as error:
                raise UserError(
                    f"task {task} cannot take an ECS Exec session yet: {error}; a task started "
                    "before exec was turned on has no agent for it (`shipyard restart` replaces "
                    "the tasks)"
                ) from None
        return answer

    def start_session(self, target: str, document: str, parameters: dict[str, list[str]]) -> dict:
        with aws_errors(f"start a Session Manager session on {target}"):
            answer: dict[str, Any] = self.client("ssm").start_session(
                Target=target, DocumentName=document, Parameters=parameters
            )
        return answer

    # ---- health ------------------------------------------------------------------------

    def ecs_service(self, cluster: str, service: str) -> dict[str, Any]:
        with aws_errors(f"describe ECS service {service}"):
            try:
                services = self.client("ecs").describe_services(
                    cluster=cluster, services=[service]
                )
            except self.client("ecs").exceptions.ClusterNotFoundException:
                services = {"services": []}
        found = services["services"][0] if services["services"] else None
        if found is None or found.get("status") == "INACTIVE":
            state = "is INACTIVE" if found else "does not exist"
            raise UserError(
                f"ECS service {service} in cluster {cluster} {state}: it was deleted outside "
                "Pulumi. `pulumi up --refresh` on the stack creates it again"
            )
        return found

    def auto_scaling_group(self, name: str) -> dict[str, Any]:
        with aws_errors(f"describe Auto Scaling group {name}"):
            groups = self.client("autoscaling").describe_auto_scaling_groups(
                AutoScalingGroupNames=[name]
            )["AutoScalingGroups"]
        if not groups:
            raise UserError(f"Auto Scaling group {name} not found")
        return groups[0]

    def latest_instance_refresh(self, group: str) -> dict[str, Any] | None:
        with aws_errors(f"describe the instance refreshes of {group}"):
            refreshes = self.client("autoscaling").describe_instance_refreshes(
                AutoScalingGroupName=group, MaxRecords=1
            )["InstanceRefreshes"]
        return refreshes[0] if refreshes else None

    def instance_refresh(self, group: str, refresh_id: str) -> dict[str, Any]:
        with aws_errors(f"describe instance refresh {refresh_id} of {group}"):
            refreshes = self.client("autoscaling").describe_instance_refreshes(
                AutoScalingGroupName=group, InstanceRefreshIds=[refresh_id]
            )["InstanceRefreshes"]
        if not refreshes:
            raise UserError(f"instance refresh {refresh_id} of {group} not found")
        return refreshes[0]

    def start_rollout(
        self, group: str, launch_template: dict[str, str], preferences: dict[str, Any]
    ) -> str:
        """An instance refresh to `launch_template` (LaunchTemplateId, Version) that leaves the
        group's saved configuration alone: Auto Scaling saves it only when the refresh
        succeeds, and a rollback returns to what the group had saved (issue 18; Terraform's
        order, group first, made a rollback return to the new version). Returns its ID."""
        autoscaling = self.client("autoscaling")
        with aws_errors(f"start an instance refresh of {group}"):
            try:
                return str(
                    autoscaling.start_instance_refresh(
                        AutoScalingGroupName=group,
                        Strategy="Rolling",
                        DesiredConfiguration={"LaunchTemplate": launch_template},
                        Preferences=preferences,
                    )["InstanceRefreshId"]
                )
            except autoscaling.exceptions.InstanceRefreshInProgressFault:
                raise UserError(
                    f"another instance refresh of {group} is running (a `shipyard restart`, "
                    "or one started by hand); wait for it (`shipyard status`), then run the "
                    "update again"
                ) from None

    def save_launch_template(self, group: str, launch_template: dict[str, str]) -> None:
        with aws_errors(f"set the launch template of {group}"):
            self.client("autoscaling").update_auto_scaling_group(
                AutoScalingGroupName=group, LaunchTemplate=launch_template
            )

    def target_health(self, target_group_arn: str) -> list[TargetHealth]:
        with aws_errors("describe target health"):
            descriptions = self.client("elbv2").describe_target_health(
                TargetGroupArn=target_group_arn
            )["TargetHealthDescriptions"]
        return [
            TargetHealth(
                item["Target"]["Id"],
                item["TargetHealth"]["State"],
                item["TargetHealth"].get("Description", item["TargetHealth"].get("Reason", "")),
            )
            for item in descriptions
        ]

    def alarms_firing(self, names: list[str]) -> list[str]:
        if not names:
            return []
        with aws_errors("describe CloudWatch alarms"):
            alarms = self.client("cloudwatch").describe_alarms(
                AlarmNames=names, StateValue="ALARM"
            )["MetricAlarms"]
        # Filter here too: not every implementation combines AlarmNames with StateValue.
        return sorted(alarm["AlarmName"] for alarm in alarms if alarm["StateValue"] == "ALARM")

    # ---- what runs, and what should --------------------------------------------------------

    def release_record(self, parameter: str) -> str | None:
        """The digest the environment's release record holds, or None if it has none."""
        ssm = self.client("ssm")
        with aws_errors(f"read the release record {parameter}"):
            try:
                return ssm.get_parameter(Name=parameter)["Parameter"]["Value"]
            except ssm.exceptions.ParameterNotFound:
                return None

    def ecs_running_image(self, service: dict[str, Any]) -> str:
        """The image of the task definition the ECS service runs now."""
        definition = self.task_definition(service["taskDefinition"])
        image: str = definition["containerDefinitions"][0]["image"]
        return image

    def ec2_configured_image(self, group: dict[str, Any]) -> str:
        """The image the group's launch template version starts on new instances."""
        template = group.get("LaunchTemplate") or {}
        with aws_errors(f"describe launch template {template.get('LaunchTemplateId')}"):
            versions = self.client("ec2").describe_launch_template_versions(
                LaunchTemplateId=template["LaunchTemplateId"], Versions=[template["Version"]]
            )["LaunchTemplateVersions"]
        user_data = versions[0]["LaunchTemplateData"].get("UserData", "") if versions else ""
        try:
            script = base64.b64decode(user_data).decode()
        except (ValueError, UnicodeDecodeError):
            script = user_data
        match = RUN_IMAGE.search(script)
        return match.group(1) if match else "unknown"

    # ---- waits -------------------------------------------------------------------------

    def wait_ecs_stable(self, cluster: str, service: str, timeout: float, delay: float) -> None:
        with aws_errors(f"wait for ECS service {service}"):
            create_waiter_with_client("ServiceDeployed", WAITERS, self.client("ecs")).wait(
                cluster=cluster, services=[service], WaiterConfig=waiter_config(timeout, delay)
            )

    def wait_instance_refresh(
        self, group: str, timeout: float, delay: float, refresh_id: str = ""
    ) -> None:
        """Wait for one refresh (`refresh_id`), or else the group's newest, to end."""
        waiter = create_waiter_with_client(
            "InstanceRefreshEnded" if refresh_id else "InstanceRefreshFinished",
            WAITERS,
            self.client("autoscaling"),
        )
        which: dict[str, Any] = (
            {"InstanceRefreshIds": [refresh_id]} if refresh_id else {"MaxRecords": 1}
        )
        with aws_errors(f"wait for the instance refresh of {group}"):
            waiter.wait(
                AutoScalingGroupName=group, WaiterConfig=waiter_config(timeout, delay), **which
            )

    def wait_targets_healthy(self, target_group_arn: str, timeout: float, delay: float) -> None:
        with aws_errors("wait for healthy targets"):
            self.client("elbv2").get_waiter("target_in_service").wait(
                TargetGroupArn=target_group_arn, WaiterConfig=waiter_config(timeout, delay)
            )

    # ---- logs --------------------------------------------------------------------------

    def has_log_streams(self, group: str) -> bool:
        logs = self.client("logs")
        with aws_errors(f"list the log streams of {group}"):
            try:
                streams = logs.describe_log_streams(logGroupName=group, limit=1)
            except logs.exceptions.ResourceNotFoundException:
                raise _no_log_group(group) from None
        return bool(streams.get("logStreams"))

    def log_events(
        self, group: str, start_ms: int, next_token: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        logs = self.client("logs")
        kwargs: dict[str, Any] = {"logGroupName": group, "startTime": start_ms}
        if next_token:
            kwargs["nextToken"] = next_token
        with aws_errors(f"read CloudWatch log group {group}"):
            try:
                page = logs.filter_log_events(**kwargs)
            except logs.exceptions.ResourceNotFoundException:
                raise _no_log_group(group) from None
        return page.get("events", []), page.get("nextToken")


def _no_log_group(group: str) -> UserError:
    return UserError(
        f"log group {group} does not exist; has the environment been deployed (`pulumi up`)?"
    )


def _image_info(detail: dict[str, Any]) -> ImageInfo:
    return ImageInfo(
        digest=detail["imageDigest"],
        tags=tuple(detail.get("imageTags", [])),
        pushed_at=detail.get("imagePushedAt"),
    )


def connect(region: str, profile: str) -> Aws:
    """What the dynamic providers call AWS with, inside `pulumi up`: boto3 with the
    credentials the AWS provider uses (the environment, or the stack's aws:profile)."""
    return Aws(boto3.Session(region_name=region, profile_name=profile or None))


def task_container(task: dict[str, Any], name: str) -> dict[str, Any]:
    """The container of this name as DescribeTasks gives it ({} when the task has none)."""
    return next((c for c in task.get("containers", []) if c.get("name") == name), {})


def container_ending(task: dict[str, Any], name: str) -> tuple[int | None, str]:
    """How a stopped task's container ended: its exit code, or None and why it never ran
    (the container's reason, else the task's, as ECS gives them)."""
    container = task_container(task, name)
    code = container.get("exitCode")
    if code is not None:
        return int(code), ""
    return None, container.get("reason") or task.get("stoppedReason") or "no reason given"
