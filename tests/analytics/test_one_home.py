"""Mechanisms kam needs in many places are declared once, where their name says."""

import ast
from pathlib import Path

import kam

PACKAGE = Path(kam.__file__).parent


def assignments_to(name: str) -> list[str]:
    """Every module that binds ``name`` at top level (an assignment or a definition)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AnnAssign):
                targets = [node.target]
            elif isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == name:
                found.append(str(path.relative_to(PACKAGE.parent)))
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                found.append(str(path.relative_to(PACKAGE.parent)))
    return found


def test_the_progress_callback_type_is_declared_once():
    assert assignments_to("Progress") == ["kam/analytics/progress.py"]


def test_an_upload_is_saved_by_one_function():
    assert assignments_to("_save_upload") + assignments_to("save_upload") == ["kam/uploads.py"]
