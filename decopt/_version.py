"""The package version (a leaf module, so that any module can import it without importing
the package ``__init__``)."""

__version__ = "0.1.0"
