"""`python -m generator`: a thin click layer over the generator's library.

Subcommands are imported on first use, so `verify` and `hook` (run on every
commit and PR) do not pay for pydantic and jinja2, which only the catalog
commands need.
"""

from __future__ import annotations

import importlib

import click

_COMMANDS = {
    "new": "generator.cli_catalog:new",
    "regenerate": "generator.cli_catalog:regenerate",
    "lock": "generator.cli_stamps:lock",
    "unlock": "generator.cli_stamps:unlock",
    "sync": "generator.cli_catalog:sync",
    "spec": "generator.cli_catalog:spec_command",
    "check": "generator.cli_catalog:check",
    "form-spec": "generator.cli_catalog:form_spec",
    "verify": "generator.cli_locks:verify",
    "hook": "generator.cli_locks:hook",
    "import": "generator.cli_schemas:import_command",
    "drift": "generator.cli_schemas:drift",
    "drift-issues": "generator.cli_schemas:drift_issues",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Generate and check modelvault model files, registry.py and CODEOWNERS."""
