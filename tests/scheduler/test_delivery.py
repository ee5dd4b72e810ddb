"""Digests and reminders received by a real SMTP server on loopback, and parsed back."""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage

from support.mail import build_message
from support.smtp_sink import SmtpSink

from inbox_triage.context import AppContext
from inbox_triage.db.models import Case, Message
from inbox_triage.digest.compose import digest_send
from inbox_triage.intake.store import store_raw
from inbox_triage.pipeline import Processor
from inbox_triage.scheduler import QUEUED, scheduler_tick

ERASURE = "Tisztelt Cloudmaster Kft.!\n\nKérem, hogy töröljék az összes személyes adatomat.\n"


def open_erasure_case(app: AppContext) -> str:
    """A clear Hungarian erasure request, stored and processed as intake would."""
    stored = store_raw(app, build_message(subject="Adataim törlése", body=ERASURE), "smtp")
    Processor(app).process(stored.id)
    with app.sessions() as session:
        message = session.get(Message, stored.id)
        assert message is not None and message.case_id is not None, message and message.error
        case = session.get(Case, message.case_id)
        assert case is not None
        return case.reference


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML bodies, decoded; both must exist and be UTF-8."""
    text_part, html_part = message.get_body(("plain",)), message.get_body(("html",))
    assert text_part is not None and html_part is not None
    assert text_part.get_content_charset() == html_part.get_content_charset() == "utf-8"
    return text_part.get_content(), html_part.get_content()


def by_subject(sink: SmtpSink, start: str) -> list[EmailMessage]:
    return [m.parsed() for m in sink.messages if str(m.parsed()["Subject"]).startswith(start)]


def test_digest_and_reminder_arrive_intact(staff: AppContext, sink: SmtpSink, sched,
                                           local_clock) -> None:  # fmt: skip
    """GIVEN an erasure request received 8 March 2027 WHEN the scheduler ticks at 08:00 on
    6 April THEN each staff member gets the digest in their language, UTF-8 intact, with the
    case and its link in both parts, plus one reminder; a second tick sends nothing more."""
    local_clock(date(2027, 3, 8), 10)
    reference = open_erasure_case(staff)
    local_clock(date(2027, 4, 6), 8, 0)
    result = scheduler_tick(staff)
    assert result.digest == QUEUED and result.reminders == (f"{reference}:2",)
    assert result.sent == 4
    link = f"{sched.BASE_URL}/cases/{reference}"

    [hu] = by_subject(sink, "Adatvédelmi ügyek: napi összefoglaló")
    assert hu["Subject"] == "Adatvédelmi ügyek: napi összefoglaló – 2027. április 6."
    assert hu["To"] == sched.HU_STAFF and hu["From"].addresses[0].addr_spec == "info@clmaster.eu"
    text, html = parts(hu)
    text = text.replace("\r\n", "\n")
    assert "Napi összefoglaló – 2027. április 6., kedd" in text
    assert "5 munkanapon belül esedékes ügyek: 1" in text
    assert f"- {reference} (törlés): határidő 2027. április 7., még 1 munkanap\n  {link}\n" in text
    assert "Személyazonosságukat még nem igazolt kérelmezők: 1" in text
    assert "Az előző összefoglaló óta:" in text
    assert f'<a href="{link}">{reference}</a>' in html and "Lejárt határidejű ügyek: nincs" in html
    assert "<" not in text and max(len(line) for line in text.splitlines()) <= 100

    [en] = by_subject(sink, "Privacy cases: daily digest")
    assert en["To"] == sched.EN_STAFF
    en_text, en_html = parts(en)
    assert f"- {reference} (erasure): deadline 7 April 2027, 1 working day left" in en_text
    assert f'<a href="{link}">{reference}</a>' in en_html

    [reminder] = by_subject(sink, "Határidő-emlékeztető")
    assert reminder["Subject"] == f"Határidő-emlékeztető – {reference}, még 1 munkanap"
    reminder_text, reminder_html = parts(reminder)
    assert "Határidő: 2027. április 7., szerda – még 1 munkanap van hátra." in reminder_text
    assert link in reminder_text and f'href="{link}"' in reminder_html
    assert len(by_subject(sink, "Deadline reminder")) == 1

    local_clock(date(2027, 4, 6), 12, 0)
    again = scheduler_tick(staff)
    assert (again.digest, again.reminders, again.sent) == ("already_done", (), 0)
    assert len(sink.messages) == 4


def test_digest_send_command_with_recipient_override(staff: AppContext, sink: SmtpSink,
                                                     sched, local_clock) -> None:  # fmt: skip
    """GIVEN staff users WHEN `digest --send --to dpo@...` THEN only that address receives it,
    in the default language, and the day's scheduled digest still goes out."""
    sched.make_case(staff, "GDPR-2027-0001", date(2027, 4, 8), opened=sched.at(date(2027, 4, 1), 9))
    local_clock(date(2027, 4, 6), 7, 0)
    summary = digest_send(staff, to=["dpo@clmaster.eu"])
    assert summary["recipients"] == 1 and summary["sent"] == 1 and summary["failed"] == 0
    [received] = sink.messages
    assert received.rcpt_tos == ["dpo@clmaster.eu"]
    text, _ = parts(received.parsed())
    assert "GDPR-2027-0001 (törlés): határidő 2027. április 8., még 2 munkanap" in text
    local_clock(date(2027, 4, 6), 8, 0)
    assert scheduler_tick(staff).digest == QUEUED
