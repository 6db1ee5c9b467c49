"""The package version, in a module of its own so the formats can stamp files without importing
the application layer."""

__version__ = "0.1.0"
