"""HTML mail bodies as readable plain text.

Classifiers and staff both read text; HTML-only mail (common from webmail
and phones) must keep its paragraph and line structure, and script/style
content must never leak into the text.
"""

from __future__ import annotations

import re
import warnings

from bs4 import BeautifulSoup

#: Largest HTML converted; the parser is pure Python, so the rest is cut.
MAX_HTML_CHARS = 2 * 1024 * 1024

_DROP = ["script", "style", "head", "title", "noscript", "template", "svg", "object"]
_BLOCKS = [
    "p", "div", "li", "tr", "table", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3",
    "h4", "h5", "h6", "blockquote", "pre", "hr", "section", "article", "header",
    "footer", "address", "center", "form", "fieldset", "figure", "main", "nav",
]  # fmt: skip
_CELLS = ["td", "th"]
# Private-use characters mark line breaks while HTML whitespace collapses:
# a <br> always ends a line, a block boundary only ends a non-empty one.
_BR = "\ue000"
_BLOCK = "\ue001"
_SPACES = re.compile(r"[^\S\xa0]+")  # nbsp is content: Outlook's empty lines are <p>&nbsp;</p>
_MARKER_RUN = re.compile("[ \ue000\ue001]*[\ue000\ue001][ \ue000\ue001]*")
_BLANK_LINES = re.compile(r"\n{3,}")


def html_to_text(html: str) -> str:
    """Readable text of an HTML document: blocks and <br> become line breaks."""
    html = html.replace(_BR, " ").replace(_BLOCK, " ")[:MAX_HTML_CHARS]
    if "<" not in html:
        return _finish(_SPACES.sub(" ", html))
    with warnings.catch_warnings():
        # bs4 warns about markup that resembles a URL or XML; mail is neither.
        warnings.simplefilter("ignore")
        soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(_DROP):
        tag.decompose()
    for pre in soup.find_all("pre"):
        for string in pre.find_all(string=True):
            string.replace_with(string.replace("\n", _BR))
    for tag in soup.find_all("br"):
        tag.replace_with(_BR)
    for tag in soup.find_all(_BLOCKS):
        tag.insert_before(_BLOCK)
        tag.insert_after(_BLOCK)
    for tag in soup.find_all(_CELLS):
        tag.insert_after(" ")
    return _finish(_SPACES.sub(" ", soup.get_text()))


def _line_breaks(run: re.Match[str]) -> str:
    """Newlines for a run of markers, as a browser would lay the lines out."""
    count = 0
    line_has_text = True
    for char in run.group():
        if char == _BR or (char == _BLOCK and line_has_text):
            count += 1
            line_has_text = False
    return "\n" * count


def _finish(text: str) -> str:
    """Turn markers into newlines; trim lines; keep at most one blank line."""
    text = _MARKER_RUN.sub(_line_breaks, text)
    lines = [line.strip().replace("\xa0", " ") for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
