"""Check that the built documentation reads with no network, in a real browser.

Usage::

    python .ci/check_docs.py HTML_DIR [--chromium /usr/bin/chromium]

HTML_DIR is the output of ``python -m sphinx -b html docs HTML_DIR``. The pages are
opened from disk (file:// URLs) in headless Chromium, driven by Playwright; every
request that leaves the disk is refused, as it would fail for a reader with no
network. The checks:

- no page of the site takes a script, style sheet, icon or image from the network
  (read from the HTML of every page), and no page opened asks the network for
  anything (a font named by a style sheet, a script loaded by another);
- on the user guide pages, and on every other page with formulas, MathJax has
  rendered each formula: ``mjx-container`` elements are there, none holds a TeX
  error, no MathJax font failed to load, and the page's visible text shows no raw
  ``\\(`` or ``\\[`` delimiter;
- on the gallery's index and on each of its pages, every image has loaded; the
  index and each example that the gallery ran (``plot_*``) show at least one;
- none of these pages asked for a file that is missing from the build.

It prints one line per page opened and exits with status 1 if any check failed.
Needs ``pip install playwright`` and Chromium (Debian: ``apt-get install
chromium``); it uses that Chromium, not one downloaded by Playwright.
"""

import argparse
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

# Flags for a headless Chromium that stays quiet: no background requests of its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Schemes that a page read from disk can use with no network.
LOCAL_SCHEMES = {"file", "data", "blob", "about"}

# Tags and attributes that load something the page needs to be read. <a href> and
# <link rel="next"> and the like are links a reader may follow, not assets.
ASSET_LINK_RELS = {"stylesheet", "icon", "shortcut", "preload", "modulepreload"}


class _AssetParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.assets = []  # (tag, url)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link":
            rels = set((attrs.get("rel") or "").lower().split())
            if rels & ASSET_LINK_RELS and attrs.get("href"):
                self.assets.append((tag, attrs["href"]))
        elif tag in {"script", "img", "iframe", "embed", "source", "video", "audio"}:
            for name in ("src", "poster"):
                if attrs.get(name):
                    self.assets.append((tag, attrs[name]))
            # srcset: "url [descriptor], url [descriptor], ..."
            for candidate in (attrs.get("srcset") or "").split(","):
                if candidate.strip():
                    self.assets.append((tag, candidate.split()[0]))
        elif tag == "object" and attrs.get("data"):
            self.assets.append((tag, attrs["data"]))


def is_remote(url):
    """Whether *url* needs the network: an absolute URL of another scheme than
    those of a page read from disk, or a protocol-relative one (``//host/...``)."""
    url = url.strip()
    if url.startswith("//"):
        return True
    scheme = urlsplit(url).scheme.lower()
    return bool(scheme) and scheme not in LOCAL_SCHEMES


def site_pages(html_dir):
    """The HTML pages of the site (not the theme's templates in _static/)."""
    return [
        path
        for path in sorted(html_dir.rglob("*.html"))
        if "_static" not in path.relative_to(html_dir).parts
    ]


def remote_assets(pages, html_dir):
    """The (page, tag, url) of every asset that one of *pages* takes from the
    network."""
    found = []
    for path in pages:
        parser = _AssetParser()
        parser.feed(path.read_text(encoding="utf-8", errors="replace"))
        for tag, url in parser.assets:
            if is_remote(url):
                found.append((path.relative_to(html_dir).as_posix(), tag, url))
    return found


def has_math(path):
    return 'class="math' in path.read_text(encoding="utf-8", errors="replace")


# Waits for MathJax's first typesetting (MathJax 3 and later), then reads the page.
MATH_JS = """
async () => {
  const MJ = window.MathJax;
  const loaded = !!(MJ && MJ.startup && MJ.startup.promise);
  if (loaded) {
    await MJ.startup.promise;
  }
  await document.fonts.ready;
  const maths = Array.from(document.querySelectorAll(".math"));
  const text = document.body.innerText;
  const raw = [];
  for (const delim of ["\\\\(", "\\\\["]) {
    const i = text.indexOf(delim);
    if (i >= 0) raw.push(text.slice(Math.max(0, i - 20), i + 40).replace(/\\s+/g, " "));
  }
  return {
    loaded: loaded,
    version: loaded ? (MJ.version || "?") : null,
    maths: maths.length,
    containers: document.querySelectorAll("mjx-container").length,
    unrendered: maths.filter((m) => !m.querySelector("mjx-container")).length,
    errors: Array.from(document.querySelectorAll("mjx-merror"))
      .map((e) => e.textContent).slice(0, 3),
    fontErrors: Array.from(document.fonts)
      .filter((f) => f.status === "error").map((f) => f.family),
    raw: raw,
    scripts: Array.from(document.scripts).map((s) => s.src)
      .filter((s) => /mathjax/i.test(s)),
  };
}
"""

# Waits for every image to finish, loaded or not, then tells which did not load.
IMAGES_JS = """
async () => {
  const imgs = Array.from(document.images);
  for (const img of imgs) img.loading = "eager";
  await Promise.all(imgs.map((img) => img.complete ? null : new Promise((done) => {
    img.addEventListener("load", done, {once: true});
    img.addEventListener("error", done, {once: true});
  })));
  return imgs.map((img) => ({
    src: img.getAttribute("src"),
    ok: img.complete && img.naturalWidth > 0,
  }));
}
"""


class Checker:
    def __init__(self, html_dir, browser, timeout):
        self.html_dir = html_dir
        self.browser = browser
        self.timeout_ms = timeout * 1000
        self.failures = 0

    def report(self, page_name, problems, summary):
        if problems:
            self.failures += 1
            print(f"FAIL {page_name}: {summary}")
            for problem in problems:
                print(f"     - {problem}")
        else:
            print(f"ok   {page_name}: {summary}")

    def open(self, path):
        """Open *path* from disk in a fresh context; return the page, the requests
        refused (network) and those that failed (files missing from the build)."""
        context = self.browser.new_context()
        page = context.new_page()
        page.set_default_timeout(self.timeout_ms)
        refused, failed = [], []

        def route(route):
            if urlsplit(route.request.url).scheme in LOCAL_SCHEMES:
                route.continue_()
            else:
                refused.append(route.request.url)
                route.abort("internetdisconnected")

        def on_failed(request):
            url = request.url
            if urlsplit(url).scheme == "file":
                failed.append(unquote(urlsplit(url).path))

        page.route("**/*", route)
        page.on("requestfailed", on_failed)
        page.goto(path.resolve().as_uri(), wait_until="load")
        return context, page, refused, failed

    def network_problems(self, refused, failed):
        problems = [f"asked the network for {url}" for url in refused]
        for missing in failed:
            try:
                shown = Path(missing).relative_to(self.html_dir.resolve()).as_posix()
            except ValueError:
                shown = missing
            problems.append(f"could not load {shown}")
        return problems

    def check_math(self, path, required):
        name = path.relative_to(self.html_dir).as_posix()
        context, page, refused, failed = self.open(path)
        try:
            r = page.evaluate(MATH_JS)
        finally:
            context.close()
        problems = []
        if not r["loaded"]:
            scripts = ", ".join(r["scripts"]) or "no MathJax <script> on the page"
            problems.append(f"MathJax did not load ({scripts})")
        if required and r["maths"] == 0:
            problems.append("no formula found on a page of the user guide")
        if r["maths"] and r["containers"] == 0:
            problems.append(
                f"no mjx-container: none of the {r['maths']} formulas was rendered"
            )
        elif r["unrendered"]:
            problems.append(f"{r['unrendered']} of {r['maths']} formulas not rendered")
        problems += [f"TeX error rendered: {text!r}" for text in r["errors"]]
        problems += [f"font failed to load: {family}" for family in r["fontErrors"]]
        problems += [
            f"raw TeX delimiter in the visible text: ...{s}..." for s in r["raw"]
        ]
        problems += self.network_problems(refused, failed)
        version = f" (MathJax {r['version']})" if r["loaded"] else ""
        summary = (
            f"{r['maths']} formulas found, {r['containers']} rendered by MathJax"
            + version
        )
        self.report(name, problems, summary)

    def check_images(self, path, required):
        name = path.relative_to(self.html_dir).as_posix()
        context, page, refused, failed = self.open(path)
        try:
            images = page.evaluate(IMAGES_JS)
        finally:
            context.close()
        broken = [img["src"] for img in images if not img["ok"]]
        problems = [f"image not loaded: {src}" for src in broken]
        if required and not images:
            problems.append("no image on a page that should show figures")
        problems += self.network_problems(refused, failed)
        summary = f"{len(images) - len(broken)}/{len(images)} images loaded"
        self.report(name, problems, summary)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html_dir", type=Path, help="the built HTML documentation")
    parser.add_argument(
        "--chromium",
        default="/usr/bin/chromium",
        help="the Chromium executable (default: %(default)s)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=60,
        help="seconds allowed for one page to load and render (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    html_dir = args.html_dir.resolve()
    if not (html_dir / "index.html").is_file():
        parser.error(f"{html_dir} has no index.html: not a built HTML documentation")
    if not Path(args.chromium).is_file():
        parser.error(f"no Chromium at {args.chromium} (apt-get install chromium)")

    failures = 0
    pages = site_pages(html_dir)
    remote = remote_assets(pages, html_dir)
    for page_name, tag, url in remote:
        print(f"FAIL {page_name}: <{tag}> loads {url} from the network")
    failures += bool(remote)
    print(
        f"{'FAIL' if remote else 'ok  '} all {len(pages)} pages: {len(remote)} "
        "scripts, style sheets or images taken from the network"
    )

    guide = [html_dir / "user_guide.html", *sorted(html_dir.glob("user_guide/*.html"))]
    guide = [p for p in guide if p.is_file()]
    other_math = [p for p in pages if p not in guide and has_math(p)]
    gallery_index = html_dir / "auto_examples" / "index.html"
    gallery = sorted(
        p for p in html_dir.glob("auto_examples/*.html") if p != gallery_index
    )

    problems = []
    if not any(has_math(p) for p in guide):
        problems.append("no page of the user guide (user_guide*.html) has formulas")
    if not gallery_index.is_file():
        problems.append("no gallery index (auto_examples/index.html)")
    if not gallery:
        problems.append("no gallery page (auto_examples/*.html)")
    for problem in problems:
        print(f"FAIL {problem}")
    failures += len(problems)

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        parser.error("Playwright is missing: pip install playwright")

    # Playwright starts Chromium on a new, empty profile of its own (a temporary
    # --user-data-dir), removed when the browser closes.
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=args.chromium, args=CHROMIUM_ARGS, headless=True
        )
        checker = Checker(html_dir, browser, args.timeout)
        try:
            for path in guide:
                checker.check_math(path, required=True)
            for path in other_math:
                checker.check_math(path, required=False)
            for path in [gallery_index, *gallery]:
                if path.is_file():
                    required = path == gallery_index or path.name.startswith("plot_")
                    checker.check_images(path, required)
        finally:
            browser.close()
    failures += checker.failures

    if failures:
        print(f"check_docs: {failures} failed check(s) in {html_dir}")
        return 1
    print(f"check_docs: all pages of {html_dir} read with no network")
    return 0


if __name__ == "__main__":
    sys.exit(main())
