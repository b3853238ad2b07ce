"""The layers of DESIGN.md hold: an app imports only the apps below it, never one above."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Lowest first; apps on the same layer may not import each other either.
LAYERS = [
    ["core"],
    ["accounts"],
    ["safety"],
    ["cessation", "peersupport"],
    ["onboarding"],
    ["trials"],
    ["records"],  # retention and subject access: reads every app
]
LAYER_OF = {app: index for index, apps in enumerate(LAYERS) for app in apps}


def _imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(LAYER_OF)


@pytest.mark.parametrize("app", list(LAYER_OF))
def test_app_imports_only_apps_below_it(app):
    violations = []
    for path in sorted((ROOT / app).rglob("*.py")):
        for imported in _imported_apps(path):
            if imported != app and LAYER_OF[imported] >= LAYER_OF[app]:
                violations.append(f"{path.relative_to(ROOT)} imports {imported}")
    assert not violations, "upward or sideways imports:\n" + "\n".join(violations)
