"""Repository tooling: specs -> model files, registry.py and CODEOWNERS; checks."""

__version__ = "0.1.0"
