"""The built site opened in a real browser: every page there, every figure loaded, every internal link sound.

Headless Chromium (Debian's ``chromium`` and ``chromium-driver``), driven by Selenium, opens each
page of ``build/site/html`` through a local HTTP server, waits for its images, and reports

- a page the course should have that the build did not write (a lesson, solution or exercise);
- an image that did not load (``naturalWidth == 0``);
- an internal link to a missing file or to an anchor the target page lacks;
- anything fetched from another origin: the site must read offline.

It also keeps a screenshot of lesson 05's learning curve (``build/site/screenshots``), for a person
to look at what the browser saw.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: Lesson 05's learning curve: the page, and what the code cell that draws it calls.
LEARNING_CURVE = ("notebooks/05_two_phase_fine_tuning.html", "plot_phases(")

_PAGE_FACTS = """
const done = arguments[arguments.length - 1];
const images = [...document.images];
images.forEach(image => { image.loading = "eager"; });
const settle = image => image.complete ? null : new Promise(r => { image.onload = image.onerror = r; });
Promise.race([Promise.all(images.map(settle)), new Promise(r => setTimeout(r, 10000))]).then(() => done({
  title: document.title,
  images: images.map(image => ({src: image.currentSrc || image.src, loaded: image.complete && image.naturalWidth > 0})),
  links: [...document.querySelectorAll("a[href]")].map(a => a.href),
  resources: performance.getEntriesByType("resource").map(entry => entry.name),
}));
"""


class BrowserUnavailable(RuntimeError):
    """Chromium, its driver or Selenium is not installed."""


@dataclass
class PageFacts:
    """What the browser saw on one page."""

    path: str  # relative to the site's root, e.g. "notebooks/05_two_phase_fine_tuning.html"
    title: str
    images: list[dict] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no line per request in the test's output
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on a free local port for the duration of the block; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def chromium() -> Iterator:
    """A headless Chromium under Selenium, with the system's chromedriver (never a downloaded one)."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as error:
        raise BrowserUnavailable('Selenium is missing: pip install -e ".[site]"') from error
    browser, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not browser or not driver_path:
        raise BrowserUnavailable(
            "Headless Chromium is missing: on Debian or Ubuntu, apt-get install chromium chromium-driver"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1280,1000")
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def site_pages(html: Path) -> list[str]:
    """Every page of the built site, relative to its root (Sphinx's theme fragments left out)."""
    return sorted(path.relative_to(html).as_posix() for path in html.rglob("*.html") if "_static" not in path.parts)


def visit(driver, base_url: str, page: str) -> PageFacts:
    """Open ``page`` and collect its title, images (after they settle), links and fetched resources."""
    driver.get(base_url + page)
    facts = driver.execute_async_script(_PAGE_FACTS)
    return PageFacts(path=page, **facts)


def _anchors(page: Path) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page.read_text(encoding="utf-8")))


def link_problems(facts: PageFacts, base_url: str, html: Path) -> list[str]:
    """Internal links of one page whose file is missing or whose anchor the target does not have."""
    problems = []
    for link in facts.links:
        if not link.startswith(base_url):
            continue  # an external link: followed by the reader, not fetched by the page
        parts = urlsplit(link)
        target = html / unquote(parts.path.removeprefix(urlsplit(base_url).path))
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            problems.append(f"{facts.path}: link to {link} leads nowhere (no {target.relative_to(html)})")
        elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in _anchors(target):
            problems.append(f"{facts.path}: link to {link}: {target.relative_to(html)} has no anchor #{parts.fragment}")
    return problems


def page_problems(facts: PageFacts, base_url: str, html: Path) -> list[str]:
    """Everything wrong with one visited page."""
    problems = [f"{facts.path}: image {image['src']} did not load" for image in facts.images if not image["loaded"]]
    problems += [
        f"{facts.path}: fetched {resource} from another origin (the site must read offline)"
        for resource in facts.resources
        if not resource.startswith(base_url) and not resource.startswith("data:")
    ]
    return problems + link_problems(facts, base_url, html)


def screenshot_learning_curve(driver, base_url: str, out: Path) -> Path:
    """Scroll lesson 05 to its learning-curve figure and save what the browser shows as a PNG."""
    page, call = LEARNING_CURVE
    driver.get(base_url + page)
    found = driver.execute_script(
        """
        const cell = [...document.querySelectorAll("div.cell")].find(
            c => (c.querySelector(".cell_input")?.textContent || "").includes(arguments[0]) && c.querySelector("img"));
        if (!cell) return false;
        cell.querySelector("img").scrollIntoView({block: "center"});
        return cell.querySelector("img").naturalWidth > 0;
        """,
        call,
    )
    if not found:
        raise AssertionError(f"{page}: no loaded figure under the cell that calls {call}")
    out.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(out))
    return out


def check_site(html: Path, expected: list[str], screenshot: Path | None = None) -> tuple[list[PageFacts], list[str]]:
    """Open every page of the site in headless Chromium; returns what was seen and every problem found."""
    pages = site_pages(html)
    problems = [f"page {page} is missing from the site" for page in expected if page not in pages]
    seen = []
    with serve(html) as base_url, chromium() as driver:
        for page in pages:
            facts = visit(driver, base_url, page)
            seen.append(facts)
            problems += page_problems(facts, base_url, html)
        if screenshot is not None:
            screenshot_learning_curve(driver, base_url, screenshot)
    return seen, problems
