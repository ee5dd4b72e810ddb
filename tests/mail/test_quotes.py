"""split_reply: new text, quoted history and signature, in Hungarian and English."""

from __future__ import annotations

import time

import pytest

from inbox_triage.mail.quotes import MAX_SPLIT_CHARS, split_reply

REQUEST = "Kérem, töröljék az összes személyes adatomat."


@pytest.mark.parametrize(
    "header",
    [
        "On Mon, 3 Mar 2025 at 10:12, Support <info@clmaster.eu> wrote:",
        "On 3 Mar 2025, at 10:12, Support <info@clmaster.eu> wrote:",
        "2025. márc. 3., hétfő 10:12 időpontban Support <info@clmaster.eu> ezt írta:",
        "Support <info@clmaster.eu> ezt írta (időpont: 2025. márc. 3., H, 10:12):",
        "2025.03.03. 10:12 keltezéssel, Support írta:",
        "Support <info@clmaster.eu> wrote:",
        "Am Di., 3. März 2025 um 10:12 Uhr schrieb Support <info@clmaster.eu>:",
        "Am 03.03.2025 um 10:12 schrieb Support:",
        "Support <info@clmaster.eu> schrieb:",
    ],
)
def test_attribution_followed_by_quote_lines(header: str) -> None:
    """GIVEN a reply whose history starts with an attribution line and "> " lines
    WHEN it is split
    THEN the request is new and the attribution with the quote is quoted.
    """
    new, quoted, signature = split_reply(f"{REQUEST}\n\n{header}\n> Tisztelt Ügyfelünk!\n> ...\n")

    assert new == REQUEST
    assert quoted == f"{header}\n> Tisztelt Ügyfelünk!\n> ..."
    assert signature == ""


def test_attribution_wrapped_over_two_lines() -> None:
    """GIVEN a Gmail attribution wrapped before the address
    WHEN it is split
    THEN both lines go to the quote and the sentence above stays new.
    """
    text = (
        f"{REQUEST}\n\nOn Mon, 3 Mar 2025 at 10:12, Cloudmaster Ügyfélszolgálat <\n"
        "info@clmaster.eu> wrote:\n\n> Old text\n"
    )
    new, quoted, _ = split_reply(text)

    assert new == REQUEST
    assert quoted.splitlines()[:2] == [
        "On Mon, 3 Mar 2025 at 10:12, Cloudmaster Ügyfélszolgálat <",
        "info@clmaster.eu> wrote:",
    ]


def test_attribution_without_quote_marks_starts_history() -> None:
    """GIVEN an HTML-converted reply: attribution followed by unmarked old text
    WHEN it is split
    THEN everything from the attribution on is quoted.
    """
    text = (
        f"{REQUEST}\n\nOn Mon, 3 Mar 2025 at 10:12, Support <info@clmaster.eu> wrote:\nOld text\n"
    )
    new, quoted, _ = split_reply(text)

    assert new == REQUEST
    assert quoted.endswith("wrote:\nOld text")


@pytest.mark.parametrize(
    "separator",
    [
        "----- Original Message -----",
        "-----Original Message-----",
        "-----Eredeti üzenet-----",
        "----- Eredeti üzenet -----",
        "-------- Eredeti levél --------",
    ],
)
def test_original_message_separators(separator: str) -> None:
    """GIVEN a top-posted reply with an "Original Message" style separator
    WHEN it is split
    THEN the separator and everything below it is quoted.
    """
    new, quoted, _ = split_reply(f"{REQUEST}\n\n{separator}\nFrom: x\nRégi levél\n")

    assert new == REQUEST
    assert quoted == f"{separator}\nFrom: x\nRégi levél"


@pytest.mark.parametrize(
    "block",
    [
        "From: Support <info@clmaster.eu>\nSent: Monday, March 3, 2025 10:12 AM\n"
        "To: Kovács János\nSubject: RE: Adatok",
        "*From:* Support <info@clmaster.eu>\n*Sent:* Monday, March 3, 2025 10:12 AM\n"
        "*To:* Kovács János\n*Subject:* RE: Adatok",
        "Feladó: Support <info@clmaster.eu>\nElküldve: 2025. március 3., hétfő 10:12\n"
        "Címzett: Kovács János\nTárgy: Adatok",
        "Feladó: Support <info@clmaster.eu>\nDátum: 2025. március 3., hétfő 10:12\n"
        "Címzett: Kovács János\nTárgy: Adatok",
    ],
)
def test_outlook_header_blocks(block: str) -> None:
    """GIVEN an Outlook reply with a From/Sent (Feladó/Elküldve) block under a rule
    WHEN it is split
    THEN the rule, the block and the old text are quoted.
    """
    text = f"{REQUEST}\n\n________________________________\n{block}\n\nRégi szöveg\n"
    new, quoted, _ = split_reply(text)

    assert new == REQUEST
    assert quoted.startswith("________________________________\n")
    assert quoted.endswith("Régi szöveg")


def test_from_line_without_a_header_block_is_not_history() -> None:
    """GIVEN request text containing a "From:" line that is not an Outlook header block
    WHEN it is split
    THEN nothing is quoted.
    """
    text = f"{REQUEST}\nFrom: my old address kovacs@old.example\nPlease use the new one."
    assert split_reply(text) == (text, "", "")


def test_interleaved_answers_stay_new() -> None:
    """GIVEN a bottom-posted reply answering between quoted lines
    WHEN it is split
    THEN the answers are new text and only the "> " lines are quoted.
    """
    text = "> Mit kér?\nAz adataim törlését.\n> Melyik fiókét?\nA kovacs@example.hu fiókét.\n"
    new, quoted, _ = split_reply(text)

    assert new == "Az adataim törlését.\nA kovacs@example.hu fiókét."
    assert quoted == "> Mit kér?\n> Melyik fiókét?"


def test_bottom_posting_after_attribution_keeps_request() -> None:
    """GIVEN an attribution and quote first, then the sender's answer below
    WHEN it is split
    THEN the answer below the quote is still new text.
    """
    text = "On Mon, 3 Mar 2025, Support <info@clmaster.eu> wrote:\n> Question?\n\nMy answer.\n"
    new, quoted, _ = split_reply(text)

    assert new == "My answer."
    assert quoted == "On Mon, 3 Mar 2025, Support <info@clmaster.eu> wrote:\n> Question?"


def test_everything_after_the_dash_dash_space_delimiter_is_signature() -> None:
    """GIVEN a "-- " delimiter followed by a long signature
    WHEN it is split
    THEN all lines after it are signature, however many.
    """
    signature_lines = [f"Sor {n}" for n in range(15)]
    text = REQUEST + "\n\n-- \n" + "\n".join(signature_lines)
    new, quoted, signature = split_reply(text)

    assert new == REQUEST
    assert quoted == ""
    assert signature.splitlines() == ["--", *signature_lines]


def test_signature_ends_where_history_begins() -> None:
    """GIVEN a signature followed by quoted history
    WHEN it is split
    THEN the history is quoted, not part of the signature.
    """
    text = f"{REQUEST}\n-- \nKovács János\n\n-----Eredeti üzenet-----\nRégi\n"
    new, quoted, signature = split_reply(text)

    assert (new, quoted, signature) == (
        REQUEST,
        "-----Eredeti üzenet-----\nRégi",
        "--\nKovács János",
    )


def test_bare_double_dash_before_long_text_is_not_a_signature() -> None:
    """GIVEN a bare "--" line followed by more than ten lines of text
    WHEN it is split
    THEN it is treated as part of the request, not a signature.
    """
    text = REQUEST + "\n--\n" + "\n".join(f"{n}. adat: törlendő" for n in range(12))
    assert split_reply(text) == (text, "", "")


@pytest.mark.parametrize(
    "line",
    [
        "Sent from my iPhone",
        "Sent from Mail for Windows",
        "Get Outlook for iOS",
        "Küldve iPhone-ról",
        "Küldve az iPhone-omról",
        "Küldve a Samsung Galaxy okostelefonról",
        "Küldve a Windows Levelezés alkalmazásból",
    ],
)
def test_phone_client_lines_are_signature(line: str) -> None:
    """GIVEN a phone client's line at the end of the sender's text
    WHEN it is split
    THEN that line is the signature.
    """
    assert split_reply(f"{REQUEST}\n\n{line}\n") == (REQUEST, "", line)


def test_contact_block_after_closing_and_name_is_signature() -> None:
    """GIVEN a closing, the name, and contact lines without a delimiter
    WHEN it is split
    THEN the closing and name stay new and the contact lines become the signature.
    """
    text = f"{REQUEST}\n\nÜdvözlettel,\nKovács János\n+36 30 123 4567\nwww.kovacs.hu\n"
    new, quoted, signature = split_reply(text)

    assert new == f"{REQUEST}\n\nÜdvözlettel,\nKovács János"
    assert signature == "+36 30 123 4567\nwww.kovacs.hu"
    assert quoted == ""


@pytest.mark.parametrize(
    "tail",
    [
        "Thanks\nAlso, what data do you share with partners and since when do you keep it?",
        "Köszönöm,\nKovács János\nMég egy kérdés: meddig őrzik az adataimat?",
        "Best regards,\nJohn Smith\nSenior Engineer",
    ],
)
def test_unsure_closing_blocks_stay_new(tail: str) -> None:
    """GIVEN text after a closing that is a question, long, or has no contact data
    WHEN it is split
    THEN nothing is cut from the new text.
    """
    text = f"{REQUEST}\n\n{tail}"
    assert split_reply(text) == (text, "", "")


def test_request_mentioning_what_was_written_is_not_a_quote() -> None:
    """GIVEN a sentence containing "wrote" that is not an attribution line
    WHEN it is split
    THEN it stays new text.
    """
    text = "On 3 March I wrote you: please delete my data. Nothing happened."
    assert split_reply(text) == (text, "", "")


def test_crlf_and_empty_input() -> None:
    """GIVEN CRLF line ends, and an empty text
    WHEN they are split
    THEN CRLF is handled like LF and empty input gives three empty strings.
    """
    assert split_reply(f"{REQUEST}\r\n\r\n> old\r\n") == (REQUEST, "> old", "")
    assert split_reply("") == ("", "", "")


def test_huge_text_is_split_within_bounds_and_nothing_is_lost() -> None:
    """GIVEN more than MAX_SPLIT_CHARS of text with quote lines throughout
    WHEN it is split
    THEN it finishes quickly and the text beyond the limit is kept, unsplit.
    """
    text = REQUEST + "\n" + "> quoted line\n" * (MAX_SPLIT_CHARS // 10)
    started = time.perf_counter()
    new, quoted, _ = split_reply(text)

    assert time.perf_counter() - started < 30  # a hang guard, not a speed test
    assert new == REQUEST
    assert len(new) + len(quoted) >= len(text) - text.count("\n")


@pytest.mark.parametrize(
    "text",
    [
        "On Mon, 3 Mar 2025, Support <info@clmaster.eu> wrote:\nOld text\n\nPlease delete my data.",
        "-----Original Message-----\nFrom: someone\nPlease delete my data.",
    ],
)
def test_text_starting_with_history_stays_new(text: str) -> None:
    """GIVEN a text that starts with an unmarked attribution or separator (nothing above it)
    WHEN it is split
    THEN nothing is cut, because the request may be anywhere below.
    """
    assert split_reply(text) == (text, "", "")


def test_closing_sentence_starting_with_kuldve_is_not_a_signature() -> None:
    """GIVEN a last line that starts with "Küldve" but is the sender's own sentence
    WHEN it is split
    THEN it stays in the new text.
    """
    text = f"{REQUEST}\nKüldve a kért személyi igazolvány másolata."
    assert split_reply(text) == (text, "", "")


def test_german_sentence_about_an_earlier_letter_is_not_an_attribution() -> None:
    """GIVEN a German request that mentions what the sender wrote before, ending in a colon
    WHEN it is split
    THEN nothing below it is taken for quoted history.
    """
    text = "Am Montag schrieb ich Ihnen Folgendes:\nBitte löschen Sie alle meine Daten.\n"

    new, quoted, _ = split_reply(text)

    assert "Bitte löschen Sie alle meine Daten." in new
    assert quoted == ""
