"""Isolation: a model file imports only the standard library, httpx and pydantic."""

from __future__ import annotations

import sys

from generator.modelfile import ParsedModelFile

ALLOWED_THIRD_PARTY = frozenset({"httpx", "pydantic"})


def isolation_problems(model: ParsedModelFile) -> list[str]:
    problems: list[str] = []
    for imported in model.imports:
        top = imported.module.split(".")[0]
        if imported.level:
            problems.append(
                f"line {imported.line}: relative import; a model file imports nothing "
                "of this project"
            )
        elif top not in sys.stdlib_module_names and top not in ALLOWED_THIRD_PARTY:
            problems.append(
                f"line {imported.line}: imports {imported.module!r}; only the standard "
                "library, httpx and pydantic are allowed"
            )
    problems += [
        f"line {line}: dynamic import or exec/eval; model files must not load code"
        for line in model.dynamic_imports
    ]
    return problems
