import pytest
from inbox_triage.drafting.store import draft_for_case


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 't.db'}"


@pytest.mark.parametrize("lang", ["hu", "en"])
def test_print(session, customers, helpers, lang):
    parsed = helpers.mail(
        "Kovács János <kovacs.janos@gmail.com>",
        "Kérem az adataimat. Új telefonszámom: +36 30 999 8888",
        auth=[helpers.dmarc_pass("gmail.com")],
    )
    case = helpers.open_request(
        customers,
        session,
        parsed,
        [
            "access",
            "erasure",
            "rectification",
            "portability",
            "objection",
            "consent_withdrawal",
            "complaint",
            "information",
            "restriction",
            "automated_decision",
        ],
        lang,
    )
    draft = draft_for_case(session, customers, case)
    print(draft.recipient, draft.kind, [a["name"] for a in draft.attachments])
    print(draft.subject)
    print(draft.body_text)
    open(f"/tmp/scratch/{lang}.html", "w").write(draft.body_html)
    parsed = helpers.mail(
        "Kovács János <kj@evil.example>", "Kérem az adataimat. adóazonosítóm 8123456786"
    )
    case = helpers.open_request(customers, session, parsed, ["access"], lang)
    draft = draft_for_case(session, customers, case)
    print(case.customer_id, case.identity, draft.kind, draft.recipient, draft.disclosure_note)
    print(draft.body_text)
