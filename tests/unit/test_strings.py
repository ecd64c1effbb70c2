import ast
import re
from pathlib import Path

from seedvox.core.strings import STRINGS, t

PACKAGE = Path(__file__).resolve().parents[2] / "py" / "seedvox"


def test_every_key_used_in_the_code_exists_in_every_language():
    used = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "") == "t"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                used.add(node.args[0].value)
    assert used, "no t() calls found: the scan is broken"
    for language, table in STRINGS.items():
        assert used <= table.keys(), (language, used - table.keys())


def test_placeholders_are_the_same_in_every_language():
    english = STRINGS["en"]
    for table in STRINGS.values():
        for key, text in table.items():
            assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", english[key]))


def test_formatting_and_fallback():
    assert t("record.recovered", count=2) == "Recovered 2 unfinished recording(s)."
    assert t("record.record", language="xx") == "Record"


def test_core_imports_nothing_from_the_browser():
    for path in (PACKAGE / "core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in {"js", "pyscript", "pyodide"}, (path, name)
