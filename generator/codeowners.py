"""Who owns a path, the way GitHub reads CODEOWNERS. Pure.

GitHub's rules (https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners):
- one file is used: .github/CODEOWNERS, else CODEOWNERS, else docs/CODEOWNERS
  (searched in that order, the first found wins), on the pull request's BASE
  branch;
- patterns follow most of .gitignore's rules (no `!` negation, no `[ ]` ranges);
- for each file, the LAST matching line decides its owners (a line with no owner
  leaves the file unowned).

The generator writes CODEOWNERS; the tests use this to prove that nothing is
unowned and that the reviewers team holds every model file and every locked one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


@dataclass(frozen=True)
class Rule:
    pattern: str
    owners: tuple[str, ...]
    regex: re.Pattern[str]


def effective_location(paths: Mapping[str, object]) -> str | None:
    """The CODEOWNERS file GitHub uses among `paths` (None: there is none)."""
    return next((location for location in LOCATIONS if location in paths), None)


def _regex(pattern: str) -> re.Pattern[str]:
    anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
    body = pattern.strip("/")
    directory = pattern.endswith("/")
    out = []
    index = 0
    while index < len(body):
        if body.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif body.startswith("/**", index) and index + 3 == len(body):
            out.append("/.*")
            index += 3
        elif body[index] == "*":
            out.append("[^/]*")
            index += 1
        elif body[index] == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(body[index]))
            index += 1
    prefix = "^" if anchored else "^(?:.*/)?"
    suffix = "/.*$" if directory else "(?:/.*)?$"
    return re.compile(prefix + "".join(out) + suffix)


def parse(text: str) -> list[Rule]:
    rules: list[Rule] = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()  # a comment may follow the owners
        if not line or line.startswith("#"):
            continue
        pattern, *names = line.split()
        rules.append(Rule(pattern, tuple(names), _regex(pattern)))
    return rules


def owners(rules: list[Rule], path: str) -> tuple[str, ...]:
    """The owners of `path` (a file, relative, POSIX): the last matching rule's."""
    found: tuple[str, ...] = ()
    for rule in rules:
        if rule.regex.match(path):
            found = rule.owners
    return found
