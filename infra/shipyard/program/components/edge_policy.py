"""What a deploy role may do with what faces the world: the access log bucket, the web ACL and
the environment's domain (its certificate and DNS records). Policies as data, like
deploy_policy.py, which gathers them."""

from __future__ import annotations

from typing import Any

from shipyard.config import naming
from shipyard.program.components.iam import allow
from shipyard.program.components.policy_scope import Scope, new_resource, tagged

# What the provider reads of a bucket, and writes of the access log bucket's settings.
S3_BUCKET_READS = (
    "s3:GetAccelerateConfiguration", "s3:GetBucketAcl", "s3:GetBucketCORS",
    "s3:GetBucketLocation", "s3:GetBucketLogging", "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketOwnershipControls", "s3:GetBucketPolicy", "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketRequestPayment", "s3:GetBucketTagging", "s3:GetBucketVersioning",
    "s3:GetBucketWebsite", "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration", "s3:ListBucket",
)  # fmt: skip


def access_log_statements(scope: Scope) -> list[dict[str, Any]]:
    """The load balancer's access log bucket, by its name (<prefix>-alb-logs-<random>)."""
    bucket = f"arn:aws:s3:::{naming.access_log_bucket_name(scope.prefix)}-*"
    return [
        allow([*S3_BUCKET_READS, "s3:CreateBucket", "s3:DeleteBucket",
               "s3:DeleteBucketPolicy", "s3:ListBucketVersions", "s3:PutBucketOwnershipControls",
               "s3:PutBucketPolicy", "s3:PutBucketPublicAccessBlock", "s3:PutBucketTagging",
               "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration",
               # Newer providers tag at CreateBucket through S3 Control's tagging calls.
               "s3:ListTagsForResource", "s3:TagResource", "s3:UntagResource"], [bucket]),
        # Emptying it when a stack that does not protect it is destroyed.
        allow(["s3:DeleteObject", "s3:DeleteObjectVersion"], [f"{bucket}/*"]),
    ]  # fmt: skip


def web_acl_statements(scope: Scope) -> list[dict[str, Any]]:
    """The environment's web ACL, by name, with AWS's managed rule groups in it, associated
    with the stack's own load balancer, and its logging. Resource types and condition keys
    as the Service Authorization Reference lists them for each action
    (tests/infra/test_iam.py checks these statements against it)."""
    acl = scope.arn("wafv2", f"regional/webacl/{scope.prefix}-waf/*")
    balancer = scope.arn(
        "elasticloadbalancing", f"loadbalancer/app/{naming.load_balancer_name(scope.prefix)}-*/*"
    )
    return [
        allow(["wafv2:CreateWebACL", "wafv2:DeleteWebACL", "wafv2:GetWebACL",
               "wafv2:ListTagsForResource", "wafv2:TagResource", "wafv2:UntagResource",
               "wafv2:UpdateWebACL", "wafv2:GetLoggingConfiguration",
               "wafv2:DeleteLoggingConfiguration"], [acl]),
        # Its logs go to the environment's own WAF log group, nowhere else.
        allow(["wafv2:PutLoggingConfiguration"], [acl],
              {"ArnLike": {"wafv2:LogDestinationResource": waf_log_group_arns(scope)}}),
        allow(["wafv2:CreateWebACL", "wafv2:UpdateWebACL"],
              [scope.arn("wafv2", "regional/managedruleset/*/*")]),
        # Authorised against the web ACL (required) and the load balancer, which WAF checks
        # by ARN alone (no condition keys for it): the stack's by name.
        allow(["wafv2:AssociateWebACL", "wafv2:GetWebACLForResource"], [acl, balancer]),
        allow(["wafv2:DisassociateWebACL"], [balancer]),
        # Load balancing's side of the association, on the stack's load balancer by tag.
        # (elasticloadbalancing:SetWebAcl, which takes no resource, is in UNSCOPABLE.)
        allow(["elasticloadbalancing:CreateWebACLAssociation",
               "elasticloadbalancing:DeleteWebACLAssociation",
               "elasticloadbalancing:GetLoadBalancerWebACL"],
              [scope.arn("elasticloadbalancing", "loadbalancer/app/*/*")], tagged(scope)),
    ]  # fmt: skip


def waf_log_group_arns(scope: Scope) -> list[str]:
    """The web ACL's log group (aws-waf-logs-<prefix>, the name WAF requires), and its
    streams; observability_statements manages it with the environment's other groups."""
    group = scope.arn("logs", f"log-group:{naming.waf_log_group_name(scope.prefix)}")
    return [group, f"{group}:*"]


def domain_statements(scope: Scope) -> list[dict[str, Any]]:
    """The environment's own domain: its certificate (created with the stack tag, managed
    only when tagged), and DNS records of exactly its name and its validation names in any
    zone of the account (the zone is the environment's choice)."""
    if not scope.domain_name:
        return []
    names = [scope.domain_name, f"_*.{scope.domain_name}"]
    certificates = scope.arn("acm", "certificate/*")
    return [
        allow(["acm:RequestCertificate"], ["*"], new_resource(scope)),
        allow(["acm:AddTagsToCertificate"], [certificates], new_resource(scope)),
        allow(["acm:DeleteCertificate", "acm:DescribeCertificate",
               "acm:ListTagsForCertificate"], [certificates], tagged(scope)),
        allow(["route53:ChangeResourceRecordSets"], ["arn:aws:route53:::hostedzone/*"],
              {"ForAllValues:StringLike": {
                  "route53:ChangeResourceRecordSetsNormalizedRecordNames": names}}),
        allow(["route53:GetHostedZone", "route53:ListResourceRecordSets",
               "route53:ListTagsForResource"], ["arn:aws:route53:::hostedzone/*"]),
        allow(["route53:GetChange"], ["arn:aws:route53:::change/*"]),
    ]  # fmt: skip
