"""Checks of the built HTML site: offline, and every internal link resolves.

``python docs/check_site.py docs/_build/html`` prints one line per problem and
exits 1 if there is any (``make docs`` runs it after the build):

- **external resources**: a ``<script src>``, a stylesheet, font or preload
  ``<link href>``, an ``<img src>``, an ``<iframe src>``, or a CSS ``url()`` /
  ``@import`` that points at another host (``http:``, ``https:`` or ``//``):
  the site must work with no network;
- **formulas**: every page with a formula loads MathJax from the site itself,
  and that file exists;
- **internal links**: every relative ``href``/``src`` names a file of the site,
  and its ``#fragment`` an ``id`` (or ``name``) in that file.

Links to other sites in ``<a href>`` are fine (a reader may follow them).
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.I)
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)
CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)""", re.I)
MARKUP_URL = re.compile(r"""(?:href|src)\s*=\s*['"]([^'"]+)""", re.I)
RESOURCE_RELS = {"stylesheet", "preload", "prefetch", "modulepreload", "icon", "font"}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.resources: list[tuple[str, str]] = []  # (tag, url) that the browser loads
        self.styles: list[str] = []
        self.has_math = False
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        for key in ("id", "name"):
            if key in a and (key == "id" or tag == "a"):
                self.ids.add(a[key])
        if "math" in a.get("class", "").split():
            self.has_math = True
        if tag == "a" and "href" in a:
            self.links.append((tag, "href", a["href"]))
        if tag in ("script", "img", "iframe", "source", "video", "audio") and a.get("src"):
            self.resources.append((tag, a["src"]))
            self.links.append((tag, "src", a["src"]))
        if tag == "link" and a.get("href"):
            rels = set(a.get("rel", "").lower().split())
            if rels & RESOURCE_RELS:
                self.resources.append((f"link rel={a.get('rel')}", a["href"]))
            self.links.append((tag, "href", a["href"]))
        if tag == "style":
            self._in_style = True
        if a.get("style"):
            self.styles.append(a["style"])

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def check_site(root: Path) -> list[str]:
    """Every problem found in the built site under ``root``, one line each."""
    root = Path(root).resolve()
    problems: list[str] = []
    pages = sorted(root.rglob("*.html"))
    if not pages:
        return [f"{root}: no HTML pages"]
    parsed = {p: _parse(p) for p in pages}

    for page, info in parsed.items():
        rel = page.relative_to(root)
        for tag, url in info.resources:
            if EXTERNAL.match(url.strip()):
                problems.append(f"{rel}: external resource <{tag}> {url}")
        for css in info.styles:
            urls = CSS_URL.findall(css) + MARKUP_URL.findall(css)  # markup pasted into <style>
            for url in urls:
                if EXTERNAL.match(url):
                    problems.append(f"{rel}: external resource in inline CSS {url}")
        if info.has_math:
            scripts = [u for t, u in info.resources if t == "script" and "mathjax" in u.lower()]
            if not scripts:
                problems.append(f"{rel}: has formulas but loads no MathJax")
            for url in scripts:
                if not EXTERNAL.match(url) and not (page.parent / urlsplit(url).path).is_file():
                    problems.append(f"{rel}: MathJax script {url} is missing")

    for css in sorted(root.rglob("*.css")):
        for url in CSS_URL.findall(css.read_text(encoding="utf-8", errors="replace")):
            if EXTERNAL.match(url):
                problems.append(f"{css.relative_to(root)}: external resource {url}")

    for page, info in parsed.items():
        rel = page.relative_to(root)
        for tag, attr, url in info.links:
            url = url.strip()
            if not url or EXTERNAL.match(url) or SCHEME.match(url):
                continue  # other sites (for <a>), mailto:, javascript:, data:
            parts = urlsplit(url)
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if parts.path and target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                problems.append(f"{rel}: <{tag} {attr}> {url}: no such file")
                continue
            if root not in target.parents and target != root:
                problems.append(f"{rel}: <{tag} {attr}> {url}: outside the site")
                continue
            frag = unquote(parts.fragment)
            if frag and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parse(target).ids
                if frag not in ids:
                    problems.append(f"{rel}: <{tag} {attr}> {url}: no id {frag!r} in the target")
    return problems


def main(argv: list[str]) -> int:
    root = Path(argv[0] if argv else "docs/_build/html")
    problems = check_site(root)
    for line in problems:
        print(line)
    n = len(list(root.rglob("*.html")))
    print(f"check_site: {n} pages, {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
