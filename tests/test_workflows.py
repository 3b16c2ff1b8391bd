"""The release pipeline's workflows (.github/workflows), linted and read as data.

actionlint checks their syntax, expressions and (through shellcheck) every run: script;
the tests below check what the pipeline promises: one build whose digest every deploy job
deploys, prod behind the `production` environment, one deploy of an environment at a time,
minimal permissions, every action pinned to a commit, and every `shipyard` command line
accepted by the CLI's own parser.
"""

from __future__ import annotations

import http.server
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from shipyard.cli.main import app
from shipyard.config.stack_files import PulumiYamlLoader

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
DEPLOY_JOBS = ("dev", "staging", "qa", "prod")


def workflow(name: str) -> dict[str, Any]:
    # YAML 1.2, as GitHub reads it: `on` is a key, not a boolean.
    return yaml.load((WORKFLOWS / name).read_text(), Loader=PulumiYamlLoader)


def all_workflows() -> dict[str, dict[str, Any]]:
    return {path.name: workflow(path.name) for path in sorted(WORKFLOWS.glob("*.yml"))}


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


def test_actionlint_and_shellcheck_report_nothing():
    actionlint = shutil.which("actionlint") or str(Path(sys.executable).parent / "actionlint")
    assert Path(actionlint).exists(), "actionlint is installed with the dev extras"
    assert shutil.which("shellcheck"), "actionlint checks run: scripts with shellcheck"
    completed = subprocess.run(
        [actionlint, *sorted(map(str, WORKFLOWS.glob("*.yml")))],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_zizmor_finds_nothing_of_medium_or_high_severity():
    zizmor = shutil.which("zizmor") or str(Path(sys.executable).parent / "zizmor")
    assert Path(zizmor).exists(), "zizmor is installed with the dev extras"
    completed = subprocess.run(
        [zizmor, "--offline", "--min-severity", "medium", "--format", "plain", str(WORKFLOWS)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "No findings to report" in completed.stdout + completed.stderr


def test_checkouts_keep_no_credentials_and_called_workflows_get_only_their_secrets():
    for name, document in all_workflows().items():
        for job in document["jobs"].values():
            assert job.get("secrets") != "inherit", name
            for step in steps(job):
                if str(step.get("uses", "")).startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, name


def test_every_action_is_pinned_to_a_commit_with_its_version_in_a_comment():
    for path in WORKFLOWS.glob("*.yml"):
        for line in path.read_text().splitlines():
            match = re.search(r"uses:\s*(\S+)", line)
            if not match or match.group(1).startswith("./"):
                continue
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", match.group(1)), line
            assert re.search(r"#\s*v\d+(\.\d+)*\s*$", line), f"{path.name}: no version: {line}"


def test_permissions_are_minimal():
    for name, document in all_workflows().items():
        assert document["permissions"] == {}, name  # nothing by default
        for job_name, job in document["jobs"].items():
            permissions = job.get("permissions", {})
            assumes_aws = any(
                step.get("uses", "").startswith("aws-actions/configure-aws-credentials")
                for step in steps(job)
            ) or job.get("uses") == "./.github/workflows/deploy.yml"
            assert permissions.get("id-token") == ("write" if assumes_aws else None), (
                name, job_name,
            )  # fmt: skip
            # The price refresh's proposal pushes a branch and opens a pull request, and
            # holds no AWS credentials; no other job writes to the repository.
            proposes = (name, job_name) == ("prices.yml", "propose")
            comments = job_name == "comment" or proposes
            assert permissions.get("pull-requests") == ("write" if comments else None)
            assert set(permissions) <= {"contents", "id-token", "pull-requests"}
            assert permissions.get("contents") in (("write",) if proposes else ("read", None))


def test_the_image_is_built_once_and_every_environment_deploys_that_digest():
    release = workflow("release.yml")
    assert release["on"] == {"push": {"branches": ["main"]}}
    jobs = release["jobs"]
    builders = [
        (name, step)
        for document in all_workflows().values()
        for name, job in document["jobs"].items()
        for step in steps(job)
        if "build-push-action" in step.get("uses", "")
    ]
    assert [name for name, _ in builders] == ["build"]
    (_, build_step), = builders
    assert build_step["with"]["platforms"] == "linux/amd64"
    assert build_step["with"]["cache-from"] == "type=gha"
    assert build_step["with"]["tags"].endswith(":${{ github.sha }}")
    assert jobs["build"]["needs"] == "checks"
    assert jobs["build"]["outputs"] == {"digest": "${{ steps.image.outputs.digest }}"}
    for name in DEPLOY_JOBS:
        job = jobs[name]
        assert job["uses"] == "./.github/workflows/deploy.yml"
        assert job["with"]["environment"] == name
        assert job["with"]["image"] == "${{ needs.build.outputs.digest }}"
        assert "build" in ([job["needs"]] if isinstance(job["needs"], str) else job["needs"])
    # dev first (with its smoke test), then staging and qa, then prod after both.
    assert jobs["dev"]["needs"] == "build"
    assert set(jobs["staging"]["needs"]) == {"build", "dev"}
    assert set(jobs["qa"]["needs"]) == {"build", "dev"}
    assert set(jobs["prod"]["needs"]) == {"build", "staging", "qa"}


def test_only_the_build_job_pushes_with_the_main_branch_build_role():
    build = workflow("release.yml")["jobs"]["build"]
    assert "environment" not in build  # its role trusts refs/heads/main, not an environment
    (assume,) = [s for s in steps(build) if "configure-aws-credentials" in s.get("uses", "")]
    assert assume["with"]["role-to-assume"].endswith(":role/${{ vars.SERVICE_NAME }}-build")
    # Releases queue, oldest first; none is cut short.
    assert workflow("release.yml")["concurrency"] == {
        "group": "release", "cancel-in-progress": False
    }  # fmt: skip


def test_pull_requests_get_only_a_read_only_pulumi_token():
    text = (WORKFLOWS / "pull-request.yml").read_text()
    assert "secrets.PULUMI_PREVIEW_ACCESS_TOKEN" in text
    assert "secrets.PULUMI_ACCESS_TOKEN" not in text


def test_deploys_and_rollbacks_run_one_at_a_time_per_environment_and_prod_needs_approval():
    # A rollback has a group of its own: it must reach a deploy that is still baking.
    for name, group in (("deploy.yml", "deploy"), ("rollback.yml", "rollback")):
        (job,) = workflow(name)["jobs"].values()
        assert job["concurrency"] == {
            "group": f"{group}-${{{{ inputs.environment }}}}",
            "cancel-in-progress": False,
        }
        # prod's jobs run in the `production` environment, whose reviewers approve them.
        assert job["environment"] == (
            "${{ inputs.environment == 'prod' && 'production' || inputs.environment }}"
        )
    shared_file = ROOT / "stacks" / "Pulumi.shared.yaml"
    shared = yaml.load(shared_file.read_text(), Loader=PulumiYamlLoader)
    # The deploy role for prod trusts exactly that GitHub environment.
    assert "prod=production" in shared["config"]["shipyard:deployEnvironments"]


def test_rollback_is_a_manual_workflow_with_environment_and_release():
    inputs = workflow("rollback.yml")["on"]["workflow_dispatch"]["inputs"]
    assert inputs["environment"]["options"] == ["dev", "staging", "prod", "qa"]
    assert inputs["release"]["type"] == "string"


PLACEHOLDERS = {
    '"$ENVIRONMENT"': "prod", '"$IMAGE"': "sha256:" + "0" * 64, '"$RELEASE"': "2",
}  # fmt: skip


def shipyard_command_lines() -> list[tuple[str, str]]:
    found = []
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for job in workflow(path.name)["jobs"].values():
            for step in steps(job):
                for line in step.get("run", "").splitlines():
                    if "shipyard " in line and "/shipyard" in line:
                        found.append((path.name, line.strip()))
    return found


def test_every_shipyard_command_in_a_workflow_parses_with_the_cli():
    lines = shipyard_command_lines()
    assert len(lines) >= 6
    group = typer.main.get_command(app)
    for name, line in lines:
        for placeholder, value in PLACEHOLDERS.items():
            line = line.replace(placeholder, value)
        # The command alone: not its redirections.
        argv = shlex.split(re.split(r"\s(?:>|2>|\|)", line)[0])
        argv = argv[argv.index(next(a for a in argv if a.endswith("/shipyard"))) + 1 :]
        parent = group.make_context("shipyard", list(argv), resilient_parsing=False)
        command = group.get_command(parent, argv[0])
        assert command is not None, (name, line)
        # Parsing checks every option and argument; nothing runs.
        command.make_context(argv[0], argv[1:], parent=parent)


def run_script(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "scripts" / name), *args], capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("code", "exit_code", "said"),
    [
        ("0", 0, "no stateful or protected resource"),
        ("3", 1, "::error title=prod would lose state::replace of protected "
                 "aws:lb/loadBalancer:LoadBalancer shipyard-sample-prod-alb"),
        ("1", 1, "::error title=prod preview failed::shipyard preview exited 1"),
    ],
)  # fmt: skip
def test_the_risk_gate_fails_the_check_naming_what_would_lose_state(
    tmp_path, code, exit_code, said
):
    preview = tmp_path / "preview.txt"
    preview.write_text(
        "Previewing update (prod):\n"
        "DANGER: replace of protected aws:lb/loadBalancer:LoadBalancer shipyard-sample-prod-alb\n"
    )
    completed = run_script("risk-gate", "prod", code, str(preview))
    assert completed.returncode == exit_code
    assert said in completed.stdout


class _Service(http.server.BaseHTTPRequestHandler):
    commit = "abc123"

    def do_GET(self) -> None:
        body = b'{"status": "ok"}' if self.path == "/health" else (
            b'{"commit": "%s"}' % self.commit.encode()
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def service():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Service)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_the_smoke_test_checks_health_and_the_commit_deployed(service):
    assert run_script("smoke-test", service, "abc123").returncode == 0
    wrong = run_script("smoke-test", service, "def456")
    assert wrong.returncode == 1
    assert "reports commit abc123, not def456" in wrong.stderr
    assert run_script("smoke-test", service).returncode == 0  # health only


def test_the_risk_gate_lets_a_first_release_through(tmp_path):
    preview = tmp_path / "preview.txt"
    preview.write_text(
        "error: pulumi failed on stack prod: shipyard:imageSource: prod deploys only released "
        "images, and none is recorded yet\n"
    )
    completed = run_script("risk-gate", "prod", "1", str(preview))
    assert completed.returncode == 0
    assert "::notice title=prod has no release yet::" in completed.stdout


def test_prices_are_refreshed_monthly_with_the_build_role_and_proposed_without_it():
    document = workflow("prices.yml")
    assert set(document["on"]) == {"schedule", "workflow_dispatch"}
    refresh, propose = document["jobs"]["refresh"], document["jobs"]["propose"]
    (credentials,) = [step for step in steps(refresh)
                      if step.get("uses", "").startswith("aws-actions/configure-aws-credentials")]
    assert credentials["with"]["role-to-assume"].endswith("role/${{ vars.SERVICE_NAME }}-prices")
    (run,) = [step for step in steps(refresh) if "--refresh-prices" in step.get("run", "")]
    # GitHub's bash runs `shell: bash` with pipefail, its default shell without: the tee
    # must not hide a failed refresh.
    assert run["shell"] == "bash" and "| tee prices-changes.txt" in run["run"]
    (upload,) = [step for step in steps(refresh) if "upload-artifact" in step.get("uses", "")]
    assert upload["with"]["path"].split() == ["infra/shipyard/cli/prices.json",
                                              "prices-changes.txt"]  # fmt: skip
    assert propose["needs"] == "refresh" and "id-token" not in propose["permissions"]


def proposed(
    tmp_path: Path, changes: str, open_pull_request: str = ""
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """scripts/propose-prices in a clone of a repository whose snapshot was refreshed, with a
    local origin and a `gh` that records what it was asked and lists `open_pull_request`."""
    origin, clone, calls = tmp_path / "origin.git", tmp_path / "clone", tmp_path / "gh-calls"
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=main", str(origin)],
                   check=True)  # fmt: skip
    subprocess.run(["git", "clone", "--quiet", str(origin), str(clone)], check=True,
                   capture_output=True)  # fmt: skip
    snapshot = clone / "infra" / "shipyard" / "cli" / "prices.json"
    snapshot.parent.mkdir(parents=True)
    snapshot.write_text('{"as_of": "2026-11-03"}\n')
    subprocess.run([*git, "add", "."], cwd=clone, check=True)
    subprocess.run([*git, "commit", "--quiet", "-m", "first", "--no-verify"], cwd=clone,
                   check=True)  # fmt: skip
    subprocess.run(["git", "push", "--quiet", "origin", "main"], cwd=clone, check=True)
    snapshot.write_text('{"as_of": "2026-12-03"}\n')  # the refreshed one
    (tmp_path / "changes.txt").write_text(changes)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(f'#!/usr/bin/env bash\necho "$*" >> {calls}\n'
                  f'if [ "$1 $2" = "pr list" ]; then echo "{open_pull_request}"; exit 0; fi\n'
                  f'while [ $# -gt 0 ]; do if [ "$1" = --body-file ]; then cp "$2" '
                  f"{tmp_path}/body; fi; shift; done\n")  # fmt: skip
    gh.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "GH_TOKEN": "x"}
    completed = subprocess.run(
        [str(ROOT / "scripts" / "propose-prices"), str(tmp_path / "changes.txt")],
        cwd=clone, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    return completed, origin


MOVED = ("prices of 30 regions as of 2026-12-03 written to prices.json\n"
         "1 price(s) new or changed since 2026-11-03\n"
         "  us-east-1 nat-hour: 0.045 per Hrs -> 0.05 per Hrs\n")  # fmt: skip


def branches(origin: Path) -> list[str]:
    listed = subprocess.run(["git", "branch", "--format=%(refname:short)"], cwd=origin,
                            capture_output=True, text=True, check=True)  # fmt: skip
    return listed.stdout.split()


def test_a_refresh_that_moved_a_price_is_proposed_as_a_pull_request(tmp_path):
    completed, origin = proposed(tmp_path, MOVED)
    assert completed.returncode == 0, completed.stderr
    pushed = subprocess.run(["git", "show", "prices/refresh:infra/shipyard/cli/prices.json"],
                            cwd=origin, capture_output=True, text=True, check=True)  # fmt: skip
    assert "2026-12-03" in pushed.stdout
    calls = (tmp_path / "gh-calls").read_text().splitlines()
    assert calls[0] == "auth setup-git"
    assert calls[1].startswith("pr list --head prices/refresh --state open")
    assert calls[2].startswith("pr create --base main --head prices/refresh --title Prices: ")
    assert "us-east-1 nat-hour: 0.045 per Hrs -> 0.05 per Hrs" in (tmp_path / "body").read_text()


def test_an_open_proposal_is_updated_rather_than_joined_by_another(tmp_path):
    completed, origin = proposed(tmp_path, MOVED, open_pull_request="12")
    assert completed.returncode == 0, completed.stderr
    calls = (tmp_path / "gh-calls").read_text().splitlines()
    assert calls[2].startswith("pr edit 12 --title Prices: ")
    assert not [call for call in calls if call.startswith("pr create")]
    assert branches(origin) == ["main", "prices/refresh"]


def test_a_refresh_that_moved_nothing_proposes_nothing(tmp_path):
    changes = "prices of 30 regions as of 2026-12-03 written to prices.json\n" \
              "no price changed since 2026-11-03\n"
    completed, origin = proposed(tmp_path, changes)
    assert completed.returncode == 0, completed.stderr
    assert "nothing to propose" in completed.stdout
    assert not (tmp_path / "gh-calls").exists()
    assert branches(origin) == ["main"]


def test_a_refresh_that_said_nothing_is_an_error_not_a_proposal(tmp_path):
    completed, origin = proposed(tmp_path, "")
    assert completed.returncode == 1
    assert "did the refresh fail?" in completed.stderr
    assert branches(origin) == ["main"]
