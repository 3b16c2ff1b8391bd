"""The rules the service stack's settings follow: the repository and the deploy roles."""

from __future__ import annotations

import re
from pathlib import Path

from shipyard.config import aws_limits, naming
from shipyard.config.checks import Check, Problems, Values, between, matches
from shipyard.config.edge_checks import in_zone
from shipyard.config.keys import NAMESPACE, path
from shipyard.config.model import deploy_entry
from shipyard.config.stack_files import (
    StackFileError,
    program_project_dir,
    project_name,
    read_stack_config,
    stack_file,
    stack_names,
)

GITHUB_REPOSITORY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")


def keep_images(values: Values) -> Problems:
    if values["keepImages"] < 2:
        return (
            f"{path('keepImages')}: {values['keepImages']} keeps only the newest image, so there "
            "is nothing to roll back to; keep at least 2 (more when several stacks build into "
            "the repository)"
        )
    return None


def github_repository(values: Values) -> Problems:
    repository = values["githubRepository"]
    if repository == "":
        return (
            f"{path('githubRepository')}: not set; the deploy roles trust the workflows of one "
            "GitHub repository: set it to owner/name, like acme/shop"
        )
    if any(character in repository for character in "*?[]"):
        return (
            f"{path('githubRepository')}: {repository!r} has a wildcard, which would let other "
            "repositories' workflows deploy; name exactly one repository, like acme/shop"
        )
    if not GITHUB_REPOSITORY.fullmatch(repository):
        return (
            f"{path('githubRepository')}: {repository!r} is not a GitHub repository; use "
            "owner/name, like acme/shop"
        )
    return None


def deploy_stacks(values: Values) -> list[str]:
    """The stacks of deployEnvironments, whose entries are `stack` or `stack=github-env`."""
    return [deploy_entry(entry)[0] for entry in values["deployEnvironments"]]


def deploy_environments(values: Values) -> Problems:
    """Each deploy role is for an environment that has a stack file; none twice."""
    problems, seen = [], set()
    known = set(stack_names(program_project_dir()))
    for entry in values["deployEnvironments"]:
        env, github_environment = deploy_entry(entry)
        if re.search(r"[*?\[\]]", github_environment) or (
            "=" in entry and not github_environment
        ):
            problems.append(
                f"{path('deployEnvironments')}: {entry!r} names no single GitHub environment; "
                "write stack=environment, like prod=production, with no wildcard"
            )
        elif not naming.ENVIRONMENT_NAME.fullmatch(env):
            problems.append(
                f"{path('deployEnvironments')}: {env!r} cannot be a stack name; use lowercase "
                "letters, digits and hyphens"
            )
        elif env == values.environment:
            problems.append(
                f"{path('deployEnvironments')}: {env} is this service stack itself, not an "
                "environment; remove it"
            )
        elif env in seen:
            problems.append(f"{path('deployEnvironments')}: {env} is listed twice")
        elif env not in known:
            problems.append(
                f"{path('deployEnvironments')}: {env} has no stack file (stacks/Pulumi.{env}"
                ".yaml); create the environment's stack first, or remove it from the list"
            )
        seen.add(env)
    stacks_listed = deploy_stacks(values)
    for env in stacks_listed:
        # A deploy role's names (<service>-<env>-*) must not cover another environment's.
        overlapping = [other for other in stacks_listed if other.startswith(f"{env}-")]
        if overlapping:
            problems.append(
                f"{path('deployEnvironments')}: {env} is a prefix of {', '.join(overlapping)}, "
                f"so {env}'s deploy role would also match their resources; rename one"
            )
    if not values["deployEnvironments"]:
        problems.append(
            f"{path('deployEnvironments')}: empty; list the environments the pipeline deploys"
        )
    return problems


def stack_domain(project_dir: Path, stack: str) -> str:
    """The domainName a stack's file sets; '' for none."""
    config = read_stack_config(stack_file(project_dir, stack), project_name(project_dir))
    return str(config.get(f"{NAMESPACE}:domainName", ""))


def environment_domains(values: Values) -> Problems:
    """Each deploy role may write the DNS names of its environment's domain and anything
    under `_*.` of it: two environments' domains must be neither equal nor nested."""
    project_dir = program_project_dir()
    domains = {}
    for env in deploy_stacks(values):
        if not stack_file(project_dir, env).is_file():
            continue  # deploy_environments says so
        try:
            domain = stack_domain(project_dir, env)
        except StackFileError:
            continue  # shipyard validate says what is wrong with it
        if domain:
            domains[env] = domain.lower()
    return [
        f"{path('deployEnvironments')}: {env}'s domain {domain} is {other}'s "
        f"({other_domain}) or under it, so {env}'s deploy role could rewrite {other}'s DNS "
        "records; give each environment a name of its own, like staging.example.com and "
        "app.example.com"
        for env, domain in sorted(domains.items())
        for other, other_domain in sorted(domains.items())
        if other != env and in_zone(domain, other_domain)
    ]


def role_names(values: Values) -> Problems:
    rule = naming.RULES["aws:iam/role:Role"]
    names = [naming.deploy_role_name(values["serviceName"], env) for env in deploy_stacks(values)]
    names += [naming.preview_role_name(values["serviceName"]),
              naming.prices_role_name(values["serviceName"])]  # fmt: skip
    return [
        f"{path('deployEnvironments')}: {problem}; shorten serviceName or the environment's name"
        for problem in (rule.problem(name) for name in names)
        if problem
    ]  # fmt: skip


def kms_key(values: Values) -> Problems:
    arn = values["pulumiSecretsKeyArn"]
    if arn == "":
        return None
    match = re.fullmatch(r"arn:aws[\w-]*:kms:([a-z0-9-]+):\d{12}:key/[\w-]+", arn)
    if not match:
        return (
            f"{path('pulumiSecretsKeyArn')}: {arn!r} is not a KMS key ARN "
            "(arn:aws:kms:REGION:ACCOUNT:key/ID; IAM cannot grant a key by its alias)"
        )
    if values.region and match.group(1) != values.region:
        return (
            f"{path('pulumiSecretsKeyArn')}: the key is in {match.group(1)}, the stack in "
            f"{values.region}; name the key in the region the pipeline deploys from"
        )
    return None


def state_bucket(values: Values) -> Problems:
    name = values["pulumiStateBucket"]
    problem = aws_limits.bucket_name_problem(name) if name else None
    return f"{path('pulumiStateBucket')}: {name!r} {problem}" if problem else None


SERVICE_CHECKS: tuple[Check, ...] = (
    between("keepImages", 1, 1000),
    keep_images,
    github_repository,
    matches("githubOidcProviderArn",
            r"arn:aws[\w-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com",
            "is not the ARN of a GitHub OIDC provider "
            "(arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com)",
            allow_empty=True),
    deploy_environments,
    environment_domains,
    role_names,
    state_bucket,
    kms_key,
    matches("repositoryMovedFrom", naming.ENVIRONMENT_NAME.pattern,
            "is not a stack name (lowercase letters, digits, hyphens)", allow_empty=True),
)  # fmt: skip
