#!/usr/bin/env bash
# One-time set-up on a fresh machine: system tools for the container tests, then a project
# virtualenv in .venv with shipyard and its development dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

# Tools the container tests use where there is no Docker daemon: podman and friends build and
# run the image, debootstrap makes a base image offline, docker-registry stands in for ECR.
system_tools=(podman buildah skopeo runc debootstrap docker-registry shellcheck)
missing=()
for tool in "${system_tools[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
echo "[1/3] system tools for the container tests: ${system_tools[*]}"
if ((${#missing[@]})); then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "  installing with apt-get: ${missing[*]} (a minute or two)"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
  else
    echo "warning: missing ${missing[*]}; the container tests will use docker or be skipped" >&2
  fi
else
  echo "  all present"
fi

echo "[2/3] .venv: shipyard and its development dependencies, as pinned in pyproject.toml"
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'
echo "  installed $(.venv/bin/python -m pip list --format=freeze 2>/dev/null | wc -l) packages"

# The Pulumi engine, for the engine tests and the CLI: one on PATH if there is one; else
# built from its Go modules into .engine/bin (once; a second run builds nothing).
echo "[3/3] the Pulumi engine"
if command -v pulumi >/dev/null 2>&1; then
  echo "  using $(command -v pulumi) ($(pulumi version))"
elif command -v go >/dev/null 2>&1; then
  ./scripts/build-engine 2> >(grep -v '^go: downloading' >&2)
else
  echo "warning: no Pulumi CLI and no Go to build one; the engine tests will be skipped." \
    "Install Pulumi: https://www.pulumi.com/docs/install/" >&2
fi
echo "set up: run the tests with .venv/bin/pytest"
