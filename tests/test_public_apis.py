"""The pipeline uses its dependencies through their public interfaces only: no `_`-prefixed
attribute of another package's object is read or written, so an upgrade within the pinned ranges
cannot silently change what the code relies on."""

from __future__ import annotations

import ast
from pathlib import Path

import pipeline

PACKAGE = Path(pipeline.__file__).parent
OWN = {"self", "cls"}  # an object's own private attributes are its business


def private_accesses(source: str) -> list[str]:
    """`x._name` for any x but self/cls, and getattr/setattr/hasattr/delattr with a `_name`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            if not (isinstance(node.value, ast.Name) and node.value.id in OWN):
                found.append(ast.unparse(node))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and node.args[1].value.startswith("_")
            and not node.args[1].value.startswith("__")
        ):
            found.append(ast.unparse(node))
    return found


def test_the_check_sees_private_access():
    source = "pool = t._pool\nt._pool = 1\ngetattr(t, '_pool')\nself._mine = 2\nx.__class__\ns = 'a._b'\n"
    assert private_accesses(source) == ["t._pool", "t._pool", "getattr(t, '_pool')"]


def test_no_private_attribute_of_another_package_is_touched():
    found = {
        (path.relative_to(PACKAGE).as_posix(), access)
        for path in sorted(PACKAGE.rglob("*.py"))
        for access in private_accesses(path.read_text(encoding="utf-8"))
    }
    assert found == set()
