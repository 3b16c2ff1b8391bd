"""The load balancer's access logs: an S3 bucket only Elastic Load Balancing writes to, closed
to the public, owned by the account, encrypted, reachable over TLS only, and emptied of
logs older than the retention."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shipyard.config import naming


@dataclass(frozen=True)
class AccessLogsArgs:
    account: str
    region: str
    retention_days: int
    protect: bool


def log_writer(region: str) -> dict[str, str]:
    """Who delivers a region's load balancer logs: Elastic Load Balancing's account in the
    regions older than ap-southeast-3 (December 2021), its log delivery service in newer."""
    try:
        return {"AWS": aws.elb.get_service_account(region=region).arn}
    except Exception as error:  # the invoke's failure, whatever the engine wraps it in
        # The data source's table has no account for the newer regions; anything else
        # (credentials, the network) is not a reason to guess.
        if "unsupported" not in str(error).lower():
            raise
        return {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}


class AccessLogBucket(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    # What must exist before the load balancer may write: its permission to do so.
    ready: list[pulumi.Resource]

    def __init__(
        self, name: str, args: AccessLogsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("shipyard:index:AccessLogBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(
            naming.access_log_bucket_name(name),
            # A protected stack keeps its logs; another may be destroyed with them.
            force_destroy=not args.protect,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-access-logs",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-access-logs",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        # SSE-S3: the only encryption load balancer log delivery accepts (not SSE-KMS).
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-access-logs",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="AES256"
                    )
                )
            ],
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-access-logs",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-access-logs",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                        days=args.retention_days
                    ),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=1
                    ),
                )
            ],
            opts=child,
        )
        policy = aws.s3.BucketPolicy(
            f"{name}-access-logs",
            bucket=bucket.id,
            policy=bucket_policy(bucket.arn, args),
            # After the public access block, so the policy is never public even for a moment.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )
        self.bucket_name = bucket.bucket
        self.ready = [policy]
        self.register_outputs({"bucket_name": self.bucket_name})


def bucket_policy(bucket_arn: pulumi.Output[str], args: AccessLogsArgs) -> pulumi.Output[str]:
    """Only the load balancer's log delivery writes, under this account's prefix; nothing
    reaches the bucket over plain HTTP."""
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyPlainHttp",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, bucket_arn.apply(lambda arn: f"{arn}/*")],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {
                    "Sid": "LoadBalancerLogDelivery",
                    "Effect": "Allow",
                    "Principal": log_writer(args.region),
                    "Action": "s3:PutObject",
                    "Resource": bucket_arn.apply(
                        lambda arn: f"{arn}/AWSLogs/{args.account}/*"
                    ),
                },
            ],
        }
    )
