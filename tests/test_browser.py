"""The rendered book as a reader meets it: every page in headless Chromium.

The book is built once (the ``book`` fixture), served on 127.0.0.1 and opened
page by page in Debian's Chromium through Playwright, in light and in dark
mode.  A page passes when

* it loads with no console error, no uncaught exception, no failed request and
  no HTTP error;
* it asks nothing of any host but 127.0.0.1 (such requests are blocked, and
  reported);
* MathJax has typeset every formula: each ``.math`` element holds an
  ``mjx-container``, none holds a TeX error, and no TeX is left in the text;
* every image has loaded, has alt text of its own, and every figure keeps its
  transparent background, so it reads on the dark page too;
* every link into the book leads to a page or file that exists, and to an
  anchor on it that exists;
* every code block has a copy button;
* on a notebook page, the download button gives the chapter's notebook.

The first screen of every page is saved, light and dark, in ``_build/screenshots``.
``test_checks_catch_a_broken_page`` builds a small book with bad formulas, a
missing image, broken links and a remote image, and shows that each is reported.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

import pytest
from conftest import REPO, Build, build_book, toc_pages

SCREENSHOTS = REPO / "_build" / "screenshots"

# Chromium's own background traffic (updates, sync, safe browsing) is off, and
# any host name but 127.0.0.1 fails to resolve: nothing can leave the machine.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]

INSTALL = """\
The browser tests need Debian's Chromium, and it is not installed.
Install it (as root), then run `make test` again:

    apt-get update && apt-get install -y chromium chromium-driver

(Do not run `playwright install`: these tests drive the system Chromium.)"""

TOC_PAGES = [f"{p}.html" for p in toc_pages()]
# Every HTML page of the build but index.html, which only redirects to the intro.
PAGES = [*TOC_PAGES, "genindex.html", "py-modindex.html", "search.html"]
MODES = ["light", "dark"]


def chromium() -> str:
    """Path of the system Chromium; a failure that says how to install it if it is missing."""
    path = shutil.which("chromium")
    if path is None:
        pytest.fail(INSTALL, pytrace=False)
    return path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    # A notebook is a file to save, whatever the system's MIME table says.
    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".ipynb": "application/octet-stream",
    }

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(root: Path) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 from a thread; yield the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


# Runs in the page once it has loaded.  Waits for MathJax and the images, then
# reports what the checks need.  Text inside code (API signatures included),
# and MathJax's own output (which keeps the TeX for screen readers), is not
# prose and is skipped.
INSPECT = r"""
async () => {
  // Never wait forever: a promise that does not settle in 30 s counts as failed.
  const within = (promise) => Promise.race([
    promise.then(() => true, () => false),
    new Promise((resolve) => setTimeout(() => resolve(false), 30000)),
  ]);
  const typeset = window.MathJax && MathJax.startup && MathJax.startup.promise
    ? await within(MathJax.startup.promise) : true;
  const images = [...document.images];
  for (const img of images) img.loading = "eager";
  await within(Promise.all(images.map((img) => img.decode().catch(() => null))));
  await within(document.fonts.ready);

  // TeX commands, display delimiters, and $...$ that no parser turned into math.
  const tex = /\$\$|\\[()\[\]]|\\[A-Za-z]+|\$[^\s$][^$]*\$/;
  const code = "mjx-container, script, style, pre, code, textarea, .highlight, dt.sig";
  const raw = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.parentElement.closest(code) && tex.test(node.textContent)) {
      raw.push(node.textContent.trim().slice(0, 80));
    }
  }
  // Pixels a dark page cannot show through: opaque and near white.
  const opaqueWhite = (img) => {
    if (!img.naturalWidth) return null;
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext("2d");
    ctx.drawImage(img, 0, 0);
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] === 255 && data[i] > 240 && data[i + 1] > 240 && data[i + 2] > 240) count++;
    }
    return count;
  };
  const maths = [...document.querySelectorAll(".math")];
  const blocks = [...document.querySelectorAll("div.highlight")];
  return {
    typeset,
    theme: document.documentElement.dataset.theme,
    maths: maths.length,
    untypeset: maths.filter((e) => !e.querySelector("mjx-container"))
                   .map((e) => e.textContent.trim().slice(0, 80)),
    texErrors: [...document.querySelectorAll("mjx-merror")]
                 .map((e) => e.getAttribute("data-mjx-error") || e.textContent),
    raw,
    images: images.map((img) => ({
      src: img.getAttribute("src"),
      width: img.naturalWidth,
      alt: (img.getAttribute("alt") || "").trim(),
      figure: !!img.closest("article figure, article .cell_output"),
      opaqueWhite: img.closest("article figure, article .cell_output") ? opaqueWhite(img) : null,
      background: getComputedStyle(img).backgroundColor,
    })),
    links: [...document.querySelectorAll("a[href]")].map((a) => a.href),
    codeBlocks: blocks.length,
    withoutCopy: blocks.filter((b) => !b.querySelector("button.copybtn"))
                       .map((b) => b.textContent.trim().slice(0, 60)),
  };
}
"""


class Site:
    """A served build: the base URL and the files behind it."""

    def __init__(self, base: str, root: Path) -> None:
        self.base = base
        self.root = root
        self._ids: dict[Path, set[str]] = {}

    def file(self, url: str) -> Path | None:
        """The file a same-site URL names, or None if the build lacks it."""
        path = unquote(urlsplit(url).path).lstrip("/")
        target = self.root / path
        if target.is_dir():
            target = target / "index.html"
        return target if target.is_file() else None

    def ids(self, page: Path) -> set[str]:
        if page not in self._ids:
            self._ids[page] = set(re.findall(r'\bid="([^"]+)"', page.read_text()))
        return self._ids[page]


def check_links(site: Site, links: list[str]) -> list[str]:
    """Problems with the links that stay inside the book."""
    problems = []
    for link in sorted(set(links)):
        if not link.startswith(site.base):
            continue  # other sites (the bibliography, launch buttons) and javascript:
        target = site.file(link)
        if target is None:
            problems.append(f"broken link: {link}")
            continue
        fragment = unquote(urlsplit(link).fragment)
        if fragment and target.suffix == ".html" and fragment not in site.ids(target):
            problems.append(f"broken anchor: {link}")
    return problems


def visit(
    context: Any, site: Site, path: str, theme: str = "light", screenshot: Path | None = None
) -> list[str]:
    """Open one page, as a reader would, and return everything wrong with it."""
    problems: list[str] = []
    page = context.new_page()

    def guard(route: Any) -> None:
        host = urlsplit(route.request.url).hostname
        if host != "127.0.0.1":
            problems.append(f"request outside 127.0.0.1: {route.request.url}")
            route.abort()
        else:
            route.continue_()

    page.route("**/*", guard)
    page.on(
        "console",
        lambda m: problems.append(f"console error: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: problems.append(f"uncaught exception: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} {r.failure}"))
    page.on(
        "response",
        lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None,
    )
    try:
        page.goto(site.base + path, wait_until="load")
        found = page.evaluate(INSPECT)
        page.wait_for_load_state("networkidle")
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot))
    finally:
        page.close()
    if not found["typeset"]:
        problems.append("MathJax did not finish within 30 s")
    if found["theme"] != theme:
        problems.append(f"theme is {found['theme']!r}, not {theme!r}")
    problems += [f"formula not typeset: {t!r}" for t in found["untypeset"]]
    problems += [f"TeX error: {t!r}" for t in found["texErrors"]]
    problems += [f"raw TeX in the text: {t!r}" for t in found["raw"]]
    for img in found["images"]:
        name = Path(urlsplit(img["src"]).path).name
        if img["width"] == 0:
            problems.append(f"image not loaded: {img['src']}")
        if not img["alt"] or name in img["alt"]:
            problems.append(f"image without alt text: {img['src']}")
        if img["figure"] and img["width"] and img["opaqueWhite"]:
            problems.append(f"figure with an opaque white background: {img['src']}")
        if img["figure"] and img["background"] != "rgba(0, 0, 0, 0)":
            problems.append(f"figure drawn on a {img['background']} panel: {img['src']}")
    problems += check_links(site, found["links"])
    problems += [f"code block without a copy button: {t!r}" for t in found["withoutCopy"]]
    return problems


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def site(book: Build) -> Iterator[Site]:
    assert book.returncode == 0, f"book build failed:\n{book.log[-8000:]}"
    with serve(book.html) as base:
        yield Site(base, book.html)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(accept_downloads=True)
    yield ctx.new_page()
    ctx.close()


def test_pages_cover_the_build(site: Site) -> None:
    built = {
        p.relative_to(site.root).as_posix()
        for p in site.root.rglob("*.html")
        if not p.relative_to(site.root).parts[0].startswith("_")
    }
    assert built - {"index.html"} == set(PAGES)


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", PAGES)
def test_page_renders_cleanly(browser: Any, site: Site, path: str, mode: str) -> None:
    ctx = browser.new_context(color_scheme=mode, viewport={"width": 1280, "height": 800})
    shot = SCREENSHOTS / f"{path.removesuffix('.html').replace('/', '-')}-{mode}.png"
    try:
        problems = visit(ctx, site, path, theme=mode, screenshot=shot)
    finally:
        ctx.close()
    assert not problems, f"{path} in {mode} mode:\n" + "\n".join(problems)


NOTEBOOK_PAGES = [p for p in TOC_PAGES if (REPO / p).with_suffix(".ipynb").exists()]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOK_PAGES)
def test_download_button_gives_the_notebook(page: Any, site: Site, path: str) -> None:
    page.goto(site.base + path)
    page.click("button[aria-label='Download this page']")
    with page.expect_download() as download:
        page.click(".dropdown-download-buttons a[href$='.ipynb']")
    got = json.loads(Path(download.value.path()).read_text())
    assert got == json.loads((REPO / path).with_suffix(".ipynb").read_text())


@pytest.mark.slow
def test_index_redirects_to_the_introduction(page: Any, site: Site) -> None:
    page.goto(site.base + "index.html")
    page.wait_for_url("**/book/intro.html")
    assert page.title().startswith("Softsign and Softplus")


@pytest.mark.slow
def test_search_finds_softplus(page: Any, site: Site) -> None:
    page.goto(site.base + "search.html?q=softplus")
    # Results appear one by one; the summary line comes when all are in.
    page.locator(".search-summary", has_text="Search finished").wait_for(timeout=30_000)
    hrefs = [a.get_attribute("href") or "" for a in page.locator("#search-results a").all()]
    assert any("softplus/numpy.html" in h for h in hrefs), hrefs
    assert any("softplus/pytorch.html" in h for h in hrefs), hrefs


@pytest.mark.slow
def test_copy_button_copies_the_code(browser: Any, site: Site) -> None:
    ctx = browser.new_context()
    try:
        ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.base.rstrip("/"))
        page = ctx.new_page()
        page.goto(site.base + "book/using_softlearn.html")
        block = page.locator("div.cell_input div.highlight").first
        block.hover()
        block.locator("button.copybtn").click()
        copied = page.evaluate("() => navigator.clipboard.readText()")
        shown = block.locator("pre").inner_text()
    finally:
        ctx.close()
    assert copied.strip() and copied.strip() == shown.strip()


# Every folded block in a page's article: MyST dropdowns and myst-nb's hidden
# code are <details>; the exercises' solutions are admonitions that
# sphinx-togglebutton folds with a button in their title.  FOLDS numbers them
# and says whether each one's body shows; SHOWN asks again for one of them.
_PARTS = r"""
const head = (el) => el.tagName === "DETAILS" ? ":scope > summary" : ":scope > .admonition-title";
const body = (el) => el.querySelector(
  el.tagName === "DETAILS" ? ":scope > :not(summary)" : ":scope > :not(.admonition-title)");
// sphinx-togglebutton hides a solution's body with visibility: hidden.
const VISIBLE = {visibilityProperty: true};
"""
FOLDS = (
    "() => {"
    + _PARTS
    + r"""
  const folds = document.querySelectorAll("article details, article .admonition.dropdown");
  return [...folds].map((el, i) => {
    el.dataset.fold = i;
    const title = el.querySelector(head(el));
    return {
      index: i,
      details: el.tagName === "DETAILS",
      title: title ? title.textContent.trim().slice(0, 80) : "",
      shown: body(el) ? body(el).checkVisibility(VISIBLE) : null,
    };
  });
}"""
)
SHOWN = (
    "(i) => {"
    + _PARTS
    + r"""
  return body(document.querySelector(`[data-fold="${i}"]`)).checkVisibility(VISIBLE);
}"""
)
MIRRORED = {
    "book/softsign/step_by_step.html",
    "book/softsign/derivative.html",
    "book/softplus/pytorch.html",
    "book/softplus/numpy.html",
}


def check_folds(page: Any, url: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Open ``url``; every fold must be closed, and open when its title is clicked."""
    page.goto(url, wait_until="load")
    folds: list[dict[str, Any]] = page.evaluate(FOLDS)
    problems = [f"fold without a body: {f['title']!r}" for f in folds if f["shown"] is None]
    problems += [f"open on load: {f['title']!r}" for f in folds if f["shown"]]
    for f in folds:
        if f["shown"] is not False:
            continue
        fold = page.locator(f"[data-fold='{f['index']}']")
        fold.locator(":scope > summary" if f["details"] else ":scope > .admonition-title").click()
        if not page.evaluate(SHOWN, f["index"]):
            problems.append(f"does not open: {f['title']!r}")
    return folds, problems


@pytest.mark.slow
@pytest.mark.parametrize("path", TOC_PAGES)
def test_every_fold_is_closed_on_load_and_opens_on_click(page: Any, site: Site, path: str) -> None:
    """Going-deeper dropdowns, hidden code and solutions start folded and open when clicked."""
    folds, problems = check_folds(page, site.base + path)
    assert not problems, f"{path}:\n" + "\n".join(problems)
    if path in MIRRORED:
        deeper = [f for f in folds if f["title"].startswith("Going deeper")]
        assert deeper, f"{path} has no going-deeper block"


def test_missing_chromium_fails_with_install_instructions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium"):
        chromium()


BROKEN_BOOK = {
    "_toc.yml": "format: jb-book\nroot: clean\nchapters:\n"
    "  - file: formula\n  - file: image\n  - file: link\n  - file: outside\n  - file: fold\n",
    "clean.md": "# Clean\n\nA formula, $x^2 + 1$, and [a link](formula.md).\n",
    "formula.md": "# Bad formulas\n\nA double exponent: $x^2^3$. Escaped: \\$y^2\\$.\n\n"
    "$$\\frac{1}{2$$\n",
    "image.md": "# Missing image\n\n![A figure that is not there](missing.png)\n",
    "link.md": "# Broken links\n\n<a href='nowhere.html'>a page that does not exist</a>,\n"
    "<a href='clean.html#nowhere'>an anchor that does not exist</a>\n",
    "outside.md": "# A request outside\n\n<img src='https://example.org/x.png' alt='Remote'>\n",
    "fold.md": "# Folds\n\n:::{dropdown} Going deeper: closed\nHidden.\n:::\n\n"
    ":::{dropdown} Going deeper: left open\n:open:\nShown at once.\n:::\n",
}


@pytest.mark.slow
def test_checks_catch_a_broken_page(tmp_path: Path, browser: Any) -> None:
    """Sabotage: each defect on its own page is reported; the clean page passes."""
    src = tmp_path / "src"
    src.mkdir()
    config = (REPO / "_config.yml").read_text()
    config = config.replace(
        "softlearn_book: book/_ext", f"softlearn_book: {REPO / 'book' / '_ext'}"
    )
    config = config.replace("favicon: book/images/", f"favicon: {REPO / 'book' / 'images'}/")
    config = re.sub(r"bibtex_bibfiles:\n  - \S+\n", "", config)
    (src / "_config.yml").write_text(config)
    for name, text in BROKEN_BOOK.items():
        (src / name).write_text(text)
    build = build_book(src, tmp_path / "out")  # not -W: the build warns of the missing image
    assert build.returncode == 0, build.log[-4000:]
    found = {}
    ctx = browser.new_context()
    try:
        with serve(build.html) as base:
            site = Site(base, build.html)
            for page in ("clean", "formula", "image", "link", "outside"):
                found[page] = "\n".join(visit(ctx, site, f"{page}.html"))
            _, fold_problems = check_folds(ctx.new_page(), f"{base}fold.html")
    finally:
        ctx.close()
    assert found["clean"] == ""
    assert "TeX error: 'Double exponent" in found["formula"]
    assert "formula not typeset: '\\\\[\\\\frac{1}{2" in found["formula"]
    assert re.search(r"raw TeX in the text: .*Escaped: \$y\^2\$", found["formula"])
    assert "image not loaded: missing.png" in found["image"]
    assert "HTTP 404" in found["image"]
    assert "broken link: " in found["link"] and "nowhere.html" in found["link"]
    assert "broken anchor: " in found["link"] and "clean.html#nowhere" in found["link"]
    assert "request outside 127.0.0.1: https://example.org/x.png" in found["outside"]
    assert fold_problems == ["open on load: 'Going deeper: left open'"], fold_problems
