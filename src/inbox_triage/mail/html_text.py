"""HTML mail bodies as readable plain text.

Classifiers and staff both read text; HTML-only mail (common from webmail
and phones) must keep its paragraph and line structure, and script/style
content must never leak into the text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from html import unescape

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
_BREAK_NAMES = "|".join(sorted(_BLOCKS | {"br"}))
_BREAK_TAG = re.compile(rf"</?(?:{_BREAK_NAMES})(?![\w-])[^<>]*>", re.I)
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
_DROP_START = re.compile(r"<({})(?=[\s/>])".format("|".join(sorted(_DROP))))
_ANY_TAG = re.compile(r"<[^<>]*>")
_SPACES_IN_LINE = re.compile(r"[^\S\n\xa0]+")
_LINE_SPACES = re.compile(r" ?\n ?")
# bs4's html.parser builder remembers every void start tag (<br>, <img>) in a list that
# it scans for each end tag: quadratic, ~100 s for 1 MB of "<div>x<br></div>". Past
# this many (void tags x end tags), void tags are rewritten self-closing, which bs4
# does not remember; ~0.5 s of scanning at most.
_VOID_SCAN_BUDGET = 40_000_000
_VOID_NAMES = (
    "area", "base", "basefont", "bgsound", "br", "col", "command", "embed", "frame", "hr",
    "image", "img", "input", "isindex", "keygen", "link", "menuitem", "meta", "nextid",
    "param", "source", "spacer", "track", "wbr",
)  # fmt: skip
_VOID_SET = frozenset(_VOID_NAMES)
_VOID_START = re.compile(r"<({})(?=[\t\n\r\f />\x00])".format("|".join(_VOID_NAMES)), re.I)
# bs4 walks up every ancestor when it adds a node after a closed sibling: quadratic in
# the nesting depth (30 s for 500 kB of unclosed "<html><head><title>t</title>").
# Markup nested deeper than this is read by stripping tags instead.
MAX_HTML_DEPTH = 300
_TAG_TOKEN = re.compile(r"<(/?)([a-zA-Z][^\t\n\r\f />\x00<]{0,64})([^<>]{0,2000})>")
# The rest of a start tag: bounded, quote-aware (a quoted ">" does not end it).
_TAG_REST = re.compile(r"""(?:[^<>"']|"[^"]{0,1000}"|'[^']{0,1000}'){0,200}>""")


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
    html = _close_void_tags(_defuse(_XML_DECLARATION.sub("", html, count=1)))
    if _nested_deeper_than(html, MAX_HTML_DEPTH):
        return rough_html_text(html), truncated
    # The leading space and the dropped XML declaration keep bs4 from warning
    # that the markup looks like a URL or like XML (XHTML mail is common).
    soup = BeautifulSoup(" " + html, "html.parser")
    return _finish(_SPACES.sub(" ", "".join(_render(soup)))), truncated


def rough_html_text(html: str) -> str:
    """Text of HTML by stripping tags: linear and cheap, for markup beyond the budget.

    Script, style, title (...) content is dropped (an unclosed one swallows the rest);
    block tags and <br> end lines; entities are decoded.
    """
    lower = html.lower()
    kept: list[str] = []
    position = 0
    while (found := _DROP_START.search(lower, position)) is not None:
        kept.append(html[position : found.start()])
        end = lower.find("</" + found.group(1), found.end())
        position = len(html) if end == -1 else end
    kept.append(html[position:])
    text = unescape(_ANY_TAG.sub(" ", _BREAK_TAG.sub("\n", "".join(kept))))
    text = _LINE_SPACES.sub("\n", _SPACES_IN_LINE.sub(" ", text))
    return _BLANK_LINES.sub("\n\n", text).strip()


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


def _close_void_tags(html: str) -> str:
    """Void start tags as `<br/>` when there are enough of them to make bs4 quadratic.

    The text rendering never reads their attributes; a void tag too odd to rewrite
    becomes text, so none is left for bs4 to remember.
    """
    if len(_VOID_START.findall(html)) * html.count("</") <= _VOID_SCAN_BUDGET:
        return html
    out: list[str] = []
    position = 0
    for start in _VOID_START.finditer(html):
        if start.start() < position:
            continue
        out.append(html[position : start.start()])
        rest = _TAG_REST.match(html, start.end())
        if rest:
            out.append(f"<{start.group(1).lower()}/>")
            position = rest.end()
        else:
            out.append("&lt;")
            position = start.start() + 1
    out.append(html[position:])
    return "".join(out)


def _nested_deeper_than(html: str, limit: int) -> bool:
    """Whether bs4 would nest elements deeper than `limit`, by replaying its stack.

    Start tags push (void and self-closed ones do not); an end tag pops up to the
    nearest open element of its name, and is ignored when there is none.
    """
    stack: list[str] = []
    open_names: Counter[str] = Counter()
    for tag in _TAG_TOKEN.finditer(html):
        name = tag.group(2).lower()
        if tag.group(1):
            if open_names[name]:
                while (top := stack.pop()) != name:
                    open_names[top] -= 1
                open_names[name] -= 1
        elif name not in _VOID_SET and not tag.group(3).endswith("/"):
            stack.append(name)
            open_names[name] += 1
            if len(stack) > limit:
                return True
    return False


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
