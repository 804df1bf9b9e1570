"""Rule 5 for a change set: registry.py and CODEOWNERS at head must be what the
generator makes from the model files at head. Pure.

Reading every model file on each commit would not scale, so the expected files are
the base's, patched for the models the change touches. That trusts the base's
derived files for untouched models; CI's `python -m generator check` re-derives
everything at head. A base whose registry.py does not parse falls back to a full
re-derivation by the caller.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from generator.config import Settings
from generator.locks import Violation
from generator.modelfile import ParsedModelFile
from generator.outputs import (
    _REGISTRY_HEADER,
    CODEOWNERS_PATH,
    REGISTRY_PATH,
    assemble_registry,
    entry_block,
    record_line,
    registry_entry,
    render_codeowners_for,
)
from modelvault._modelfile import Header

# One MODELS entry: its key line through the "    }," that closes it.
_ENTRY_BLOCK = re.compile(r'^    "([^"\\\n]+)": \{\n(?:        .*\n)*?    \},\n', re.M)
_RECORD_LINE = re.compile(r'^    "([0-9a-f-]{36})": "([^"\\\n]+)",\n', re.M)
_UUID_TEXT = re.compile(r"[0-9a-f-]{36}")
_LOCKED_LINE = re.compile(r"^/(models/\S+\.py) ")


@dataclass
class RegistryText:
    blocks: dict[str, str]  # model id -> its lines in MODELS
    record_lines: dict[str, str]  # record id -> its line in RECORD_IDS
    ids_by_record: dict[str, str]


_MODELS_OPEN = "MODELS = {\n"
_RECORDS_OPEN = "}\n\nRECORD_IDS = {\n"
_BLOCK_END = "\n    },\n"


def parse_registry_text(text: str) -> RegistryText | None:
    """Split a generated registry.py back into its per-model parts; None when the
    text is not in the generator's layout (so nothing is trusted from it).

    registry.py of a 5,000-model catalog is 3.5 MB and this runs on every commit
    and PR, so it splits on the layout's own separators (str.split, in C) and
    checks that the pieces rebuild the text: ids strictly ascending, each block
    opening with its key line, every record line in shape. A registry that is
    not in that layout goes through the slower regular expressions below."""
    fast = _split_registry(text)
    return fast if fast is not None else _parse_registry_slowly(text)


def _split_registry(text: str) -> RegistryText | None:
    head = _REGISTRY_HEADER + _MODELS_OPEN
    records_at = text.find(_RECORDS_OPEN, len(head))
    if not text.startswith(head) or records_at == -1 or not text.endswith("\n}\n"):
        return None
    models = text[len(head) : records_at]
    if not models.endswith(_BLOCK_END):
        return None
    blocks: dict[str, str] = {}
    previous = ""
    for chunk in models[: -len(_BLOCK_END)].split(_BLOCK_END):
        end = chunk.find('": {\n')
        key = chunk[5:end]
        if (
            not chunk.startswith('    "')
            or end == -1
            or key <= previous
            or '"' in key
            or "\\" in key
            or "\n" in key
        ):
            return None
        blocks[key] = chunk + _BLOCK_END
        previous = key
    records: dict[str, str] = {}
    ids: dict[str, str] = {}
    previous = ""
    body = text[records_at + len(_RECORDS_OPEN) : -3]  # up to the last "\n}\n"
    for line in body.split("\n") if body else []:
        # '    "<36-char record id>": "<id>",' (checked by hand: 5,000 regex
        # matches cost more than the rest of this loop)
        record_id, model_id = line[5:41], line[45:-2]
        if (
            line[:5] != '    "'
            or line[41:45] != '": "'
            or line[-2:] != '",'
            or not _UUID_TEXT.fullmatch(record_id)
            or not model_id
            or '"' in model_id
            or "\\" in model_id
            or record_id <= previous
        ):
            return None
        records[record_id] = line + "\n"
        ids[record_id] = model_id
        previous = record_id
    return RegistryText(blocks, records, ids)


def _parse_registry_slowly(text: str) -> RegistryText | None:
    models_at = text.find("\nMODELS = {")
    records_at = text.find("\nRECORD_IDS = {")
    if models_at == -1 or records_at < models_at:
        return None
    blocks: dict[str, str] = {}
    for match in _ENTRY_BLOCK.finditer(text, models_at, records_at):
        blocks[match.group(1)] = match.group(0)
    records: dict[str, str] = {}
    ids: dict[str, str] = {}
    for match in _RECORD_LINE.finditer(text, records_at):
        records[match.group(1)] = match.group(0)
        ids[match.group(1)] = match.group(2)
    registry = RegistryText(blocks, records, ids)
    if assemble_registry(registry.blocks, registry.record_lines) != text:
        return None
    return registry


@dataclass(frozen=True)
class ModelDelta:
    """A touched path: the model it held before and holds after (None if none)."""

    old: Header | None
    new: ParsedModelFile | None


_PATH_FIELD = re.compile(r'\n        "path": "([^"\\\n]+)",\n')


def _path_in(block: str | None) -> str:
    found = _PATH_FIELD.search(block or "")
    return found.group(1) if found else "an existing model"


def patch_registry(
    base: RegistryText, deltas: list[ModelDelta]
) -> tuple[RegistryText, list[Violation]]:
    """The base registry with the touched models replaced, and the namespace
    clashes the change makes. Ids and record ids are one namespace at lookup
    (`get(ref)` takes either), so a new id may equal no record id, a new record id
    no id, and neither may repeat one already taken."""
    blocks = dict(base.blocks)
    records = dict(base.record_lines)
    ids = dict(base.ids_by_record)
    for delta in deltas:
        if delta.old is not None:
            blocks.pop(delta.old.model_id, None)
            if ids.get(delta.old.record_id) == delta.old.model_id:
                records.pop(delta.old.record_id, None)
                ids.pop(delta.old.record_id, None)
    clashes: list[Violation] = []
    added: list[ParsedModelFile] = []
    for delta in deltas:
        if delta.new is None:
            continue
        model = delta.new
        model_id, record_id = model.config["id"], model.config["record_id"]
        if model_id in blocks:
            clashes.append(
                _clash(
                    model.path,
                    f"id {model_id!r} is already used by {_path_in(blocks[model_id])}",
                )
            )
        if record_id in ids and ids[record_id] != model_id:
            clashes.append(
                _clash(
                    model.path,
                    f"record id {record_id} is already used by {ids[record_id]!r}",
                )
            )
        blocks[model_id] = entry_block(model_id, registry_entry(model))
        records[record_id] = record_line(record_id, model_id)
        ids[record_id] = model_id
        added.append(model)
    for model in added:
        model_id, record_id = model.config["id"], model.config["record_id"]
        if model_id in ids and ids[model_id] != model_id:
            clashes.append(
                _clash(
                    model.path,
                    f"its id {model_id!r} is the record id of {ids[model_id]!r}",
                )
            )
        if record_id in blocks and record_id != model_id:
            clashes.append(
                _clash(
                    model.path,
                    f"its record id {record_id} is the id of "
                    f"{_path_in(blocks[record_id])}",
                )
            )
    return RegistryText(blocks, records, ids), clashes


def _clash(path: str, what: str) -> Violation:
    return Violation(
        path,
        "namespace",
        f"{what}; ids and record ids are one namespace (get() takes either), so "
        f"each must name one model: remove this file (git rm -- {shlex.quote(path)}) "
        "and add the model under another id (python -m generator new --spec SPEC "
        "with a new id)",
    )


def expected_registry(base: RegistryText, deltas: list[ModelDelta]) -> str:
    patched, _ = patch_registry(base, deltas)
    return assemble_registry(patched.blocks, patched.record_lines)


def settings_in(codeowners: str) -> Settings | None:
    """The reviewers and maintainers a generated CODEOWNERS names (its `*` and
    `/models/` lines); None for another layout. Verify uses it when pyproject.toml
    is unchanged, instead of parsing TOML: the base's CODEOWNERS was checked
    against the same settings when it landed."""
    maintainers = re.search(r"^\* (\S+)$", codeowners, re.M)
    reviewers = re.search(r"^/models/ (\S+)$", codeowners, re.M)
    if maintainers is None or reviewers is None:
        return None
    return Settings(reviewers=reviewers.group(1), maintainers=maintainers.group(1))


def locked_paths_in(codeowners: str) -> set[str]:
    return {
        match.group(1)
        for line in codeowners.splitlines()
        if (match := _LOCKED_LINE.match(line))
    }


def expected_codeowners(
    base_locked: set[str], touched: dict[str, bool], settings: Settings
) -> str:
    """`touched` maps each changed path to whether its header is locked at head
    (from the header alone: a file whose body does not parse is still listed)."""
    locked = base_locked - set(touched)
    locked |= {path for path, is_locked in touched.items() if is_locked}
    return render_codeowners_for(sorted(locked), settings)


def derived_violations(
    expected: dict[str, str],
    actual: dict[str, str | None],
    edited: frozenset[str] = frozenset(),
) -> list[Violation]:
    """`edited`: the derived files the change itself touches (a hand edit is
    only suspected where the change made one)."""
    out = []
    for path in (REGISTRY_PATH, CODEOWNERS_PATH):
        if actual.get(path) != expected[path]:
            state = "is missing" if actual.get(path) is None else "does not match"
            if path in edited:
                step = (
                    "do not edit it by hand: run python -m generator sync and "
                    f"commit the result (git add {path})"
                )
            else:
                step = (
                    "a model file changed: run python -m generator sync, then "
                    "git add registry.py CODEOWNERS"
                )
            out.append(
                Violation(
                    path,
                    "derived-file",
                    f"{state} what the generator makes from the model files; {step}",
                )
            )
    return out
