"""Import paths ``"package.module:attribute"``, accepted wherever decopt takes the name of an
algorithm (``decopt.run``, ``[[algorithm]] name``, ``--algorithm``) or of a problem factory
(``[problem] name``)."""

from __future__ import annotations

import importlib

__all__ = ["is_import_path", "load_object"]


def is_import_path(name) -> bool:
    """Whether ``name`` looks like ``"module:attribute"`` (not a registered name)."""
    return isinstance(name, str) and ":" in name


def load_object(path: str, what: str = "object"):
    """The object at ``"package.module:attribute"`` (the attribute may be dotted).

    Raises
    ------
    ValueError
        Naming the module that could not be imported, or the attribute the module lacks.
    """
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name.strip() or not attr.strip():
        raise ValueError(f"{what} import path {path!r} must look like "
                         f"'package.module:Name'")
    try:
        obj = importlib.import_module(module_name.strip())
    except ImportError as e:
        raise ValueError(f"{what} import path {path!r}: cannot import module "
                         f"{module_name.strip()!r} ({e}); is it on sys.path / PYTHONPATH?"
                         ) from None
    done = module_name.strip()
    for part in attr.strip().split("."):
        if not hasattr(obj, part):
            raise ValueError(f"{what} import path {path!r}: module {done!r} has no "
                             f"attribute {part!r}")
        obj = getattr(obj, part)
        done += ("." if ":" in done else ":") + part
    return obj
