"""open_output_store: the one place an output location becomes an output store.

The location is MODELVAULT_OUTPUTS (or an explicit argument): a folder path,
or `s3://bucket/prefix` for S3-compatible storage (the `s3` extra). Without
either, a folder in the user data directory, beside the default SQLite store.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from modelvault._outputs_local import LocalOutputStore
from modelvault._outputs_model import OutputStore, display_url
from modelvault.errors import OutputStoreConfigError

OUTPUTS_ENV = "MODELVAULT_OUTPUTS"
_URL_LIKE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def default_outputs_folder() -> Path:
    import platformdirs  # noqa: PLC0415 - only when the default is used

    return Path(platformdirs.user_data_dir("modelvault")) / "outputs"


def open_output_store(spec: str | None = None) -> OutputStore:
    """The output store `spec` names (None: MODELVAULT_OUTPUTS, else the user
    data folder); OutputStoreConfigError with the fix for anything else."""
    source = "the output store location"
    if spec is None:
        spec = os.environ.get(OUTPUTS_ENV) or None
        source = OUTPUTS_ENV
    if spec is None:
        return LocalOutputStore(default_outputs_folder())
    text = spec.strip()
    fix = "use a folder path (e.g. /srv/modelvault/outputs) or s3://bucket/prefix"
    if not text:
        raise OutputStoreConfigError(f"{source} is empty: {fix}")
    if text.lower().startswith("s3://"):
        from modelvault._outputs_s3 import S3OutputStore  # noqa: PLC0415

        return S3OutputStore("s3://" + text[5:])
    if _URL_LIKE.match(text):
        raise OutputStoreConfigError(
            f"{source} {display_url(text)} is neither a folder nor an s3:// URL: "
            f"{fix} (for a file:// URL, write the folder path itself)"
        )
    return LocalOutputStore(Path(text))
