"""core is the shared base: it imports none of the other apps, nor config."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "core"
OTHERS = ("config", "wiki", "qa", "handover", "plugins")


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_it_imports_no_other_app_of_ours() -> None:
    found = {
        f"{path.relative_to(CORE.parent)}: {name}"
        for path in CORE.rglob("*.py")
        for name in _imported_modules(path)
        if name.split(".")[0] in OTHERS
    }
    assert not found, sorted(found)
