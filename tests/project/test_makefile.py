"""The two commands set up what they need: `make run` the runtime requirements only, `make
test` the dev tools too; `make run PORT=...` serves elsewhere. Read from `make -n` (what
make would run) on a venv that does not exist, so that nothing is installed here."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.project.test_settings import ROOT

pytestmark = pytest.mark.skipif(not shutil.which("make"), reason="needs make")


def planned(*args: str, tmp_path) -> list[str]:  # type: ignore[no-untyped-def]
    venv = tmp_path / "fresh-venv"
    result = subprocess.run(["make", "-n", *args, f"VENV={venv}"], cwd=ROOT, capture_output=True, text=True, check=True)
    return result.stdout.splitlines()


def installs(lines: list[str]) -> list[str]:
    return [line for line in lines if "pip install" in line and " -r " in line]


def test_make_run_installs_the_runtime_requirements_only(tmp_path):
    lines = planned("run", tmp_path=tmp_path)
    assert [line.rsplit(" ", 1)[-1] for line in installs(lines)] == ["requirements.txt"]
    assert any("daphne -b 127.0.0.1 -p 8000 " in line for line in lines)


def test_make_test_installs_the_dev_tools(tmp_path):
    lines = planned("test", tmp_path=tmp_path)
    assert [line.rsplit(" ", 1)[-1] for line in installs(lines)] == ["requirements-dev.txt"]


def test_make_run_takes_another_port(tmp_path):
    lines = planned("run", "PORT=8080", tmp_path=tmp_path)
    assert any("daphne -b 127.0.0.1 -p 8080 " in line for line in lines)
    assert any("http://127.0.0.1:8080/" in line for line in lines)


def test_the_dev_requirements_include_the_runtime_ones():
    first = (ROOT / "requirements-dev.txt").read_text().splitlines()[0]
    assert first == "-r requirements.txt"
