"""Pure helpers of the program: subnet layout, container environment, source revision."""

from __future__ import annotations

import ipaddress
import subprocess

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from shipyard.program import source
from shipyard.program.components.network import subnet_cidrs
from shipyard.program.container import container_environment


# No deadline: the machines are shared, and the first example pays for cold imports.
@hypothesis_settings(deadline=None)
@given(
    st.integers(min_value=0, max_value=255),
    st.integers(min_value=16, max_value=20),
    st.integers(min_value=2, max_value=6),
)
def test_subnets_are_disjoint_and_inside_the_vpc(second_octet, prefix, zones):
    vpc = ipaddress.IPv4Network(f"10.{second_octet}.0.0/{prefix}", strict=False)
    public, private = subnet_cidrs(str(vpc), zones)
    blocks = [ipaddress.IPv4Network(cidr) for cidr in public + private]
    assert len(public) == len(private) == zones
    assert all(block.subnet_of(vpc) for block in blocks)
    assert all(not a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1 :])
    assert all(block.num_addresses >= 256 for block in blocks)


def test_container_environment_is_sorted_and_includes_ours():
    assert container_environment("prod", 8080, 60, (("Z_FLAG", "1"), ("A_FLAG", "x=y"))) == (
        ("APP_ENVIRONMENT", "prod"),
        ("A_FLAG", "x=y"),
        # Longer than the load balancer's idle timeout, so it never reuses a closed one.
        ("KEEPALIVE_SECONDS", "65"),
        ("PORT", "8080"),
        ("Z_FLAG", "1"),
    )


def test_revision_from_ci_variables(monkeypatch):
    monkeypatch.setenv("SHIPYARD_COMMIT", "abc1234")
    monkeypatch.setenv("SHIPYARD_VERSION", "v9")
    assert source.current_revision() == source.SourceRevision("abc1234", "v9", dirty=False)


@pytest.fixture
def git_repo(tmp_path, monkeypatch):
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.py").write_text("print('hi')\n")
    for command in (
        ["git", "init", "-q"],
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "add", "."],
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one"],
    ):
        subprocess.run(command, cwd=tmp_path, check=True)
    monkeypatch.setattr(source, "project_root", lambda: tmp_path)
    monkeypatch.delenv("SHIPYARD_COMMIT", raising=False)
    monkeypatch.delenv("SHIPYARD_VERSION", raising=False)
    return tmp_path


def test_revision_from_git_and_a_dirty_tree_is_marked(git_repo):
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=git_repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    clean = source.current_revision()
    assert (clean.commit, clean.dirty, clean.label) == (head, False, head)
    (git_repo / "app" / "main.py").write_text("print('changed')\n")
    dirty = source.current_revision()
    assert (dirty.commit, dirty.dirty, dirty.label) == (head, True, f"{head}-dirty")
