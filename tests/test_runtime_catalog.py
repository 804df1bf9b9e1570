"""The runtime's view of the catalog: listing from registry.py alone, loading one
model file after checking it, and clear errors when the catalog is damaged."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from modelvault import CatalogError, UnknownModelError
from modelvault._catalog import Catalog
from modelvault.cli import main as modelvault_cli

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def catalog_copy(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "models", tmp_path / "models")
    shutil.copy2(REPO / "registry.py", tmp_path / "registry.py")
    return tmp_path


def _run_python(code: str, catalog: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MODELVAULT_CATALOG": str(catalog)}
    return subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        env=env,
    )


def test_listing_imports_no_model_file_and_no_http_stack(catalog_copy: Path) -> None:
    result = _run_python(
        "import sys, modelvault\n"
        "models = modelvault.list_models()\n"
        "print(len(models))\n"
        "print(sorted(m for m in sys.modules if m.startswith('modelvault.models')))\n"
        "print('httpx' in sys.modules, 'pydantic' in sys.modules)\n",
        catalog_copy,
    )
    assert result.returncode == 0, result.stderr
    count, loaded, heavy = result.stdout.splitlines()
    assert int(count) == len(list((catalog_copy / "models").glob("*/*.py")))
    assert loaded == "[]"
    assert heavy == "False False"


def test_get_imports_exactly_one_model_file(catalog_copy: Path) -> None:
    result = _run_python(
        "import sys, modelvault\n"
        "module = modelvault.get('google-veo-3-1-fast')\n"
        "print(module.MODEL_CONFIG['id'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('modelvault.models')))\n",
        catalog_copy,
    )
    assert result.returncode == 0, result.stderr
    model_id, loaded = result.stdout.splitlines()
    assert model_id == "google-veo-3-1-fast"
    assert loaded == "['modelvault.models.prompt_to_video.google_veo_3_1_fast']"


def test_lookup_by_record_id(catalog_copy: Path) -> None:
    catalog = Catalog(catalog_copy)
    info = catalog.resolve("google-veo-3-1-fast")
    assert catalog.resolve(info.record_id) == info


def test_unknown_id_names_the_closest_ids(catalog_copy: Path) -> None:
    with pytest.raises(UnknownModelError) as excinfo:
        Catalog(catalog_copy).resolve("google-veo-3-1-fst")
    assert "google-veo-3-1-fast" in excinfo.value.closest
    assert "did you mean" in str(excinfo.value)


def test_missing_model_file_is_a_clear_error(catalog_copy: Path) -> None:
    (catalog_copy / "models/prompt_to_video/google_veo_3_1_fast.py").unlink()
    with pytest.raises(CatalogError) as excinfo:
        Catalog(catalog_copy).load_model("google-veo-3-1-fast")
    message = str(excinfo.value)
    assert "google-veo-3-1-fast" in message
    assert "models/prompt_to_video/google_veo_3_1_fast.py" in message
    assert "missing" in message


def test_tampered_locked_file_is_refused_before_it_runs(catalog_copy: Path) -> None:
    path = catalog_copy / "models/prompt_to_video/google_veo_3_1_fast.py"
    marker = catalog_copy / "executed"
    path.write_bytes(
        path.read_bytes() + f"\nopen({str(marker)!r}, 'w').close()\n".encode()
    )
    with pytest.raises(CatalogError) as excinfo:
        Catalog(catalog_copy).load_model("google-veo-3-1-fast")
    assert "locked" in str(excinfo.value)
    assert not marker.exists()


def test_missing_registry_says_how_to_point_at_one(tmp_path: Path) -> None:
    with pytest.raises(CatalogError) as excinfo:
        Catalog(tmp_path)
    assert "MODELVAULT_CATALOG" in str(excinfo.value)


def test_cli_list_table_and_json(catalog_copy: Path) -> None:
    runner = CliRunner()
    env = {"MODELVAULT_CATALOG": str(catalog_copy)}
    # The catalog is cached per root; a fresh root per test keeps runs independent.
    table = runner.invoke(modelvault_cli, ["list"], env=env)
    assert table.exit_code == 0, table.output
    assert "google-veo-3-1-fast" in table.output
    count = len(list((catalog_copy / "models").glob("*/*.py")))
    assert f"{count} model(s)" in table.output
    listed = runner.invoke(
        modelvault_cli, ["list", "--group", "prompt_to_audio", "--json"], env=env
    )
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert rows and {row["group"] for row in rows} == {"prompt_to_audio"}
    assert all(isinstance(row["base_cost"], str) for row in rows)


def test_cli_list_rejects_unknown_group(catalog_copy: Path) -> None:
    result = CliRunner().invoke(
        modelvault_cli,
        ["list", "--group", "nope"],
        env={"MODELVAULT_CATALOG": str(catalog_copy)},
    )
    assert result.exit_code == 2
    assert "nope" in result.output
