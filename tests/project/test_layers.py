"""The house's layers (STYLE.md, docs/design.md), read from the code's own imports:
lib imports no app, activities imports nothing built on it, bufdir_project is imported
by no app, and no two apps import each other (directly or round a cycle)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("activities", "aggregations", "record_counts", "api_keys", "idempotency", "reports", "schemes")
PACKAGES = (*APPS, "lib", "bufdir_project")


def imports_of(package: str) -> dict[str, set[str]]:
    """{module path: top-level project packages it imports}, migrations left out."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
        found[str(path.relative_to(ROOT))] = {n for n in names if n in PACKAGES and n != package}
    return found


def offenders(package: str, forbidden: set[str]) -> list[str]:
    return sorted(f"{module} imports {sorted(names & forbidden)}"
                  for module, names in imports_of(package).items() if names & forbidden)  # fmt: skip


def test_lib_imports_no_app():
    assert offenders("lib", {*APPS, "bufdir_project"}) == []


def test_activities_imports_nothing_built_on_it():
    assert (
        offenders("activities", {"aggregations", "record_counts", "api_keys", "reports", "schemes", "bufdir_project"})
        == []
    )


def test_no_app_imports_the_project_package():
    for app in APPS:
        assert offenders(app, {"bufdir_project"}) == [], app


def test_no_cycle_between_apps():
    graph = {app: set().union(*imports_of(app).values()) & set(APPS) for app in APPS}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n})) for n in graph[start])

    cycles = [app for app in APPS if reaches(app, app, {app})]
    assert cycles == [], {app: sorted(graph[app]) for app in cycles}
