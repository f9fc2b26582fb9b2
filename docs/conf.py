"""Sphinx configuration of the pandas-hier documentation.

Build with ``sphinx-build -W --keep-going -b html docs docs/_build/html`` (warnings are errors);
the ``docs`` extra installs what it needs. No network access: there is no intersphinx.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # document the working tree, installed or not

import pandas_hier  # noqa: E402

project = "pandas-hier"
author = "the pandas-hier authors"
copyright = "the pandas-hier authors"  # noqa: A001
release = pandas_hier.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# MyST: $...$ and $$...$$ maths, ::: fences, anchors for headings down to ###.
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# API reference: autosummary writes one page per object from the docstrings (numpydoc format).
autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"  # the numpydoc "Parameters" sections say it
autodoc_member_order = "groupwise"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()
# Examples sections are doctests in the test suite; here they render as code.
numpydoc_use_plots = False

# Every cross-reference must resolve (the build runs with -W). Names that live in other
# projects' documentation (no intersphinx: the build is offline) are not links.
nitpicky = False

html_theme = "pydata_sphinx_theme"
html_title = f"pandas-hier {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_static_path: list[str] = []
html_show_sourcelink = False


def _module_headings_to_rubrics(app, what, name, obj, options, lines):
    """Module docstrings' numpydoc headings ("Examples" underlined) would become sections, and
    every module's "Examples" section the same label: render them as rubrics, as numpydoc does
    for functions and classes."""
    if what != "module":
        return
    for i in range(len(lines) - 1):
        title, rule = lines[i].strip(), lines[i + 1].strip()
        if title and rule and set(rule) == {"-"} and len(rule) >= len(title):
            lines[i], lines[i + 1] = f".. rubric:: {title}", ""


def setup(app):
    app.connect("autodoc-process-docstring", _module_headings_to_rubrics, priority=400)
