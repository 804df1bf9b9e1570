"""The provider-schema commands: import, drift, drift-issues."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import click

from generator.drift import (
    ACCEPTED_PATH,
    COMPARED_FAMILIES,
    Accepted,
    ModelDrift,
    accept,
    catalog_models,
    check_model,
    drift_report,
    exit_status,
    parse_accepted,
    render_accepted,
    schema_file_name,
)
from generator.importer import (
    SchemaImportError,
    draft_spec,
    load_document,
    parse_target,
)
from generator.schema_fetch import (
    FAL_BASE_ENV,
    REPLICATE_BASE_ENV,
    FetchError,
    SchemaFetcher,
)

_root_option = click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Repository root (default: found from the current folder).",
)


def _read_file(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise click.ClickException(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise click.ClickException(f"{path}: a folder, not a {what}") from None
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot read it ({exc.strerror})") from None


# --- import ------------------------------------------------------------------------


@click.command(name="import")
@click.argument("target", metavar="fal:ENDPOINT_ID | replicate:OWNER/NAME")
@click.option(
    "--schema",
    "schema_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read the schema from this file instead of fetching it (fal's OpenAPI "
    "document; Replicate's openapi_schema, a version or a model object).",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the draft spec here (default: standard output).",
)
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["yaml", "json"]),
    default="yaml",
    show_default=True,
)
@click.option(
    "--api-base",
    help="The provider API's base URL when fetching (default https://fal.ai or "
    f"https://api.replicate.com; also ${FAL_BASE_ENV} / ${REPLICATE_BASE_ENV}).",
)
def import_command(
    *,
    target: str,
    schema_path: Path | None,
    out_path: Path | None,
    force: bool,
    fmt: str,
    api_base: str | None,
) -> None:
    """Draft a spec from a provider's published input schema.

    fal: the endpoint's OpenAPI document
    (https://fal.ai/api/openapi/queue/openapi.json?endpoint_id=ID); Replicate: the
    model's latest version openapi_schema (GET /v1/models/OWNER/NAME, with
    $REPLICATE_API_TOKEN). The draft lists in `gaps` what a schema cannot tell
    (name, group, cost, estimated_seconds, and any input it could not express);
    `new` refuses it until each is filled in and removed from gaps.
    """
    if out_path is not None and out_path.exists() and not force:
        raise click.ClickException(
            f"{out_path} exists; pass --force to overwrite it, or another --out"
        )
    try:
        parsed = parse_target(target)
        if schema_path is not None:
            data, source = _read_file(schema_path, "schema file"), str(schema_path)
        else:
            base = (
                {"fal_base": api_base}
                if parsed.provider == "fal"
                else {"replicate_base": api_base}
            )
            with SchemaFetcher.from_env(os.environ, **base) as fetcher:
                data, source = fetcher.fetch(parsed.family, parsed.model)
        spec = draft_spec(parsed, load_document(data, source), source)
    except (SchemaImportError, FetchError) as exc:
        raise click.ClickException(str(exc)) from None
    text = _render_draft(spec, fmt, str(parsed))
    if out_path is None:
        click.echo(text, nl=False)
        return
    try:
        out_path.write_text(text, "utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {out_path}: {exc.strerror}") from None
    gaps = ", ".join(spec["gaps"])
    click.echo(
        f"wrote {out_path}: draft spec {spec['id']} with {len(spec['inputs'])} "
        f"input(s); fill in {gaps} (then remove them from gaps) and run "
        f"`python -m generator new --spec {out_path}`"
    )


def _render_draft(spec: dict[str, Any], fmt: str, target: str) -> str:
    if fmt == "json":
        return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"
    import yaml  # noqa: PLC0415

    head = (
        f"# Draft spec imported from {target}. Fill in every entry of `gaps`\n"
        "# (placeholders below), remove it from gaps, then:\n"
        "#   python -m generator new --spec THIS_FILE\n"
    )
    return head + yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=88)


# --- drift -------------------------------------------------------------------------

_DRIFT_HELP = f"""Compare every model's inputs with its provider's current schema.

Models are matched to provider fields by provider field name; each difference is
added, removed or changed (type, enum, default, minimum/maximum, required, ...).
Only {" and ".join(COMPARED_FAMILIES)} publish per-model schemas; models of other
families are listed as skipped.

Schemas come from --schema-dir DIR, as DIR/<family>/<provider model with "/" as
"__">.json (e.g. DIR/fal_queue/fal-ai__flux__schnell.json,
DIR/replicate/black-forest-labs__flux-schnell.json), or else are fetched (fal:
public; Replicate: $REPLICATE_API_TOKEN).

Differences recorded with --accept (in {ACCEPTED_PATH}, with both sides' values)
are shown as accepted and are not drift until either side changes.

\b
Exit status:
  0  every model compared, no drift
  1  drift in at least one model
  2  some models could not be checked (missing or malformed schema, fetch
     failed): each is named with the reason; the others were checked
  3  both drift and models that could not be checked
"""


@click.command(name="drift", help=_DRIFT_HELP)
@click.option(
    "--schema-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Read schemas from this folder instead of fetching them.",
)
@click.option("--json", "as_json", is_flag=True, help="A JSON report on stdout.")
@click.option("--model", "only", multiple=True, help="Only this model id (repeatable).")
@click.option(
    "--accept",
    "accept_ids",
    multiple=True,
    metavar="MODEL",
    help=f"Record MODEL's current differences as deliberate ({ACCEPTED_PATH}).",
)
@click.option("--reason", help="Why, for --accept (one line).")
@click.option(
    "--accepted",
    "accepted_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"The accepted-differences file (default: ROOT/{ACCEPTED_PATH}).",
)
@click.option("--fal-api-base", envvar=FAL_BASE_ENV, help="fal's base URL.")
@click.option(
    "--replicate-api-base", envvar=REPLICATE_BASE_ENV, help="Replicate's API base URL."
)
@click.option("--jobs", default=8, show_default=True, help="Fetches at once.")
@_root_option
def drift(
    *,
    schema_dir: Path | None,
    as_json: bool,
    only: tuple[str, ...],
    accept_ids: tuple[str, ...],
    reason: str | None,
    accepted_path: Path | None,
    fal_api_base: str | None,
    replicate_api_base: str | None,
    jobs: int,
    root: Path | None,
) -> None:
    from generator.catalog import build_catalog  # noqa: PLC0415
    from generator.repo import find_root, read_catalog  # noqa: PLC0415

    if accept_ids and not (reason and reason.strip() and "\n" not in reason):
        raise click.UsageError("--accept needs --reason 'one line: why'")
    try:
        where = root.resolve() if root else find_root()
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    accepted_file = accepted_path or where / ACCEPTED_PATH
    accepted = _load_accepted(accepted_file)
    catalog = build_catalog(read_catalog(where))
    models, broken = catalog_models(catalog.models)
    broken += [_unreadable(f.path, f.message) for f in catalog.unreadable]
    wanted = set(only) | set(accept_ids)
    if wanted:
        known = {m.id for m in models} | {b.id for b in broken}
        unknown = sorted(wanted - known)
        if unknown:
            raise click.ClickException(f"no model {', '.join(unknown)} in models/")
        models = [m for m in models if m.id in wanted]
        broken = [b for b in broken if b.id in wanted]
    if schema_dir is not None:
        source = str(schema_dir)
        results = [check_model(m, _dir_loader(schema_dir), accepted) for m in models]
    else:
        source = "fetched from the providers"
        try:
            fetcher = SchemaFetcher.from_env(
                os.environ, fal_base=fal_api_base, replicate_base=replicate_api_base
            )
        except FetchError as exc:
            raise click.ClickException(str(exc)) from None
        with fetcher, ThreadPoolExecutor(max(1, jobs)) as pool:
            results = list(
                pool.map(lambda m: check_model(m, fetcher.fetch, accepted), models)
            )
    results = sorted([*results, *broken], key=lambda r: r.id)
    if accept_ids:
        _accept(accepted_file, accepted, results, accept_ids, str(reason))
        return
    if as_json:  # the report on stdout; the summary for people on stderr
        click.echo(
            json.dumps(drift_report(results, source), indent=2, ensure_ascii=False)
        )
    _print_text(results, source, details=not as_json)
    sys.exit(exit_status(results))


def _load_accepted(path: Path) -> list[Accepted]:
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from None
    try:
        return parse_accepted(json.loads(text), str(path))
    except json.JSONDecodeError as exc:
        raise click.ClickException(
            f"{path}: not JSON ({exc.msg}, line {exc.lineno}); fix it or delete it "
            "and accept again"
        ) from None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


def _unreadable(path: str, message: str) -> ModelDrift:
    stem = Path(path).stem.replace("_", "-").lower() or "unreadable"
    return ModelDrift(
        id=stem,
        path=path,
        provider="?",
        provider_model="?",
        locked=False,
        status="error",
        error=message,
    )


def _dir_loader(folder: Path) -> Any:
    def load(family: str, provider_model: str) -> tuple[bytes, str]:
        path = folder / schema_file_name(family, provider_model)
        try:
            return path.read_bytes(), str(path)
        except FileNotFoundError:
            raise LookupError(
                f"no schema file {path} (naming: DIR/<family>/<provider model with "
                "'/' as '__'>.json); store the provider's document there"
            ) from None
        except OSError as exc:
            raise LookupError(f"cannot read {path}: {exc.strerror}") from None

    return load


def _accept(
    path: Path,
    entries: list[Accepted],
    results: Sequence[ModelDrift],
    ids: Sequence[str],
    reason: str,
) -> None:
    for result in results:
        if result.id not in ids:
            continue
        if result.status in ("error", "skipped"):
            raise click.ClickException(
                f"{result.id} could not be compared ({result.error}); nothing accepted"
            )
        entries = accept(entries, result, reason)
        click.echo(
            f"{result.id}: {len(result.differences)} difference(s) recorded as accepted"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_accepted(entries), "utf-8")
    click.echo(f"wrote {path}: commit it in a pull request (reviewers decide)")


def _print_text(results: Sequence[ModelDrift], source: str, *, details: bool) -> None:
    compared = [r for r in results if r.status in ("ok", "drift")]
    drifted = [r for r in results if r.status == "drift"]
    errors = [r for r in results if r.status == "error"]
    skipped = [r for r in results if r.status == "skipped"]
    for r in drifted if details else []:
        state = "locked" if r.locked else "unlocked"
        diffs = r.open_differences
        breaking = sum(d.breaking for d in diffs)
        click.echo(
            f"{r.id} ({r.provider} {r.provider_model}, {state}): {len(diffs)} "
            f"difference(s), {breaking} breaking"
        )
        for d in diffs:
            click.echo(f"  {d.describe()}{'  [breaking]' if d.breaking else ''}")
    for r in errors:
        click.echo(f"error: {r.id}: {r.error}", err=True)
    accepted = sum(len(r.differences) - len(r.open_differences) for r in compared)
    stale = sum(r.stale_accepted for r in compared)
    families = sorted({r.provider for r in skipped})
    line = (
        f"drift: {len(compared)} model(s) compared with schemas {source}: "
        f"{len(drifted)} drifted, {len(errors)} could not be checked"
    )
    if accepted:
        line += f", {accepted} accepted difference(s) not counted"
    if skipped:
        line += f"; {len(skipped)} skipped ({', '.join(families)}: no published schema)"
    click.echo(line, err=not details)
    if stale:
        click.echo(
            f"note: {stale} accepted entr(ies) match nothing any more; "
            "`drift --accept MODEL` rewrites a model's entries",
            err=not details,
        )


# --- drift-issues --------------------------------------------------------------------


@click.command(name="drift-issues")
@click.argument("report_path", metavar="REPORT", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Say what would change; change nothing.")
def drift_issues(report_path: Path, dry_run: bool) -> None:
    """Open, update or close one issue per model from a `drift --json` REPORT.

    Uses GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_API_URL (as in Actions); the
    token needs `issues: write`. Same drift -> the same issue (found by its
    marker and title) updated only if its text changed; a model that compares
    clean again, or left the catalog, has its issue closed.
    """
    from generator.drift_issues import IssueClient, ReportError, sync  # noqa: PLC0415
    from generator.github import GitHubError, settings_from_env  # noqa: PLC0415

    raw = _read_file(report_path, "drift report")
    try:
        report = json.loads(raw)
    except ValueError:
        raise click.ClickException(
            f"{report_path}: not JSON; make it with `python -m generator drift --json`"
        ) from None
    try:
        with IssueClient(settings_from_env(os.environ)) as client:
            actions = sync(report, client, dry_run=dry_run, echo=click.echo)
    except (GitHubError, ReportError) as exc:
        raise click.ClickException(
            f"{report_path}: {exc}" if isinstance(exc, ReportError) else str(exc)
        ) from None
    done = [a for a in actions if a.kind != "keep"]
    click.echo(
        f"drift issues: {len(done)} change(s)"
        + (" (dry run: nothing changed)" if dry_run else "")
    )
