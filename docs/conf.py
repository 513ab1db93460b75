"""Sphinx configuration of the decopt documentation.

Build (warnings are errors, as in CI):  python -m sphinx -W -b html docs docs/_build/html
"""

import os
import sys
import warnings

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)

import decopt  # noqa: E402

# numpydoc also parses the docstrings for signatures, before _algorithm_sections below
# has turned their PEPit-style "Algorithm" heading into a rubric; its warnings about
# that heading are noise (the rendered pages keep the section).
warnings.filterwarnings("ignore", message=r"Unknown section Algorithm")
warnings.filterwarnings("ignore", message=r"potentially wrong underline length")

project = "decopt"
author = "the decopt developers"
copyright = "the decopt developers"
release = version = decopt.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
]

autosummary_generate = True
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()

templates_path = []
exclude_patterns = ["_build", "generated/*.py", "tutorials/*.py", "Thumbs.db", ".DS_Store"]
html_theme = "alabaster"
html_theme_options = {"description": "Decentralised optimisation over directed graphs",
                      "page_width": "1100px"}
html_static_path = []
nitpicky = False


def _algorithm_sections(app, what, name, obj, options, lines):
    """Render the PEPit-style ``Algorithm`` section of the algorithms' docstrings (a
    heading underlined with dashes followed by the recursion, one update per line; not a
    numpydoc section) as a rubric and a literal block, before numpydoc parses the
    docstring. The source docstrings stay as they are, readable in ``help()``."""
    out, i = [], 0
    while i < len(lines):
        head = lines[i].strip()
        under = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if head.startswith("Algorithm") and under and set(under) == {"-"}:
            out += [f".. rubric:: {head}", "", "::", ""]
            i += 2
            while i < len(lines) and lines[i].strip():
                out.append("    " + lines[i])
                i += 1
            continue
        out.append(lines[i])
        i += 1
    lines[:] = out


def setup(app):
    # before numpydoc's own handler (priority 500)
    app.connect("autodoc-process-docstring", _algorithm_sections, priority=100)
