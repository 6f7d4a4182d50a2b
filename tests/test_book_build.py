"""The book builds with warnings as errors, as `make book` does."""

import hashlib
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import REPO, Build, build_book, toc_pages


@pytest.mark.slow
def test_book_builds_without_warnings(book: Build, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(f"\n[book] jupyter-book build -W -n: {book.seconds:.1f} s, exit {book.returncode}")
    log = book.log[-8000:]
    assert book.returncode == 0, f"book build failed:\n{log}"
    html = book.html
    # Sphinx mirrors the source tree: book/intro.ipynb becomes book/intro.html, and
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
    pages = [p.removeprefix("book/") for p in toc_pages()]
    for page in pages:
        text = (html / "book" / f"{page}.html").read_text()
        assert "{glue" not in text, f"unresolved glue role in {page}"
        assert "glue(" not in text, f"a glue() call shows on {page}"
    _check_pictures(html)
    _check_main_line(html)
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
    _check_numbering(html, pages)
    _check_launch_buttons(html, pages)


# The pictures a learner expects, by page: figure id -> words its alt text names.
PICTURES = {
    "intro": {"fig-intro-overview": ("ReLU", "tanh", "softsign", "softplus", "derivatives")},
    "softsign/step_by_step": {
        "fig-softsign": ("softsign", "derivative"),
        "fig-softsign-tanh": ("softsign", "tanh", "derivatives"),
    },
    "softsign/derivative": {"fig-softsign-derivative": ("Softsign", "derivative")},
    "softplus/pytorch": {
        "fig-softplus-relu": ("softplus", "ReLU", "sigmoid", "step"),
        "fig-softplus-jump": ("threshold", "0.04"),
    },
    "softplus/numpy": {"fig-np-softplus": ("Softplus", "sigmoid")},
}
FIGURE_ALT = re.compile(r'<figure[^>]*id="([^"]+)"[^>]*>\s*<img[^>]*alt="([^"]*)"', re.S)


def _check_pictures(html: Path) -> None:
    """Each expected figure is there, with alt text that names what it shows, once."""
    images: dict[str, str] = {}
    for page, figures in PICTURES.items():
        text = (html / "book" / f"{page}.html").read_text()
        alts = dict(FIGURE_ALT.findall(text))
        for name, words in figures.items():
            assert name in alts, f"{page} lacks the figure {name}"
            missing = [w for w in words if w.lower() not in alts[name].lower()]
            assert not missing, f"{page}: the alt text of {name} does not name {missing}"
    for png in sorted((html / "_images").glob("*.png")):
        digest = hashlib.sha256(png.read_bytes()).hexdigest()
        assert digest not in images, f"{png.name} is {images.get(digest)} again"
        images[digest] = png.name


# Words of floating-point arithmetic, which the main line of each chapter that
# mirrors an article keeps for its "Going deeper" blocks and for Accuracy and speed.
FLOATING_POINT = re.compile(
    r"\bULPs?\b|subnormal|mpmath|float(?:16|32|64)|\brounding\b|\brounded\b|\brounds\b"
    r"|floating[- ]point|double-double|\bepsilon\b|\bbinade",
    re.I,
)
MIRRORED = ["softsign/step_by_step", "softsign/derivative", "softplus/pytorch", "softplus/numpy"]
PER_THOUSAND = 4.0  # the source articles: at most about 2


def main_line(page_html: str) -> str:
    """The prose a reader sees without opening anything: no folded block, code or math."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page_html, "html.parser")
    article = soup.select_one("article") or soup
    for selector in ("details", ".admonition.dropdown", ".cell", "pre", ".math", "script"):
        for element in article.select(selector):
            element.decompose()
    return " ".join(article.get_text(" ").split())


def _check_main_line(html: Path) -> None:
    for page in MIRRORED:
        text = main_line((html / "book" / f"{page}.html").read_text())
        words = len(re.findall(r"[A-Za-z][A-Za-z'-]*", text))
        terms = FLOATING_POINT.findall(text)
        assert words > 500, f"{page}: only {words} words of main line: the parser missed it"
        density = 1000 * len(terms) / words
        assert density <= PER_THOUSAND, (
            f"{page}: {density:.1f} floating-point terms per 1000 words of main line: {terms}"
        )


# What a page loads (not where it links to): scripts, stylesheets, images, frames.
LOADED = re.compile(
    r'<(?:script|img|iframe|source)\b[^>]*\bsrc="([^"]+)"|<link\b[^>]*\bhref="([^"]+)"'
)


def _check_self_contained(html: Path, pages: list[str]) -> None:
    """No page loads anything from outside the build; MathJax is local; the footer dates it.

    A static check of the HTML; the browser tests watch the requests themselves.
    """
    import softlearn

    for page in pages:
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


EQUATION = re.compile(r'id="equation-([^"]+)">\s*<span class="eqno">\((\d+)\)')
FIGURE = re.compile(r'<figure[^>]*id="([^"]+)">.*?<span class="caption-number">Fig\. (\d+) ', re.S)
EQ_REF = re.compile(r'<a class="reference internal" href="([^"#]*)#equation-([^"]+)">\((\d+)\)</a>')
FIG_REF = re.compile(
    r'<a class="reference internal" href="([^"#]*)#([^"]+)"><span class="std std-numref">'
    r"Fig\. (\d+)</span></a>"
)


def _check_numbering(html: Path, pages: list[str]) -> None:
    """Equations and figures are numbered, and every reference shows its target's number."""
    numbers: dict[tuple[Path, str], str] = {}
    for page in pages:
        path = (html / "book" / f"{page}.html").resolve()
        text = path.read_text()
        numbers.update({(path, f"equation-{k}"): n for k, n in EQUATION.findall(text)})
        numbers.update({(path, k): n for k, n in FIGURE.findall(text)})
    refs = 0
    for page in pages:
        path = html / "book" / f"{page}.html"
        text = path.read_text()
        for pattern, prefix in ((EQ_REF, "equation-"), (FIG_REF, "")):
            for target, anchor, shown in pattern.findall(text):
                where = (path.parent / target).resolve() if target else path.resolve()
                key = (where, prefix + anchor)
                assert key in numbers, (
                    f"{page}: a reference to {target}#{prefix}{anchor} leads nowhere"
                )
                assert numbers[key] == shown, (
                    f"{page}: {anchor} is numbered {numbers[key]}, not {shown}"
                )
                refs += 1
    equations = sum(1 for key in numbers if key[1].startswith("equation-"))
    # The patterns must match the theme's HTML, or the loops above check nothing.
    assert equations >= 10 and len(numbers) - equations >= 10 and refs >= 10, (equations, refs)


LAUNCH = re.compile(r"mybinder\.org|colab\.research\.google\.com|github\.com")


def _check_launch_buttons(html: Path, pages: list[str]) -> None:
    """The project has no public address: no page links to a repository or launches one.

    Each notebook page says instead how to run it locally.
    """
    for page in pages:
        text = (html / "book" / f"{page}.html").read_text()
        assert not LAUNCH.search(text), f"{page} links to {LAUNCH.search(text).group(0)}"
        if (REPO / "book" / f"{page}.ipynb").exists():
            assert "To run this chapter yourself" in text, f"no run-locally note on {page}"
            path = f'<code class="docutils literal notranslate"><span class="pre">book/{page}.ipynb'
            assert path in text, f"the run-locally note on {page} names another file"


# A repository address for the build below only: the test checks the links made from it.
PUBLISHED = "https://github.com/published-copy/softlearn"


@pytest.mark.slow
def test_launch_buttons_appear_for_a_given_repository(tmp_path: Path) -> None:
    built = build_book(
        REPO, tmp_path, "-W", "-n", "--keep-going", env={"SOFTLEARN_REPOSITORY_URL": PUBLISHED}
    )
    assert built.returncode == 0, built.log[-8000:]
    owner_repo = PUBLISHED.removeprefix("https://github.com/")
    notebooks = [p.removeprefix("book/") for p in toc_pages() if (REPO / f"{p}.ipynb").exists()]
    assert len(notebooks) >= 6
    for page in notebooks:
        text = (built.html / "book" / f"{page}.html").read_text()
        binder = f"https://mybinder.org/v2/gh/{owner_repo}/main?urlpath=lab/tree/book/{page}.ipynb"
        colab = f"https://colab.research.google.com/github/{owner_repo}/blob/main/book/{page}.ipynb"
        assert f'href="{binder}"' in text, f"no Binder button on {page}"
        assert f'href="{colab}"' in text, f"no Colab button on {page}"
    glossary = (built.html / "book" / "glossary.html").read_text()
    assert "mybinder.org" not in glossary, "a Markdown page has no notebook to launch"


def test_launch_buttons_refuse_an_address_they_cannot_use(monkeypatch: pytest.MonkeyPatch) -> None:
    sys.path.insert(0, str(REPO / "book" / "_ext"))
    try:
        import softlearn_book
    finally:
        sys.path.remove(str(REPO / "book" / "_ext"))
    config = SimpleNamespace(html_theme_options={"launch_buttons": {"colab_url": "x"}})
    monkeypatch.setenv("SOFTLEARN_REPOSITORY_URL", "https://gitlab.com/owner/repo")
    with pytest.raises(ValueError, match="GitHub repository"):
        softlearn_book._launch_buttons(None, config)
    monkeypatch.delenv("SOFTLEARN_REPOSITORY_URL")
    softlearn_book._launch_buttons(None, config)
    assert "launch_buttons" not in config.html_theme_options
