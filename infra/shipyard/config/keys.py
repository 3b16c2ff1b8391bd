"""Every stack setting, declared once: name, type, default and what it does.

Pulumi.yaml declares the same keys (a test keeps the two equal) and the README's
configuration table is rendered from this one (`python -m devtools.config_reference write`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NAMESPACE = "shipyard"
# What a stack is: an environment runs the service; the one service stack per account and
# region owns what outlives environments (the image repository, the deploy roles).
ENVIRONMENT, SERVICE = "environment", "service"
BOTH = (ENVIRONMENT, SERVICE)


@dataclass(frozen=True)
class Key:
    name: str
    kind: type
    default: Any
    description: str
    scopes: tuple[str, ...] = (ENVIRONMENT,)

    @property
    def path(self) -> str:
        return f"{NAMESPACE}:{self.name}"


KEYS: tuple[Key, ...] = (
    Key("kind", str, ENVIRONMENT,
        "What the stack is: environment (runs the service), or service (the one stack per "
        "account and region that owns the image repository and the deploy roles).", BOTH),
    Key("serviceName", str, "shipyard-sample",
        "Name of the service; prefixes AWS resource names and names its ECR repository. "
        "Lowercase letters, digits, hyphens.", BOTH),
    Key("target", str, "ecs", "Compute target: ecs (Fargate) or ec2 (Auto Scaling group)."),
    Key("containerPort", int, 8080, "Port the container listens on ($PORT inside it)."),
    Key("imageSource", str, "build",
        "build: every pulumi up builds app/ and deploys it. release: deploy only released "
        "images (a pin, or else the environment's release record); never build."),
    Key("imageDigest", str, "",
        "Pin the deployed image to this digest (sha256:...) in the service's repository; "
        "nothing is built. shipyard sets it; on a release stack it is cleared after the "
        "update, on a build stack it stays until removed."),
    Key("environmentVariables", list, [],
        "Extra container environment, as NAME=value strings. No secrets: a name that looks "
        "like one (PASSWORD, SECRET, TOKEN, ..._KEY) is refused; use secrets."),
    Key("secrets", list, [],
        "Container secrets by reference, as NAME=reference: an SSM parameter name or ARN, a "
        "Secrets Manager secret ARN, or one JSON key of it (ARN:key::). A bare NAME is kept "
        "by Pulumi: its value is in secretValues. See docs/secrets.md."),
    Key("secretValues", list, [],
        "Values kept by Pulumi for the bare names in secrets, as NAME=value, each set with "
        "`pulumi config set --secret --path 'shipyard:secretValues[N]' NAME=value`; stored "
        "as SSM SecureString parameters /<serviceName>/<env>/<NAME>."),
    Key("containerHealthCheck", list, ["CMD", "python3", "-m", "service.healthcheck"],
        "Container health check command (CMD exec form, or CMD-SHELL). ECS runs it as the "
        "task's health check; on EC2 it is Docker's own, and a new instance enters service "
        "only once Docker calls the container healthy. Empty list: none."),
    Key("preDeployCommand", list, [],
        "A command (exec form, like [\"python\", \"manage.py\", \"migrate\"]) the new "
        "image runs once with the service's variables, secrets and network, on every change "
        "of image and before the service or group moves to it (ECS: a one-off task; EC2: on "
        "a serving instance through SSM Run Command, which needs sessionManager). A non-zero "
        "exit fails the update and the previous release keeps running. Empty: none."),
    Key("preDeployTimeout", int, 10,
        "Minutes the preDeployCommand may run (1-60) before it is stopped and the "
        "update fails; counted in the time an update may take."),
    Key("exec", bool, False,
        "ecs: turn on ECS Exec, so `shipyard exec` can open a shell in a running container "
        "(the service's enableExecuteCommand, and the Session Manager channels for the task "
        "role). Off: no shell in the containers. A stack with protectResources takes it only "
        "from its own config, never from Pulumi.yaml's default."),
    Key("cpu", int, 256, "Fargate task cpu units: 256, 512, 1024, 2048, 4096, 8192, 16384."),
    Key("memory", int, 512, "Fargate task memory in MiB; must suit cpu."),
    Key("instanceType", str, "t3.small", "ec2: EC2 instance type, like t3.small."),
    Key("amiId", str, "",
        "ec2: pin the AMI (ami-...). Empty: the current Amazon Linux 2023 AMI from its "
        "public SSM parameter, looked up on every run."),
    Key("rootVolumeGb", int, 20, "ec2: size of the encrypted gp3 root volume in GiB."),
    Key("instanceRefreshMinHealthyPercent", int, 100,
        "ec2: share of capacity that stays healthy during an instance refresh."),
    Key("instanceRefreshMaxHealthyPercent", int, 200,
        "ec2: capacity an instance refresh may launch up to, in percent (100-200)."),
    Key("instanceWarmup", int, 15,
        "ec2: seconds a new instance warms up before it counts as ready."),
    Key("sessionManager", bool, False,
        "ec2: attach AmazonSSMManagedInstanceCore to the instance role, so Session Manager can "
        "open a shell on the instances. Off: no shell access at all."),
    Key("instanceBootTimeout", int, 600,
        "ec2: seconds a new instance has to boot and answer its health check before Auto "
        "Scaling abandons it (180-7200). It joins the load balancer only once healthy."),
    Key("desiredCount", int, 1, "Tasks or instances to run at deploy time."),
    Key("minCapacity", int, 1, "Autoscaling minimum."),
    Key("maxCapacity", int, 2, "Autoscaling maximum."),
    Key("scaleOnCpu", bool, True, "Target tracking on average CPU."),
    Key("cpuTargetPercent", int, 60, "Average CPU to hold, in percent."),
    Key("scaleOnMemory", bool, False, "Target tracking on average memory (ECS only)."),
    Key("memoryTargetPercent", int, 70, "Average memory to hold, in percent."),
    Key("scaleOnRequests", bool, False, "Target tracking on ALB requests per target."),
    Key("requestsPerTarget", int, 1000, "ALB requests per target per minute to hold."),
    Key("scaleInCooldown", int, 120, "Seconds after a scale-in before another scale-in."),
    Key("scaleOutCooldown", int, 30, "Seconds after a scale-out before another scale-out."),
    Key("healthCheckPath", str, "/health", "Path the load balancer probes."),
    Key("healthCheckInterval", int, 5, "Seconds between load balancer probes (5-300)."),
    Key("healthCheckTimeout", int, 2, "Seconds a probe may take (2-120, below the interval)."),
    Key("healthyThreshold", int, 2, "Consecutive passes before a target is healthy (2-10)."),
    Key("unhealthyThreshold", int, 2, "Consecutive failures before a target is unhealthy (2-10)."),
    Key("healthCheckMatcher", str, "200", "HTTP codes that pass: 200, 200-299 or 200,204."),
    Key("healthCheckGracePeriod", int, 10,
        "Seconds after a task starts before failed load balancer checks count."),
    Key("deregistrationDelay", int, 5, "Seconds the load balancer drains a target (0-3600)."),
    Key("idleTimeout", int, 60,
        "Seconds the load balancer keeps an idle connection open (1-4000). The container is "
        "told to keep its own connections open longer (KEEPALIVE_SECONDS), so the load "
        "balancer never reuses one the app has closed."),
    Key("stopTimeout", int, 10, "Seconds between SIGTERM and SIGKILL for the container (2-120)."),
    Key("deploymentStrategy", str, "rolling",
        "How a new image takes traffic: rolling (tasks or instances replaced in waves), "
        "blue_green (the new revision beside the old, then all traffic at once), canary "
        "(canaryPercent first, then the rest) or linear (linearStepPercent at a time). On "
        "EC2: rolling, canary and linear (instance refresh checkpoints). See "
        "docs/deployment-strategies.md."),
    Key("bakeMinutes", int, 5,
        "blue_green, canary, linear on ECS: minutes the previous revision's tasks keep "
        "running after all traffic moved, so `shipyard rollback` is instant (0-1440)."),
    Key("canaryPercent", int, 10,
        "canary: percent of production traffic (ECS) or of instances (EC2) that takes the "
        "new image first (1-100; ECS takes 0.1 and up, config takes whole numbers)."),
    Key("canaryBakeMinutes", int, 5,
        "canary: minutes the canary share runs before the rest moves (0-1440)."),
    Key("linearStepPercent", int, 25,
        "linear: percent of traffic (ECS) or of instances (EC2) moved per step (3-100)."),
    Key("linearStepMinutes", int, 2,
        "linear: minutes between steps (0-1440)."),
    Key("testListenerPort", int, 8443,
        "blue_green, canary, linear on ECS: the load balancer port that serves the new "
        "revision as soon as it runs, for your own checks; nothing waits for them "
        "(1-65535, not 80 or 443)."),
    Key("testListenerCidrs", list, [],
        "blue_green, canary, linear on ECS: IPv4 CIDRs that may reach the test listener, "
        "like your VPN's egress, each /16 or narrower. Empty: nobody."),
    Key("useDefaultVpc", bool, False,
        "Run in the account's default VPC (public subnets only) instead of creating one."),
    Key("vpcCidr", str, "10.0.0.0/16", "CIDR of the VPC shipyard creates (/16 to /20)."),
    Key("availabilityZones", int, 2, "Zones the created VPC spans (2-6)."),
    Key("natGatewayPerZone", bool, False,
        "One NAT gateway per zone (zone-resilient egress) instead of one shared."),
    Key("domainName", str, "",
        "The service's own domain (app.example.com): an ACM certificate validated in "
        "hostedZone, alias records to the load balancer, HTTPS, and HTTP redirected to it."),
    Key("hostedZone", str, "",
        "The Route 53 public hosted zone of domainName, by ID (Z...) or name (example.com)."),
    Key("certificateArn", str, "",
        "An existing ACM certificate ARN instead of one shipyard requests: adds an HTTPS "
        "listener and redirects HTTP to it."),
    Key("allowPlainHttp", bool, False,
        "Let a stack with protectResources serve plain HTTP (no domainName or "
        "certificateArn). Say why in the stack file."),
    Key("albDeletionProtection", bool, False, "Deletion protection on the load balancer."),
    Key("waf", bool, False,
        "A regional WAF web ACL on the load balancer: AWS's managed rules (common attacks, "
        "known bad inputs, IP reputation) and a per-IP rate limit."),
    Key("wafRateLimit", int, 2000,
        "waf: requests one IP may send in five minutes before it is blocked "
        "(10-2000000000)."),
    Key("accessLogs", bool, False,
        "The load balancer's access logs, in an S3 bucket of the environment (public access "
        "blocked, SSE-S3, TLS only)."),
    Key("accessLogDays", int, 90, "Days the access log bucket keeps logs (1-3650)."),
    Key("logRetentionDays", int, 7, "CloudWatch log retention in days (CloudWatch's values)."),
    Key("alarmCpuPercent", int, 85, "Average CPU that raises the high-CPU alarm."),
    Key("alarm5xxPerMinute", int, 10, "Target 5xx responses per minute that raise the alarm."),
    Key("alarmEmails", list, [],
        "Addresses the environment's alarm topic mails when an alarm fires or clears (each "
        "confirms the subscription AWS mails it once)."),
    Key("alarmTopicArn", str, "",
        "An existing SNS topic (Chatbot, a pager) to notify instead of the topic shipyard "
        "creates. Empty: shipyard's own, encrypted with the environment's key."),
    Key("costRequests", int, 1_000_000,
        "`shipyard cost`'s assumption: requests a month (WAF, Route 53); --requests overrides."),
    Key("costNatGb", int, 10,
        "`shipyard cost`'s assumption: GB a month through the NAT gateways; --nat-gb overrides."),
    Key("costLogGb", int, 5,
        "`shipyard cost`'s assumption: log GB a month; --log-gb overrides."),
    Key("monthlyBudget", int, 0,
        "USD a month: `shipyard preview` and `deploy` refuse a change whose estimate at "
        "maxCapacity is over it (exit 3, unless --over-budget; docs/cost.md). 0: none."),
    Key("protectResources", bool, False,
        "Pulumi protect on stateful resources: repository and KMS keys (service stack); log "
        "groups, load balancer, cluster, VPC, access log bucket. Prod-like: refuses plain "
        "HTTP, the default VPC, no deletion protection, logs kept under 90 days.", BOTH),
    Key("keepImages", int, 30,
        "service: images the repository keeps for rollbacks, across all environments.",
        (SERVICE,)),
    Key("githubRepository", str, "",
        "service: the GitHub repository (owner/name) whose workflows may assume the deploy "
        "roles.", (SERVICE,)),
    Key("githubOidcProviderArn", str, "",
        "service: the account's existing GitHub OIDC provider (an account has one per URL). "
        "Empty: create it.", (SERVICE,)),
    Key("deployEnvironments", list, ["dev", "staging", "prod"],
        "service: environments that get a deploy role, each with a stacks/Pulumi.<env>.yaml.",
        (SERVICE,)),
    Key("pulumiStateBucket", str, "",
        "service: S3 bucket of a self-managed Pulumi backend the roles may use. Empty: "
        "Pulumi Cloud (a token, no AWS access).", (SERVICE,)),
    Key("pulumiSecretsKeyArn", str, "",
        "service: KMS key of an awskms:// secrets provider the roles may use. Empty: none.",
        (SERVICE,)),
    Key("repositoryMovedFrom", str, "",
        "service: the environment whose stack created the repository before (dev, for "
        "stacks from before the service stack), so the moved state keeps it "
        "(docs/deploying.md).",
        (SERVICE,)),
)  # fmt: skip
# Keys that are no longer settings, and what to do instead.
RETIRED = {
    "imageRepository": "environments deploy from the service stack's repository, named "
    "serviceName; remove it",
}
KEYS_BY_NAME = {key.name: key for key in KEYS}


def path(name: str) -> str:
    """The full key path of a setting, as a stack file spells it: shipyard:<name>."""
    return KEYS_BY_NAME[name].path
