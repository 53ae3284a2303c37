"""The rendered book, checked as a reader sees it: headless Chromium on the built site.

Needs `make book` first (the `make test` target builds it). Every page listed in
_toc.yml must load over HTTP, show its title, load its figures, typeset its
math with the locally served MathJax, log no console error and make no failed
request; no file of the site may contain solution code or hidden tests.

Every page is also audited as a reader with a disability or a phone meets it:
axe-core (fetched by `make test` into .cache/axe, never published) must find
no violation of impact "serious" or "critical"; at a phone's 390x844 viewport
nothing but code, outputs, math and tables (each in its own scroll box) may be
wider than the screen; every image has alternative text that is not a file name.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path

import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup

from coursekit.hidden import find_leaks, hidden_lines

REPO = Path(__file__).resolve().parents[1]
# The built site; BOOK_HTML points the tests at another build (e.g. a private
# `jupyter-book build . --path-output DIR` gives DIR/_build/html).
HTML = Path(os.environ.get("BOOK_HTML", REPO / "_build" / "html"))
TF_NOISE = ("absl::InitializeLog", "cpu_feature_guard", "oneDNN custom operations", "cudart")
AXE = REPO / ".cache" / "axe" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
# Boxes that scroll sideways on their own: wide content inside them is fine.
SCROLL_BOXES = "pre, .highlight, .output, .cell_output, mjx-container, .MathJax, " \
    ".pst-scrollable-table-container, .table-wrapper"

pytestmark = [
    pytest.mark.book,
    pytest.mark.skipif(
        not (HTML / "index.html").exists(), reason="book not built: run `make book` first"
    ),
]


def toc_files() -> list[str]:
    """Every 'file:' entry of _toc.yml, in reading order (root first)."""
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))
            walk(entry.get("chapters", []))

    walk(toc.get("parts", []))
    walk(toc.get("chapters", []))
    return files


def source_of(entry: str) -> Path:
    """The source file (.md or .ipynb) of a toc entry."""
    for suffix in (".md", ".ipynb"):
        if (REPO / (entry + suffix)).exists():
            return REPO / (entry + suffix)
    raise FileNotFoundError(f"no source for toc entry {entry!r}")


def source_text(path: Path) -> str:
    """Markdown text of a source page (markdown cells only for a notebook)."""
    if path.suffix == ".ipynb":
        notebook = nbformat.read(str(path), as_version=4)
        return "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    return path.read_text()


def expected_title(path: Path) -> str:
    """The first level-1 heading of the source, without markup."""
    match = re.search(r"^# (.+)$", source_text(path), re.MULTILINE)
    assert match, f"{path} has no level-1 heading"
    return re.sub(r"[`*_]", "", match.group(1)).strip()


def has_math(path: Path) -> bool:
    """Whether the source writes any $...$ / $$ math or a math directive."""
    text = re.sub(r"```(?!\{math\}).*?```", "", source_text(path), flags=re.DOTALL)
    return bool(re.search(r"\$\$|\$[^$\n]+\$|\{math\}", text))


def figure_count(path: Path) -> int:
    """Figures the source declares (figure / glue:figure directives, markdown images)."""
    text = source_text(path)
    return len(re.findall(r"\{(?:glue:)?figure\}|!\[[^\]]*\]\(", text))


@pytest.fixture(scope="module")
def site_url():
    """Serve _build/html on a loopback port for the duration of the module."""
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium driven by Playwright (no browser download)."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("chromium is not installed: run `make chromium` (or `make test`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


def visit(browser, url: str) -> dict:
    """Open ``url`` and collect what a reader's browser would report."""
    page = browser.new_page()
    problems = []
    page.on(
        "console",
        lambda msg: problems.append(f"console {msg.type}: {msg.text}")
        if msg.type == "error"
        else None,
    )
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("requestfailed", lambda req: problems.append(f"request failed: {req.url}"))
    page.on(
        "response",
        lambda res: problems.append(f"HTTP {res.status}: {res.url}") if res.status >= 400 else None,
    )
    response = page.goto(url, wait_until="networkidle")
    math_ready = page.evaluate(
        "async () => { if (!window.MathJax || !MathJax.startup) return false;"
        " await MathJax.startup.promise; return true; }"
    )
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make {AXE.relative_to(REPO)}` (or `make test`)")
    page.add_script_tag(path=str(AXE))
    axe_violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,"
        " target: v.nodes[0].target.join(' ')}))"
    )
    report = {
        "status": response.status,
        "h1": page.locator("main h1").first.inner_text(),
        "images": page.eval_on_selector_all(
            "main img", "imgs => imgs.map(i => [i.src, i.complete && i.naturalWidth > 0])"
        ),
        "math_ready": math_ready,
        "typeset": page.locator("main mjx-container").count(),
        "math_errors": page.locator("main mjx-merror").count(),
        "text": page.locator("main").inner_text(),
        "problems": problems,
        "axe": axe_violations,
        "alts": page.eval_on_selector_all(
            "img", "imgs => imgs.map(i => [i.getAttribute('src'), i.getAttribute('alt')])"
        ),
    }
    page.close()
    return report


def visit_on_a_phone(browser, url: str) -> dict:
    """Open ``url`` at a phone's viewport; report the document's widths and what sticks out."""
    page = browser.new_page(viewport=PHONE)
    page.goto(url, wait_until="load")
    page.evaluate("async () => { await document.fonts.ready; if (window.MathJax && MathJax.startup)"
                  " await MathJax.startup.promise; }")
    layout = page.evaluate(
        """boxes => {
            const width = document.documentElement.clientWidth, wide = [];
            for (const el of document.querySelectorAll('body *')) {
                if (el.closest(boxes)) continue;
                const box = el.getBoundingClientRect();
                if (box.width > 0 && box.right > width + 1 && box.left < width
                    && getComputedStyle(el).visibility !== 'hidden')
                    wide.push(`${el.tagName.toLowerCase()}.${el.className} `
                              + `(${Math.round(box.left)}..${Math.round(box.right)} px)`);
            }
            const root = document.scrollingElement;
            return {scroll_width: root.scrollWidth, client_width: root.clientWidth,
                    wide: wide.slice(0, 5)};
        }""",
        SCROLL_BOXES,
    )
    page.close()
    return layout


@pytest.fixture(scope="module")
def reports(browser, site_url):
    """reports(entry): the page's visit report, each page opened once for all tests."""
    cache = {}

    def get(entry: str) -> dict:
        if entry not in cache:
            cache[entry] = visit(browser, f"{site_url}/{entry}.html")
        return cache[entry]

    return get


@pytest.mark.parametrize("entry", toc_files())
def test_page_renders_for_a_reader(reports, entry):
    """The page loads, shows its title, figures and typeset math, with no console error."""
    source = source_of(entry)
    report = reports(entry)
    assert report["status"] == 200
    assert report["h1"].replace("#", "").strip() == expected_title(source)
    assert report["problems"] == [], "\n".join(report["problems"])
    assert all(ok for _, ok in report["images"]), f"broken images: {report['images']}"
    assert len(report["images"]) >= figure_count(source)
    if has_math(source):
        assert report["math_ready"], "MathJax did not start"
        assert report["typeset"] > 0, "no math was typeset"
        assert report["math_errors"] == 0
    noise = [line for line in TF_NOISE if line in report["text"]]
    assert noise == [], f"TensorFlow log lines in rendered output: {noise}"


@pytest.mark.parametrize("entry", toc_files())
def test_page_has_no_serious_accessibility_violation(reports, entry):
    """axe-core finds no violation of impact serious or critical on the page."""
    serious = [v for v in reports(entry)["axe"] if v["impact"] in ("serious", "critical")]
    for v in serious:
        print(f"{entry}: {v['id']} ({v['impact']}): {v['help']}; {v['nodes']} element(s),"
              f" first: {v['target']}")
    assert serious == [], [f"{v['id']} ({v['impact']}) at {v['target']}" for v in serious]


@pytest.mark.parametrize("entry", toc_files())
def test_every_image_has_alternative_text(reports, entry):
    """Every image has alt text that describes it (not empty, not its file name)."""
    bad = [
        (src, alt) for src, alt in reports(entry)["alts"]
        if not (alt or "").strip()
        or re.search(r"\.(png|svg|jpe?g|gif|webp)$", alt.strip(), re.IGNORECASE)
        or alt.strip() == Path(src or "").name
    ]
    assert bad == [], f"images without a real alt text: {bad}"


@pytest.mark.parametrize("entry", toc_files())
def test_page_fits_a_phone_screen(browser, site_url, entry):
    """At 390x844 the page does not scroll sideways and nothing sticks out of the screen
    but code, outputs, math and tables, which scroll in their own boxes."""
    layout = visit_on_a_phone(browser, f"{site_url}/{entry}.html")
    assert layout["scroll_width"] <= layout["client_width"] + 1, layout
    assert layout["wide"] == [], f"wider than the screen: {layout['wide']}"


def test_homework_page_offers_the_course_package(site_url, browser):
    """The homework page links the course's wheel and constraints.txt, both served; the
    constraints are the repository's lock."""
    page = browser.new_page()
    page.goto(f"{site_url}/book/homework.html", wait_until="networkidle")
    links = page.eval_on_selector_all("main a[href]", "links => links.map(a => a.href)")
    wheels = [link for link in links if link.endswith(".whl")]
    constraints = [link for link in links if link.endswith("/constraints.txt")]
    assert len(wheels) == 1 and len(constraints) == 1, links
    wheel = page.request.get(wheels[0])
    assert wheel.status == 200 and wheel.body()[:2] == b"PK"  # a zip file
    served = page.request.get(constraints[0])
    assert served.status == 200 and served.body() == (REPO / "constraints.txt").read_bytes()
    page.close()


def test_homework_download_is_the_release_notebook(site_url, browser):
    """The homework page's download link serves exactly exercises/ (stubs, no solutions)."""
    page = browser.new_page()
    page.goto(f"{site_url}/book/homework.html", wait_until="networkidle")
    links = page.eval_on_selector_all(
        "main a[href$='.ipynb']", "links => links.map(a => a.href)"
    )
    assert links, "no notebook download link on the homework page"
    payload = page.request.get(links[0]).body()
    page.close()
    released = sorted((REPO / "exercises").glob("*/*.ipynb"))
    assert payload in [path.read_bytes() for path in released]


def published_text(path: Path) -> str:
    """Readable text of a published file: page text for HTML, cell sources for notebooks."""
    if path.suffix == ".html":
        return BeautifulSoup(path.read_text(errors="replace"), "html.parser").get_text()
    if path.suffix == ".ipynb":
        notebook = nbformat.read(str(path), as_version=4)
        return "\n".join(cell.source for cell in notebook.cells)
    return path.read_text(errors="replace")


# The chapter "Anatomy of the layer" builds, step by step, the from-scratch layer that
# homework 3 (`layer`) asks students to write: the course asks for both. Lines of the
# homework's solution that the chapter itself teaches (the Keras-style argument check
# and its message, the integer cast of `call`) are the chapter's, not a leak; every
# other solution line of every assignment stays secret for every page.
TAUGHT_BY = {"layer": "book/anatomy.md"}
# embref is public on purpose: students install it to run the visible tests at home,
# and the book's reference page shows its source. A solution line that is also a line
# of embref (a homework re-implements a reference function) is the reference's.
EMBREF_LINES = {line.strip() for path in (REPO / "src" / "embref").glob("*.py")
                for line in path.read_text().splitlines()}


def test_no_published_file_contains_solutions_or_hidden_tests():
    """No file of the site holds solution code, hidden tests or their markers."""
    secrets = set()
    for path in (REPO / "solutions").glob("*/*.ipynb"):
        lines = hidden_lines(nbformat.read(str(path), as_version=4))
        if path.parent.name in TAUGHT_BY:
            taught = {line.strip() for line in
                      (REPO / TAUGHT_BY[path.parent.name]).read_text().splitlines()}
            lines -= taught
        secrets |= lines - EMBREF_LINES
    assert secrets, "found no solution lines to look for: the check would be empty"
    leaks = {}
    for path in HTML.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".ipynb", ".txt", ".md", ".py", ".json"}:
            found = find_leaks(published_text(path), secrets)
            if found:
                leaks[str(path.relative_to(HTML))] = found[:3]
    assert leaks == {}


def test_grading_and_source_folders_are_not_published():
    """solutions/, grading folders, src/ and tests/ never appear in the site."""
    forbidden = {"solutions", "submitted", "autograded", "feedback", "src", "tests", "source"}
    published = {part for path in HTML.rglob("*") for part in path.relative_to(HTML).parts}
    assert published & forbidden == set()
    assert not list(HTML.rglob("gradebook.db"))


# ---- Layout of figures, math, glued numbers, downloads and homework order ----
DESKTOP = {"width": 1280, "height": 900}


def open_page(browser, url: str, viewport: dict):
    """A page at ``viewport`` with fonts and MathJax ready."""
    page = browser.new_page(viewport=viewport)
    page.goto(url, wait_until="load")
    page.evaluate("async () => { await document.fonts.ready; if (window.MathJax && MathJax.startup)"
                  " await MathJax.startup.promise; }")
    return page


def test_display_math_is_never_clipped_on_a_phone(browser, site_url):
    """At 390 px every display equation either fits its column or scrolls sideways in its
    own box: no box around it hides the part that does not fit (overflow hidden)."""
    clipped = {}
    for entry in toc_files():
        if not has_math(source_of(entry)):
            continue
        page = open_page(browser, f"{site_url}/{entry}.html", PHONE)
        found = page.evaluate(
            """() => {
                const bad = [];
                const shown = 'main mjx-container[display="true"]';
                for (const math of document.querySelectorAll(shown)) {
                    const need = math.scrollWidth;
                    for (let box = math; box && box.tagName !== 'MAIN'; box = box.parentElement) {
                        if (box.clientWidth + 1 >= need) break;  // it fits here
                        const style = getComputedStyle(box).overflowX;
                        if (style === 'auto' || style === 'scroll') break;  // scrolls here
                        if (style === 'hidden' || style === 'clip') {
                            bad.push(`${math.textContent.slice(0, 40)} (${need} px in`
                                     + ` ${box.clientWidth} px, ${box.tagName.toLowerCase()})`);
                            break;
                        }
                    }
                }
                return bad;
            }"""
        )
        page.close()
        if found:
            clipped[entry] = found
    assert clipped == {}


def test_every_figure_fills_its_column_and_is_sharp(browser, site_url):
    """At 1280 px every figure image is shown at least 90% as wide as the text column,
    and its file has at least as many pixels across as it is shown (never enlarged)."""
    problems = {}
    for entry in toc_files():
        if figure_count(source_of(entry)) == 0:
            continue
        page = open_page(browser, f"{site_url}/{entry}.html", DESKTOP)
        page.wait_for_function("[...document.querySelectorAll('main figure img')]"
                               ".every(i => i.complete)")
        sizes = page.evaluate(
            """() => [...document.querySelectorAll('main figure img')].map(img => {
                const column = img.closest('article');
                const style = getComputedStyle(column);
                const width = column.clientWidth - parseFloat(style.paddingLeft)
                              - parseFloat(style.paddingRight);
                return {src: img.getAttribute('src'), shown: img.getBoundingClientRect().width,
                        natural: img.naturalWidth, column: width};
            })"""
        )
        page.close()
        assert len(sizes) >= figure_count(source_of(entry)), entry
        bad = [s for s in sizes if s["shown"] < 0.9 * s["column"] or s["natural"] < s["shown"]]
        if bad:
            problems[entry] = bad
    assert problems == {}


def test_glued_numbers_look_like_the_sentence_around_them(browser, site_url):
    """A number glued into a sentence has the weight of the text around it (not bold)."""
    page = open_page(browser, f"{site_url}/book/two_views.html", DESKTOP)
    weights = page.evaluate(
        """() => [...document.querySelectorAll('main p span.pasted-text')].map(span =>
            [getComputedStyle(span).fontWeight, getComputedStyle(span.parentElement).fontWeight])"""
    )
    page.close()
    assert weights, "no glued text on the two-views page"
    assert all(own == around for own, around in weights), weights


def chapter_entries() -> list[str]:
    """The toc's chapters that are Markdown notebooks (a jupytext header with a kernel)."""
    return [entry for entry in toc_files() if entry.startswith("book/")
            and source_of(entry).suffix == ".md"
            and "kernelspec:" in source_of(entry).read_text().split("\n---", 1)[0]]


@pytest.mark.parametrize("entry", chapter_entries())
def test_chapter_downloads_as_a_notebook_without_outputs(browser, site_url, entry):
    """A chapter's download menu offers a .ipynb: the chapter's cells, no outputs."""
    page = browser.new_page()
    page.goto(f"{site_url}/{entry}.html", wait_until="load")
    links = page.eval_on_selector_all(
        ".dropdown-download-buttons a[href]", "links => links.map(a => a.href)")
    notebooks = [link for link in links if link.endswith(".ipynb")]
    assert len(notebooks) == 1, links
    response = page.request.get(notebooks[0])
    status, text = response.status, response.text()
    page.close()
    assert status == 200
    notebook = nbformat.reads(text, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, "the notebook has no code cells"
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)
    assert notebook.metadata.kernelspec.name == "python3"
    source = source_of(entry).read_text()
    assert all(cell.source in source for cell in code)


def test_no_notebook_download_outside_the_chapters():
    """Only chapters are converted: no generated notebook under _sources/ other than the
    book's chapters and the released exercises/ copied as they are."""
    released = {path.read_bytes() for path in (REPO / "exercises").glob("*/*.ipynb")}
    for path in (HTML / "_sources").rglob("*.ipynb"):
        relative = path.relative_to(HTML / "_sources").as_posix()
        if relative.startswith("exercises/"):
            assert path.read_bytes() in released, relative
        else:
            assert relative.removesuffix(".ipynb") in chapter_entries(), relative


def test_homework_is_numbered_in_reading_order(browser, site_url):
    """The homework page numbers its assignments 1, 2, 3... in the order of the sidebar,
    and each points to the assignment that follows its chapter in the book."""
    page = browser.new_page()
    page.goto(f"{site_url}/book/homework.html", wait_until="load")
    terms = page.eval_on_selector_all(
        "main dl dt", "dts => dts.map(dt => dt.textContent.trim())")
    read_links = page.eval_on_selector_all(
        "main dl dd a.internal[href*='exercises/']",
        "links => links.map(a => a.getAttribute('href'))")
    page.close()
    numbered = [t for t in terms if t.startswith("Assignment ")]
    assert [int(re.match(r"Assignment (\d+):", t).group(1)) for t in numbered] == \
        list(range(1, len(numbered) + 1))
    sidebar = [entry for entry in toc_files() if entry.startswith("exercises/")]
    pages = [re.sub(r"^\.\./|\.html.*$", "", href) for href in read_links]
    assert list(dict.fromkeys(pages)) == sidebar
    chapters = [entry for entry in toc_files() if entry.startswith("book/")]
    first_chapter = {"two_views": "book/two_views", "gradients": "book/how_it_learns",
                     "layer": "book/anatomy",
                     "regularizers_constraints": "book/regularizers_constraints",
                     "downstream": "book/downstream", "masking": "book/masking"}
    order = [chapters.index(first_chapter[entry.split("/")[1]]) for entry in sidebar]
    assert order == sorted(order), sidebar


def numbered_chapters() -> list[str]:
    """The chapters of the toc's numbered parts (Parts I-IV), in reading order."""
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    return [chapter["file"] for part in toc["parts"] if part.get("numbered")
            for chapter in part["chapters"]]


@pytest.mark.parametrize("entry", numbered_chapters())
def test_chapter_self_check_gives_instant_feedback(browser, site_url, entry):
    """Each chapter ends with 3-6 self-check questions (at least one numeric); a wrong
    choice says "Not quite", the right one "Correct", and the numeric answer computed by
    the chapter's code is accepted while a wrong number is refused."""
    page = open_page(browser, f"{site_url}/{entry}.html", DESKTOP)
    questions = page.locator("main .selfcheck .sc-question")
    assert 3 <= questions.count() <= 6
    choice = page.locator("main .sc-choice").first
    feedback = choice.locator(".sc-feedback")
    choice.locator("input[data-correct='0']").first.check()
    assert feedback.inner_text().startswith("Not quite")
    choice.locator("input[data-correct='1']").check()
    assert feedback.inner_text().startswith("Correct")
    number = page.locator("main .sc-numeric").first
    answer = float(number.get_attribute("data-answer"))
    number.locator("input").fill(str(answer * 3 + 1000))
    number.locator("button").click()
    assert number.locator(".sc-feedback").inner_text().startswith("Not quite")
    number.locator("input").fill(repr(answer))
    number.locator("input").press("Enter")
    assert number.locator(".sc-feedback").inner_text().startswith("Correct")
    page.close()


@pytest.mark.parametrize("entry", numbered_chapters())
def test_chapter_exercises_keep_solutions_folded(browser, site_url, entry):
    """Each chapter has 2-4 numbered exercises; each solution stays hidden until its
    toggle is pressed."""
    page = open_page(browser, f"{site_url}/{entry}.html", DESKTOP)
    exercises = page.locator("main div.exercise")
    assert 2 <= exercises.count() <= 4
    solution = page.locator("main div.solution.dropdown").first
    body = solution.locator(".admonition-title ~ *").first
    assert not body.is_visible()
    solution.locator("button.toggle-button").click()
    body.wait_for(state="visible")
    page.close()


def test_word_vector_explorer_steps_through_epochs(browser, site_url):
    """The end-to-end chapter's explorer draws one point per word; hovering a point
    names its word, and moving the epoch slider moves the points."""
    page = open_page(browser, f"{site_url}/book/end_to_end.html", DESKTOP)
    figure = page.locator("main figure.wordvec")
    points = figure.locator("svg circle")
    data = page.evaluate("JSON.parse(document.querySelector('.wordvec-data').textContent)")
    assert points.count() == len(data["words"]) > 10
    slider = figure.locator("input[type=range]")
    assert int(slider.get_attribute("max")) == len(data["frames"]) - 1
    far = max(range(len(data["words"])), key=lambda i: sum(x * x for x in data["frames"][-1][i]))
    point = points.nth(far)  # a word far out, clear of the crowd at the origin
    point.hover()
    tip = figure.locator(".wv-tip")
    assert tip.is_visible() and tip.inner_text().startswith(point.get_attribute("data-word"))
    last = [point.get_attribute("cx"), point.get_attribute("cy")]
    slider.fill("0")
    assert [point.get_attribute("cx"), point.get_attribute("cy")] != last
    assert "before training" in figure.locator("output").inner_text()
    figure.get_by_role("button", name="Zoom in").click()
    page.close()
