"""The book builds with warnings as errors, as `make book` does."""

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"


@pytest.mark.slow
def test_book_builds_without_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert JUPYTER_BOOK.exists(), f"jupyter-book not installed next to {sys.executable}"
    cmd = [
        str(JUPYTER_BOOK), "build", str(REPO),
        "-W", "-n", "--keep-going",
        "--path-output", str(tmp_path),
    ]  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    elapsed = time.perf_counter() - start
    with capsys.disabled():
        print(f"\n[book] jupyter-book build -W -n: {elapsed:.1f} s, exit code {proc.returncode}")
    log = (proc.stdout + proc.stderr)[-8000:]
    assert proc.returncode == 0, f"book build failed:\n{log}"
    html = tmp_path / "_build" / "html"
    # Sphinx mirrors the source tree: book/intro.md becomes book/intro.html, and
    # Jupyter Book writes index.html as a redirect to the root page.
    assert (html / "book" / "intro.html").is_file(), log
    assert (html / "index.html").is_file(), log
    _check_rendered_pages(html)


# Numbers of the source articles, which the chapters must show as computed output.
SEED_NUMBERS = {
    "softsign/step_by_step.html": ["0.9166667", "-0.6", "0.9"],
    "softplus/numpy.html": ["2.06115369e-09", "2.06115362e-09", "6.22459331e-01"],
    "softplus/pytorch.html": ["0.1269", "0.6931", "5.0067"],
}


def _check_rendered_pages(html: Path) -> None:
    pages = re.findall(r"file: book/(\S+)", (REPO / "_toc.yml").read_text())
    for page in pages:
        text = (html / "book" / f"{page}.html").read_text()
        assert "{glue" not in text, f"unresolved glue role in {page}"
    for page, numbers in SEED_NUMBERS.items():
        text = (html / "book" / page).read_text()
        for number in numbers:
            assert number in text, f"{number} missing from {page}"
    api = (html / "book" / "using_softlearn.html").read_text()
    for name in (
        "softlearn.functions.softplus",
        "softlearn.torch.Softplus",
        "softlearn.keras.softsign",
    ):
        assert f'id="{name}"' in api, f"the API reference lacks {name}"
    _check_self_contained(html, pages)


# What a page loads (not where it links to): scripts, stylesheets, images, frames.
LOADED = re.compile(
    r'<(?:script|img|iframe|source)\b[^>]*\bsrc="([^"]+)"|<link\b[^>]*\bhref="([^"]+)"'
)


def _check_self_contained(html: Path, pages: list[str]) -> None:
    """No page loads anything from outside the build; MathJax is local; the footer dates it.

    A static check of the HTML; the browser tests watch the requests themselves.
    """
    import softlearn

    for page in ["intro", *pages]:
        path = html / "book" / f"{page}.html"
        text = path.read_text()
        for m in LOADED.finditer(text):
            url = m.group(1) or m.group(2)
            assert not re.match(r"(?:[a-z]+:)?//", url), f"{page} loads {url} from outside"
            if not url.startswith(("data:", "#")):
                target = (path.parent / url.split("?")[0].split("#")[0]).resolve()
                assert target.is_file(), f"{page} loads {url}, which the build lacks"
        assert f"softlearn {softlearn.__version__} · built " in text, f"no build footer in {page}"
        if (REPO / "book" / f"{page}.ipynb").exists():
            assert f"_sources/book/{page}.ipynb" in text, f"no notebook download on {page}"
    assert (html / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert 'src="../_static/mathjax/tex-chtml.js"' in (html / "book" / "claims.html").read_text()
