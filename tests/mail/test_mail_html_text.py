"""HTML bodies as readable text."""

from __future__ import annotations

import time

from inbox_triage.mail.html_text import MAX_HTML_CHARS, convert_html, html_to_text


def test_gmail_divs_and_brs_become_lines() -> None:
    """GIVEN Gmail-style HTML: one <div> per line, <div><br></div> for blank lines
    WHEN it is converted
    THEN each div is a line and the empty divs are blank lines.
    """
    html = '<div dir="ltr">Szia!<div><br></div><div>Kérem   törölni\n az adataimat.</div></div>'

    assert html_to_text(html) == "Szia!\n\nKérem törölni az adataimat."


def test_outlook_paragraphs_and_nbsp_lines() -> None:
    """GIVEN Outlook-style <p class=MsoNormal> lines with &nbsp; blank paragraphs
    WHEN it is converted
    THEN paragraphs are lines and the &nbsp; paragraph is a blank line.
    """
    html = (
        "<p class=MsoNormal>Hello,<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p>"
        "<p class=MsoNormal>Please delete my data.</p><![if !supportLists]>1.<![endif]>"
    )

    assert html_to_text(html) == "Hello,\n\nPlease delete my data.\n1."


def test_script_style_title_and_comments_are_dropped() -> None:
    """GIVEN HTML with head, title, style, script and comments
    WHEN it is converted
    THEN only the visible body text remains.
    """
    html = (
        "<html><head><title>T</title><style>p{color:red}</style></head><body>"
        "<script>var x = 1;</script><!-- hidden --><p>Visible</p></body></html>"
    )

    assert html_to_text(html) == "Visible"


def test_lists_tables_and_entities() -> None:
    """GIVEN list items, table cells and entities
    WHEN it is converted
    THEN items are lines, cells are separated, entities are decoded.
    """
    html = (
        "<ul><li>one</li><li>two &amp; three</li></ul><table><tr><td>a</td><td>b</td></tr></table>"
    )

    assert html_to_text(html) == "one\ntwo & three\na b"


def test_body_wrongly_nested_in_head_is_kept() -> None:
    """GIVEN HTML whose <head> is never closed, so the body ends up inside it
    WHEN it is converted
    THEN the body text is still there.
    """
    assert html_to_text("<html><head><title>t</title><body>Body text</body></html>") == "Body text"


def test_inline_images_do_not_count_against_the_size_limit() -> None:
    """GIVEN HTML with a data: image larger than the size limit, and text after it
    WHEN it is converted
    THEN the text after the image is kept and nothing is reported cut.
    """
    image = "A" * (MAX_HTML_CHARS + 10)
    html = f'<p>Hi</p><img src="data:image/png;base64,{image}"><p>there</p>'

    assert convert_html(html) == ("Hi\nthere", False)


def test_deep_nesting_and_unterminated_tags_are_linear() -> None:
    """GIVEN 100,000 nested divs, and 100,000 unterminated tags
    WHEN they are converted
    THEN each finishes within seconds, keeping the text.
    """
    started = time.perf_counter()
    deep = html_to_text("<div>" * 100_000 + "deep" + "</div>" * 100_000)
    unterminated = html_to_text("<a x='1' " * 100_000)

    assert time.perf_counter() - started < 60  # a hang guard, not a speed test
    assert deep == "deep"
    assert unterminated.startswith("<a x='1'")
