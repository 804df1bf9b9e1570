"""Durable outputs: copy a generation's outputs from the provider's (expiring)
URLs to an output store, streamed, capped and hashed.

    from modelvault.outputs import copy_outputs, open_output_store

    store = open_output_store()  # MODELVAULT_OUTPUTS, else the user data folder
    stored = copy_outputs(generation.id, generation.outputs, store)
    [s.to_dict() for s in stored]  # url, location, sha256, content_type, bytes

Only http(s) URLs are fetched, redirects only to http(s), and only public
addresses unless `FetchPolicy(allow_private=True)`: an output URL is
provider-controlled input. Failures raise `OutputCopyError` (`.reason`,
`.retryable`) and leave nothing at the key.
"""

from __future__ import annotations

from modelvault._outputs_copy import copy_output, copy_outputs, extension
from modelvault._outputs_guard import Resolver, classify, system_resolver
from modelvault._outputs_local import LocalOutputStore
from modelvault._outputs_model import FetchPolicy, OutputStore, StoredOutput
from modelvault._outputs_open import (
    OUTPUTS_ENV,
    default_outputs_folder,
    open_output_store,
)
from modelvault._outputs_s3 import ENDPOINT_ENV, S3OutputStore
from modelvault.errors import OutputCopyError, OutputStoreConfigError

__all__ = [
    "ENDPOINT_ENV",
    "OUTPUTS_ENV",
    "FetchPolicy",
    "LocalOutputStore",
    "OutputCopyError",
    "OutputStore",
    "OutputStoreConfigError",
    "Resolver",
    "S3OutputStore",
    "StoredOutput",
    "classify",
    "copy_output",
    "copy_outputs",
    "default_outputs_folder",
    "extension",
    "open_output_store",
    "system_resolver",
]
