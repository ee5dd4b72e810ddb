"""/metrics: the operator's gauges in the Prometheus text format."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families
from support.mail import build_message

from inbox_triage.intake.store import store_raw
from inbox_triage.pipeline import Processor

ERASURE = "Tisztelt Cloudmaster Kft.!\n\nKérem, hogy töröljék az összes személyes adatomat.\n"


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_count_messages_cases_lag_and_overdue(web) -> None:
    """GIVEN one processed request, one waiting message and a month passing WHEN scraped
    THEN the counts by state, the lag, the open case and the overdue count are exposed."""
    store_raw(web.app, build_message(body=ERASURE), "smtp")
    Processor(web.app).run_pending()
    store_raw(web.app, build_message(subject="later", body="Sziasztok"), "smtp")
    web.clock.advance(days=40)
    response = web.client().get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    assert samples[("inbox_triage_database_up", ())] == 1
    assert samples[("inbox_triage_messages", (("state", "processed"),))] == 1
    assert samples[("inbox_triage_messages", (("state", "received"),))] == 1
    assert samples[("inbox_triage_processing_lag_seconds", ())] == 40 * 86400
    assert samples[("inbox_triage_cases", (("status", "new"),))] == 1
    assert samples[("inbox_triage_cases_overdue", ())] == 1
    assert samples[("inbox_triage_outbox_queue_depth", ())] == 0
    assert "@" not in response.text
