"""Sphinx extension for the book: a self-contained build, and a footer that dates it.

* MathJax comes from the ``django-static-mathjax`` wheel (MathJax 3, no
  dependencies; the import name is ``mathjax``) and is copied into
  ``_static/mathjax``, so formulas render with no network and no reader's
  visit reaches a CDN.  ``mathjax_path`` in ``_config.yml`` points at it.
* The footer names the softlearn version the notebooks ran with and the date
  of the build (``SOURCE_DATE_EPOCH`` if set, for a reproducible build).
* ``static/softlearn.css`` keeps the figures transparent in dark mode.
* Every notebook page opens with a note that says how to run it locally.
* Launch buttons (Binder in JupyterLab, Colab) only for a real repository:
  the project has no public address, so the default build has none.  A build
  for a published copy names it, ``SOFTLEARN_REPOSITORY_URL=https://github.com/
  OWNER/REPO make book`` (and ``SOFTLEARN_REPOSITORY_BRANCH``, default
  ``main``); the services' own addresses are ``launch_buttons`` in
  ``_config.yml``.
* Two fixes that keep the browser console clean (``tests/test_browser.py``):
  the theme's colour mode starts as "auto" rather than "" (the
  pydata-sphinx-theme logs an error for ""), and an inline script that
  sphinx-thebe registers twice, which would declare a ``const`` twice, is
  written once.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

import mathjax
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util.fileutil import copy_asset

import softlearn

# The whole es5 folder: MathJax loads its fonts and TeX extensions on demand
# from beside the script.
MATHJAX = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
STATIC = Path(__file__).parent / "static"


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


# Colab opens notebooks from GitHub only, so that is the one host accepted.
REPOSITORY = re.compile(r"https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


def _launch_buttons(app: Sphinx, config: Config) -> None:
    options = dict(config.html_theme_options or {})
    url = os.environ.get("SOFTLEARN_REPOSITORY_URL", "").strip().removesuffix("/")
    if not url:
        options.pop("launch_buttons", None)
        options.pop("repository_url", None)
    elif not REPOSITORY.fullmatch(url):
        raise ValueError(
            f"SOFTLEARN_REPOSITORY_URL={url!r}: the launch buttons need a GitHub "
            "repository, https://github.com/OWNER/REPO"
        )
    else:
        branch = os.environ.get("SOFTLEARN_REPOSITORY_BRANCH", "").strip() or "main"
        options.update(repository_url=url, repository_branch=branch, path_to_docs="")
    config.html_theme_options = options


def _run_locally(app: Sphinx, doctree: nodes.document) -> None:
    source = Path(app.env.doc2path(app.env.docname))
    if source.suffix != ".ipynb":
        return
    relative = source.relative_to(app.srcdir).as_posix()
    note = nodes.note()
    note += nodes.paragraph(
        "",
        "",
        nodes.Text("To run this chapter yourself, run "),
        nodes.literal(text="make lab"),
        nodes.Text(
            " in a copy of the softlearn project. It installs the pinned packages "
            "into .venv on first use and opens JupyterLab on the book, where this "
            "notebook is "
        ),
        nodes.literal(text=relative),
        nodes.Text(
            ". The download button at the top of the page gives the notebook alone, "
            "for any Jupyter where softlearn is installed."
        ),
    )
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None or not section.children:
        doctree.insert(0, note)
    else:
        section.insert(1, note)  # right after the chapter's title


def _add_static(app: Sphinx, config: Config) -> None:
    config.html_static_path = [*config.html_static_path, str(STATIC)]


def _theme_mode(app: Sphinx, config: Config) -> None:
    # Light or dark as the reader's system prefers, until the reader picks one.
    config.html_context = {"default_mode": "auto", **(config.html_context or {})}


def _unique_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    scripts = context.get("script_files")
    if scripts:
        seen: set[tuple[Any, ...]] = set()
        unique = []
        for script in scripts:
            # The copy Sphinx re-adds from its registry has filename "" where
            # the original has None; otherwise the two are equal.
            key = (
                getattr(script, "filename", None) or "",
                getattr(script, "priority", None),
                repr(sorted(getattr(script, "attributes", {}).items())),
            )
            if key not in seen:
                seen.add(key)
                unique.append(script)
        context["script_files"] = unique


def _copy_mathjax(app: Sphinx, exc: Exception | None) -> None:
    if exc is None and app.builder.format == "html":
        if not (MATHJAX / "tex-chtml.js").is_file():
            raise FileNotFoundError(f"MathJax is missing from {MATHJAX}")
        copy_asset(str(MATHJAX), str(Path(app.outdir) / "_static" / "mathjax"))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", _add_footer)
    app.connect("config-inited", _theme_mode)
    app.connect("config-inited", _add_static)
    app.connect("config-inited", _launch_buttons)
    app.connect("doctree-read", _run_locally)
    app.add_css_file("softlearn.css")
    app.connect("html-page-context", _unique_scripts)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
