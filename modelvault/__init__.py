"""modelvault: run AI generation models from a reviewed, Git-native catalog."""

__version__ = "0.1.0"
