"""HTML mail bodies as readable plain text.

Classifiers and staff both read text; HTML-only mail (common from webmail
and phones) must keep its paragraph and line structure, and script/style
content must never leak into the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PageElement, PreformattedString, Tag

#: Largest HTML converted (after dropping inline data: images); the parser is
#: pure Python, so longer markup is cut to keep the worst case near a second.
MAX_HTML_CHARS = 1024 * 1024

_DROP = {"script", "style", "title", "noscript", "template", "svg", "object"}
_BLOCKS = {
    "p", "div", "li", "tr", "table", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3",
    "h4", "h5", "h6", "blockquote", "pre", "hr", "section", "article", "header",
    "footer", "address", "center", "form", "fieldset", "figure", "main", "nav",
}  # fmt: skip
_CELLS = {"td", "th"}
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]{0,500}>", re.IGNORECASE)
_DATA_URI = re.compile(r"data:[\w/+.-]{0,100};base64,[A-Za-z0-9+/=\r\n]+", re.IGNORECASE)
# Outlook's <![if !supportLists]> ... <![endif]> markers, which carry no text.
_CONDITIONAL = re.compile(r"<!\[(?:end)?if[^\]>]{0,200}\]>", re.IGNORECASE)
# Private-use characters mark line breaks while HTML whitespace collapses:
# a <br> always ends a line, a block boundary only ends a non-empty one.
_BR = "\ue000"
_BLOCK = "\ue001"
_SPACES = re.compile(r"[^\S\xa0]+")  # nbsp is content: Outlook's empty lines are <p>&nbsp;</p>
_MARKER_RUN = re.compile("[ \ue000\ue001]*[\ue000\ue001][ \ue000\ue001]*")
_BLANK_LINES = re.compile(r"\n{3,}")


def html_to_text(html: str) -> str:
    """Readable text of an HTML document: blocks and <br> become line breaks."""
    return convert_html(html)[0]


def convert_html(html: str) -> tuple[str, bool]:
    """The readable text, and whether the markup was too long and got cut."""
    html = _DATA_URI.sub("data:", html.replace(_BR, " ").replace(_BLOCK, " "))
    truncated = len(html) > MAX_HTML_CHARS
    if truncated:
        html = html[:MAX_HTML_CHARS]
        html = html[: html.rfind("<")] if html.rfind("<") > html.rfind(">") else html
    if "<" not in html:
        return _finish(_SPACES.sub(" ", html)), truncated
    # The leading space and the dropped XML declaration keep bs4 from warning
    # that the markup looks like a URL or like XML (XHTML mail is common).
    soup = BeautifulSoup(" " + _defuse(_XML_DECLARATION.sub("", html, count=1)), "html.parser")
    return _finish(_SPACES.sub(" ", "".join(_render(soup)))), truncated


def _defuse(html: str) -> str:
    """Escape constructs that can never close, and drop Outlook's conditionals.

    The stdlib HTML parser rescans to the end of the input for every
    unterminated tag or comment, which is quadratic on hostile input.
    """
    html = _CONDITIONAL.sub("", html)
    for opener, closer in (("<!--", "-->"), ("<![", "]>"), ("<", ">")):
        last = html.rfind(closer)
        cut = last + len(closer) if last >= 0 else 0
        if opener in html[cut:]:
            html = html[:cut] + html[cut:].replace(opener, "&lt;" + opener[1:])
    return html


def _render(soup: BeautifulSoup) -> list[str]:
    """Text pieces and break markers of the tree, walked without recursion.

    An explicit stack keeps deeply nested (hostile) markup linear and within
    the recursion limit; the tree is never modified.
    """
    out: list[str] = []
    stack: list[tuple[Tag, Iterator[PageElement]]] = [(soup, iter(soup.contents))]
    in_pre = 0
    while stack:
        node, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            in_pre -= node.name == "pre"
            out.append(_BLOCK if node.name in _BLOCKS else " " if node.name in _CELLS else "")
        elif isinstance(child, Tag):
            if child.name == "br":
                out.append(_BR)
            elif child.name not in _DROP:
                out.append(_BLOCK if child.name in _BLOCKS else "")
                in_pre += child.name == "pre"
                stack.append((child, iter(child.contents)))
        elif isinstance(child, NavigableString) and not isinstance(child, PreformattedString):
            text = str(child)
            out.append(text.replace("\n", _BR).replace(" ", "\xa0") if in_pre else text)
    return out


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
