"""Run the lock rules over a git change set: a PR range (`verify`) or the staged
change (the pre-commit hook). The I/O is here; the rules are in generator.locks,
generator.paths and generator.derived.

Everything is read as git data (one diff, one `cat-file --batch`): nothing from the
change set is checked out, imported or executed, so the trusted gate can run this
with the base branch's tooling on a PR head it only fetched
(.github/workflows/lock-gate.yml).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator import git
from generator.attributes import ATTRIBUTES_PATH
from generator.config import Settings, settings_from_toml
from generator.derived import (
    ModelDelta,
    RegistryText,
    derived_violations,
    expected_codeowners,
    locked_paths_in,
    parse_registry_text,
    patch_registry,
    settings_in,
)
from generator.locks import (
    MAX_MODEL_FILE_BYTES,
    MODELS_PREFIX,
    Context,
    FileChange,
    FileState,
    Violation,
    check_changes,
)
from generator.modelfile import ModelFileError, ParsedModelFile, parse_model_file
from generator.outputs import CODEOWNERS_PATH, REGISTRY_PATH, assemble_registry
from generator.paths import PathChange, path_violations
from modelvault._modelfile import Header, HeaderError, read_header

_DERIVED = (REGISTRY_PATH, CODEOWNERS_PATH)
_PYPROJECT = "pyproject.toml"
_ABSENT = "000000"


class VerifyError(Exception):
    """The change set could not be read (missing refs, shallow history, ...)."""


@dataclass(frozen=True)
class Revisions:
    """Object-name prefixes for the two sides: "<commit>:" or ":" (the index)."""

    old: str
    new: str


def _settings_from(pyproject: bytes | None) -> Settings:
    if pyproject is None:
        return Settings()
    try:
        return settings_from_toml(pyproject.decode("utf-8"))
    except ValueError:  # tomllib.TOMLDecodeError, UnicodeDecodeError
        return Settings()


def _parse_new(change: FileChange) -> ParsedModelFile | ModelFileError | None:
    """The new side as a model file; the error when its header reads but the rest
    does not; None when it is no candidate (deleted, not .py, oversized: those are
    refused by the rules already, and a 5 MB file is never parsed)."""
    new = change.new
    if (
        new is None
        or not change.path.endswith(".py")
        or len(new.data) > MAX_MODEL_FILE_BYTES
        or _header(new) is None
    ):
        return None
    try:
        # MODEL_CONFIG is all the registry needs; SCHEMA is left to `check`.
        return parse_model_file(change.path, new.data, with_schema=False)
    except ModelFileError as exc:
        return exc


def _header(state: FileState | None) -> Header | None:
    if state is None:
        return None
    try:
        return read_header(state.data)[0]
    except HeaderError:
        return None


def _locked_by_header(state: FileState | None) -> bool:
    header = _header(state)
    return header is not None and header.locked


def _unreadable(
    parsed: dict[str, ParsedModelFile | ModelFileError | None],
    found: list[Violation],
) -> list[Violation]:
    """New model files whose header reads but whose body does not (no literals,
    not UTF-8, not Python): they would slip past the derived-file rule."""
    reported = {v.path for v in found}  # already refused for a plainer reason
    return [
        Violation(
            path,
            "not-a-model-file",
            f"{result}; model files are made with python -m generator new",
        )
        for path, result in parsed.items()
        if isinstance(result, ModelFileError) and path not in reported
    ]


def evaluate(
    repo: Path,
    raw: list[git.RawChange],
    revisions: Revisions,
    context: Context | None = None,
) -> list[Violation]:
    """Every violation of a change set."""
    context = context or Context()
    model_changes = [c for c in raw if c.path.startswith(MODELS_PREFIX)]
    oids = {
        oid
        for c in model_changes
        for oid in (c.old_oid, c.new_oid)
        if oid != git.ZERO_OID
    }
    names = [
        f"{side}{path}"
        for side in (revisions.old, revisions.new)
        for path in (*_DERIVED, _PYPROJECT)
    ]
    names.append(f"{revisions.new}{ATTRIBUTES_PATH}")
    blobs = git.read_objects(repo, [*sorted(oids), *names])
    violations = path_violations(
        [PathChange(c.path, c.old_mode, c.new_mode) for c in raw],
        # the base's allowlist; parsed only if a new top-level name shows up
        allowed_top_level=lambda: (
            _settings_from(blobs.get(f"{revisions.old}{_PYPROJECT}")).top_level_python
        ),
        attributes_text=blobs.get(f"{revisions.new}{ATTRIBUTES_PATH}"),
        base=context.base,
    )

    def state(mode: str, oid: str) -> FileState | None:
        if mode == _ABSENT:
            return None
        return FileState(mode, blobs.get(oid) or b"")

    changes = [
        FileChange(c.path, state(c.old_mode, c.old_oid), state(c.new_mode, c.new_oid))
        for c in model_changes
    ]
    model_violations = check_changes(changes, context)
    parsed = {c.path: _parse_new(c) for c in changes}
    model_violations += _unreadable(parsed, model_violations)
    violations += model_violations
    new_models = {
        path: result if isinstance(result, ParsedModelFile) else None
        for path, result in parsed.items()
    }
    pyproject_changed = any(c.path == _PYPROJECT for c in raw)
    if model_changes or pyproject_changed or any(c.path in _DERIVED for c in raw):
        base_codeowners = _text(blobs.get(f"{revisions.old}{CODEOWNERS_PATH}"))
        settings = (
            None if pyproject_changed else settings_in(base_codeowners or "")
        ) or _settings_from(blobs.get(f"{revisions.new}{_PYPROJECT}"))
        expected, clashes = _expected_derived(
            repo,
            changes,
            new_models=new_models,
            revisions=revisions,
            blobs=blobs,
            settings=settings,
        )
        violations += clashes
        actual = {p: _text(blobs.get(f"{revisions.new}{p}")) for p in _DERIVED}
        edited = frozenset(c.path for c in raw if c.path in _DERIVED)
        violations += derived_violations(expected, actual, edited)
    return violations


def _text(data: bytes | None) -> str | None:
    return None if data is None else data.decode("utf-8", "replace")


def _expected_derived(
    repo: Path,
    changes: list[FileChange],
    *,
    new_models: dict[str, ParsedModelFile | None],
    revisions: Revisions,
    blobs: dict[str, bytes | None],
    settings: Settings,
) -> tuple[dict[str, str], list[Violation]]:
    base_registry = parse_registry_text(
        _text(blobs.get(f"{revisions.old}{REGISTRY_PATH}")) or ""
    )
    base_codeowners = _text(blobs.get(f"{revisions.old}{CODEOWNERS_PATH}"))
    if base_registry is None or base_codeowners is None:
        return _full_derivation(repo, revisions.new, settings)
    deltas = [ModelDelta(_header(c.old), new_models[c.path]) for c in changes]
    patched, clashes = patch_registry(base_registry, deltas)
    locked = {c.path: _locked_by_header(c.new) for c in changes}
    return {
        REGISTRY_PATH: assemble_registry(patched.blocks, patched.record_lines),
        CODEOWNERS_PATH: expected_codeowners(
            locked_paths_in(base_codeowners), locked, settings
        ),
    }, clashes


def _full_derivation(
    repo: Path, new: str, settings: Settings
) -> tuple[dict[str, str], list[Violation]]:
    """Every model file at `new`, read in one batch (slow path: no usable base)."""
    # Imported here: the usual path (a base registry to patch) never needs them.
    from generator.catalog import build_catalog  # noqa: PLC0415
    from generator.repo import CatalogFiles  # noqa: PLC0415

    if new == git.INDEX:
        listing = git.git(repo, "ls-files", "-z", "--", MODELS_PREFIX)
    else:
        tree = new.rstrip(":")
        listing = git.git(
            repo, "ls-tree", "-r", "-z", "--name-only", tree, "--", MODELS_PREFIX
        )
    paths = [p for p in listing.decode("utf-8", "surrogateescape").split("\0") if p]
    contents = git.read_objects(repo, [f"{new}{p}" for p in paths])
    files = CatalogFiles(
        model_files={
            p: data
            for p in paths
            if p.endswith(".py") and (data := contents[f"{new}{p}"]) is not None
        }
    )
    catalog = build_catalog(files)
    empty = RegistryText({}, {}, {})
    _, clashes = patch_registry(empty, [ModelDelta(None, m) for m in catalog.models])
    return catalog.derived_files(settings), clashes


def verify_range(repo: Path, base: str, head: str = "HEAD") -> list[Violation]:
    """Violations of everything `head` adds on top of its merge base with `base`."""
    head_id, base_id, merge_base, shallow = git.resolve_range(repo, head, base)
    hint = (
        " This clone is shallow: fetch the full history (actions/checkout with "
        "fetch-depth: 0, or git fetch --unshallow)."
        if shallow
        else ""
    )
    if head_id is None:
        raise VerifyError(f"head {head!r} is not a commit here.{hint}")
    if base_id is None:
        raise VerifyError(
            f"base {base!r} is not a commit here; fetch it (git fetch origin "
            f"{base}).{hint}"
        )
    if merge_base is None:
        raise VerifyError(
            f"{base} and {head} share no history, so the change cannot be "
            f"isolated.{hint or ' Are they from the same repository?'}"
        )
    raw = git.diff_trees(repo, merge_base, head_id)
    return evaluate(
        repo,
        raw,
        Revisions(f"{merge_base}:", f"{head_id}:"),
        Context(base=base),
    )


def verify_staged(repo: Path) -> list[Violation]:
    """Violations of the staged change (index against HEAD, or against nothing
    before the first commit)."""
    old = git.head_or_empty_tree(repo)
    raw = git.diff_index(repo, old)
    first = old == git.EMPTY_TREE
    old_prefix = f"{old}:" if not first else "EMPTY:"
    return evaluate(
        repo, raw, Revisions(old_prefix, git.INDEX), Context("HEAD", bootstrap=first)
    )
