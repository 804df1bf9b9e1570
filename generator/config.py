"""Project settings from pyproject.toml's [tool.modelvault] table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from modelvault._modelfile import validate_handle

DEFAULT_REVIEWERS = "@modelvault/model-reviewers"
DEFAULT_MAINTAINERS = "@modelvault/maintainers"
# Top-level import names a source checkout may have (verify refuses new others).
DEFAULT_TOP_LEVEL_PYTHON = (
    "bench",
    "generator",
    "models",
    "modelvault",
    "registry",
    "tests",
)


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    reviewers: str = DEFAULT_REVIEWERS
    maintainers: str = DEFAULT_MAINTAINERS
    top_level_python: tuple[str, ...] = DEFAULT_TOP_LEVEL_PYTHON


def settings_from_toml(text: str) -> Settings:
    """The [tool.modelvault] settings in pyproject.toml text (unvalidated).
    Raises tomllib.TOMLDecodeError (a ValueError) for text that is not TOML."""
    import tomllib  # noqa: PLC0415  (verify mostly reads settings from CODEOWNERS)

    section = tomllib.loads(text).get("tool", {}).get("modelvault", {})
    names = section.get("top-level-python", DEFAULT_TOP_LEVEL_PYTHON)
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        names = DEFAULT_TOP_LEVEL_PYTHON
    return Settings(
        reviewers=section.get("reviewers", DEFAULT_REVIEWERS),
        maintainers=section.get("maintainers", DEFAULT_MAINTAINERS),
        top_level_python=tuple(names),
    )


def load_settings(root: Path) -> Settings:
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return Settings()
    try:
        settings = settings_from_toml(pyproject.read_text("utf-8"))
    except ValueError as exc:  # tomllib.TOMLDecodeError
        raise ConfigError(f"{pyproject}: not valid TOML: {exc}") from None
    for key in ("reviewers", "maintainers"):
        try:
            validate_handle(getattr(settings, key))
        except ValueError as exc:
            raise ConfigError(f"{pyproject}: [tool.modelvault] {key}: {exc}") from None
    return settings
