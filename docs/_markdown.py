"""Just enough Markdown → reStructuredText for the result files the docs include.

``benchmarks/README.md`` and ``docs/*.md`` (benchmark tables, reproductions
of published results) are written in Markdown, which Sphinx cannot read
without an extra parser.  They use a small subset: ``#`` headings, pipe
tables, bullet lists, fenced code blocks, paragraphs with ``code``,
``**bold**``, ``*italics*`` and ``[links](url)``.  :func:`md_to_rst`
converts that subset; :func:`include_markdown` checks the result with
docutils and falls back to showing the file verbatim if anything in it did
not convert cleanly, so an unusual file never breaks the ``-W`` build.
"""

from __future__ import annotations

import re

_HEADING_CHARS = {1: "=", 2: "-", 3: "~", 4: "^"}


def _inline(text: str) -> str:
    # code spans first: their content must not be touched by the other rules
    parts = re.split(r"(`[^`]+`)", text)
    out = []
    for part in parts:
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(f"``{part[1:-1]}``")
            continue
        # a word ending in "_" would be a reST reference: escape the underscore
        part = re.sub(r"(?<=\w)_(?=\W|$)", r"\\_", part)
        # "|x - y|" would be a substitution reference: a pipe is plain text here
        part = part.replace("|", r"\|")
        part = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r"`\1 <\2>`__", part)
        out.append(part)
    return "".join(out)


def _cells(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|"):
        line = line[:-1]
    return [c.strip() for c in line.split("|")]


def _is_rule(line: str) -> bool:
    return bool(re.fullmatch(r"\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*", line))


def _table(rows: list[list[str]]) -> list[str]:
    header, body = rows[0], rows[1:]
    out = [".. list-table::", "   :header-rows: 1", ""]
    for row in [header, *body]:
        row = row + [""] * (len(header) - len(row))
        for k, cell in enumerate(row[: len(header)]):
            lead = "   * - " if k == 0 else "     - "
            out.append(lead + (_inline(cell) or r"\ "))
    out.append("")
    return out


def md_to_rst(text: str, top_level: int = 2) -> str:
    """Convert the Markdown subset; ``#`` becomes a heading of level ``top_level``."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = re.match(r"\s*```(\w*)", line)
        if fence:
            lang = fence.group(1) or "text"
            body = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                body.append(lines[i])
                i += 1
            i += 1
            out += [f".. code:: {lang}", ""] + [f"   {b}" for b in body] + [""]
            continue
        heading = re.match(r"(#{1,4})\s+(.*?)\s*#*\s*$", line)
        if heading:
            level = min(len(heading.group(1)) - 1 + top_level, 4)
            title = _inline(heading.group(2))
            out += ["", title, _HEADING_CHARS[level] * max(len(title), 3), ""]
            i += 1
            continue
        if line.strip().startswith("|") and i + 1 < len(lines) and _is_rule(lines[i + 1]):
            rows = [_cells(line)]
            i += 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            out += [""] + _table(rows)
            continue
        bullet = re.match(r"(\s*)[-*+]\s+(.*)", line)
        if bullet:
            if (
                out
                and out[-1].strip()
                and not re.match(r"\s*- ", out[-1])
                and not out[-1].startswith("  ")
            ):
                out.append("")
            out.append(f"{bullet.group(1)}- {_inline(bullet.group(2))}")
            i += 1
            continue
        if out and re.match(r"\s*- ", out[-1]) and line.strip() and line.startswith(" "):
            out.append("  " + _inline(line.strip()))  # continuation of a bullet
            i += 1
            continue
        if line.strip() and out and re.match(r"\s*- ", out[-1]) and not line.startswith(" "):
            out.append("")
        out.append(_inline(line))
        i += 1
    return "\n".join(out).strip("\n") + "\n"


def rst_is_clean(text: str) -> bool:
    """Whether docutils parses ``text`` without any warning or error."""
    import docutils.core
    import docutils.nodes

    doctree = docutils.core.publish_doctree(
        text,
        settings_overrides={"report_level": 5, "halt_level": 5, "warning_stream": False},
    )
    if any(True for _ in doctree.findall(docutils.nodes.problematic)):
        return False  # e.g. an undefined substitution (its message stays with the transform)
    return not any(m["level"] >= 2 for m in doctree.findall(docutils.nodes.system_message))


def include_markdown(path, relative_to_inc: str, top_level: int = 2) -> str:
    """reST for the Markdown file ``path``: converted, or verbatim if that is unsafe.

    ``relative_to_inc`` is the path of the file as seen from the generated
    ``.inc`` file, for the verbatim fallback.
    """
    text = md_to_rst(path.read_text(encoding="utf-8"), top_level=top_level)
    if rst_is_clean(text):
        return text
    return f".. literalinclude:: {relative_to_inc}\n   :language: markdown\n"
