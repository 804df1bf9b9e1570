"""Durable outputs: copy a generation's outputs from the provider's (expiring)
URLs to an output store, streamed, capped and hashed.

    from modelvault.outputs import copy_outputs, open_output_store

    store = open_output_store()  # MODELVAULT_OUTPUTS, else the user data folder
    stored = copy_outputs(generation.id, generation.outputs, store)
    [s.to_dict() for s in stored]  # url, location, sha256, content_type, bytes

For generation records (what `run`, workers and the webhook receiver use):
`Outputs(store, policy)`, `copy_generation(gen_store, record, outputs)`,
`copy_pending(gen_store, outputs)` (one worker pass) and `copier(gen_store,
outputs)` (the receiver's `on_finished`).

Only http(s) URLs are fetched, redirects only to http(s), and only public
addresses unless `FetchPolicy(allow_private=True)`: an output URL is
provider-controlled input. Failures raise `OutputCopyError` (`.reason`,
`.retryable`) and leave nothing at the key.
"""

from __future__ import annotations

from modelvault._durable import (
    ALLOW_PRIVATE_ENV,
    Outputs,
    copier,
    copy_generation,
    copy_pending,
    outputs_from,
)
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
    "ALLOW_PRIVATE_ENV",
    "ENDPOINT_ENV",
    "OUTPUTS_ENV",
    "FetchPolicy",
    "LocalOutputStore",
    "OutputCopyError",
    "OutputStore",
    "OutputStoreConfigError",
    "Outputs",
    "Resolver",
    "S3OutputStore",
    "StoredOutput",
    "classify",
    "copier",
    "copy_generation",
    "copy_output",
    "copy_outputs",
    "copy_pending",
    "default_outputs_folder",
    "extension",
    "open_output_store",
    "outputs_from",
    "system_resolver",
]
