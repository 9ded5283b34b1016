"""Sphinx configuration of the pynn_bss2 documentation.

The pages are Markdown (MyST); the API reference is generated from the numpydoc
docstrings (autodoc + napoleon). The gallery's pictures and printed outputs are made
by running the examples at their reduced size, before Sphinx runs::

    python docs/build_gallery.py                  # -> build/docs/gallery/
    python -m sphinx -W --keep-going docs build/docs/html

(``make docs`` does both.) Warnings are errors.
"""
from importlib.metadata import version as _version

project = "pynn_bss2"
author = "the pynn_bss2 developers"
copyright = "the pynn_bss2 developers; CeCILL-2.1"
release = version = _version("pynn_bss2")

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

# Markdown: ``#heading`` links to sections, ```{directive}`` blocks, $math$
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3

# API reference: numpydoc docstrings, members in source order, type hints in the text
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

html_theme = "furo"
html_title = "pynn_bss2"
