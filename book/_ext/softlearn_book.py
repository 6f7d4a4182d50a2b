"""Sphinx extension for the book: a self-contained build, and a footer that dates it.

* MathJax comes from the ``django-static-mathjax`` wheel (MathJax 3, no
  dependencies; the import name is ``mathjax``) and is copied into
  ``_static/mathjax``, so formulas render with no network and no reader's
  visit reaches a CDN.  ``mathjax_path`` in ``_config.yml`` points at it.
* The footer names the softlearn version the notebooks ran with and the date
  of the build (``SOURCE_DATE_EPOCH`` if set, for a reproducible build).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import mathjax
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util.fileutil import copy_asset

import softlearn

# The whole es5 folder: MathJax loads its fonts and TeX extensions on demand
# from beside the script.
MATHJAX = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"


def build_date() -> dt.date:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    now = (
        dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
        if epoch
        else dt.datetime.now(dt.timezone.utc)
    )
    return now.date()


def footer() -> str:
    return f"softlearn {softlearn.__version__} · built {build_date().isoformat()}"


def _add_footer(app: Sphinx, config: Config) -> None:
    options = dict(config.html_theme_options or {})
    extra = options.get("extra_footer", "")
    options["extra_footer"] = f'{extra}<p class="softlearn-build">{footer()}</p>'
    config.html_theme_options = options


def _copy_mathjax(app: Sphinx, exc: Exception | None) -> None:
    if exc is None and app.builder.format == "html":
        if not (MATHJAX / "tex-chtml.js").is_file():
            raise FileNotFoundError(f"MathJax is missing from {MATHJAX}")
        copy_asset(str(MATHJAX), str(Path(app.outdir) / "_static" / "mathjax"))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", _add_footer)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
