"""The EC2 boot script's part for the container's secrets (docs/secrets.md): Docker's state
on tmpfs, each value read with the instance role into the shell's memory, and handed to
`docker run` through a pipe. shipyard/program/user_data.py puts these lines in their place."""

from __future__ import annotations

import shlex

from shipyard.config.secret_references import SECRETS_MANAGER, SecretReference

# Docker keeps a container's configuration, its environment included, under these
# directories (dockerd's container config, containerd's metadata of the running task).
DOCKER_STATE = ("/var/lib/docker/containers", "/var/lib/containerd")


def secret_steps(secrets: tuple[SecretReference, ...]) -> tuple[str, str, str]:
    """The script's lines that keep Docker's state in memory, those that fetch the secrets,
    and the docker run options that pass them.

    Values are read with the instance role into this shell's memory only, and reach docker
    through a pipe (`--env-file <(...)`, printf being a builtin): never in a file, in an
    argument (the process list), in the output (the instance's logs) or in the user data.
    Docker's own copy of the container's environment is kept in memory too: its state
    directories are tmpfs (Amazon Linux 2023 has no swap). A reboot therefore loses the
    container; its health check fails and Auto Scaling replaces the instance.
    """
    if not secrets:
        return "", "", ""
    q = shlex.quote
    fetches = []
    for secret in sorted(secrets, key=lambda secret: secret.variable):
        if secret.kind == SECRETS_MANAGER:
            # A secret is always referenced by its full ARN: region and account are its own.
            call = (
                f"secret_value {q(secret.arn('', ''))} {q(secret.json_key)} "
                f"{q(secret.version_stage)} "
                f"{q(secret.version_id)}"
            )
        else:
            call = f"parameter_value {q(secret.name)}"
        fetches.append(f"secret_values[{secret.variable}]=$({call})")
    mounts = " ".join(DOCKER_STATE)
    fetch_lines = "\n".join(fetches)
    steps = f"""

# The container's secrets, read with the instance role into this shell only.
parameter_value() {{
  aws ssm get-parameter --region "$region" --with-decryption --name "$1" \\
    --query Parameter.Value --output text
}}
secret_value() {{  # secret ARN, JSON key, version stage, version id
  local options=(--secret-id "$1") value
  if [[ -n $3 ]]; then options+=(--version-stage "$3"); fi
  if [[ -n $4 ]]; then options+=(--version-id "$4"); fi
  value=$(aws secretsmanager get-secret-value --region "$region" "${{options[@]}}" \\
    --query SecretString --output text)
  if [[ $value == None ]]; then  # what the CLI prints for a binary secret
    echo "secret $1 has no text value (SecretString); store it as text" >&2
    return 1
  fi
  if [[ -n $2 ]]; then
    value=$(printf '%s' "$value" | python3 -c 'import json, sys
value = json.load(sys.stdin)[sys.argv[1]]
print(value if isinstance(value, str) else json.dumps(value), end="")' "$2")
  fi
  printf '%s' "$value"
}}
declare -A secret_values
{fetch_lines}
for name in "${{!secret_values[@]}}"; do
  if [[ ${{secret_values[$name]}} == *$'\\n'* ]]; then
    echo "the value of secret $name has several lines; Docker's --env-file takes one" >&2
    false
  fi
  # Docker's env file parser prints a line that is not UTF-8, value and all.
  if ! printf '%s' "${{secret_values[$name]}}" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1; then
    echo "the value of secret $name is not UTF-8 text; Docker's --env-file takes only that" >&2
    false
  fi
done
secret_env_file() {{
  local name
  for name in "${{!secret_values[@]}}"; do
    printf '%s=%s\\n' "$name" "${{secret_values[$name]}}"
  done
}}
"""
    # awslogs keeps a local cache of the logs next to the container's config by default
    # (Docker's dual logging, up to 100 MB): off, so the tmpfs holds only the config.
    # Before Docker is installed: its package may start containerd, whose state would then
    # stay open on the disk underneath.
    tmpfs = f"""# Docker's copy of the container's environment stays in memory (see user_data.py).
for state in {mounts}; do
  mkdir -p "$state"
  mount -t tmpfs -o mode=0700,size=64m tmpfs "$state"
  mountpoint -q "$state"
done

"""
    return tmpfs, steps, (
        '  --log-opt "cache-disabled=true" \\\n  --env-file <(secret_env_file) \\\n'
    )
