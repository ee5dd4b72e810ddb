"""/metrics for Prometheus: the numbers an operator alerts on, read at scrape time.

Counts and ages only, never addresses or text, so the endpoint needs no login
(restrict it at the network like /healthz). Values come from the database,
so every process of a scaled-out installation reports the same truth.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import Response

from inbox_triage.cases.states import OPEN_STATES
from inbox_triage.context import AppContext
from inbox_triage.db.models import Case, Message, OutboxMessage
from inbox_triage.web.deps import app_context

router = APIRouter(tags=["health"])
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class DatabaseCollector(Collector):
    """Collects the product's gauges with three small aggregate queries."""

    def __init__(self, context: AppContext) -> None:
        self.context = context

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("inbox_triage_database_up", "1 when the database answered")
        try:
            families = list(self._families())
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self) -> Iterator[GaugeMetricFamily]:
        now = self.context.clock()
        today = now.astimezone(ZoneInfo(self.context.settings.deadlines.timezone)).date()
        with self.context.engine.connect() as connection:
            messages = connection.execute(
                select(Message.state, func.count(), func.min(Message.received_at)).group_by(
                    Message.state
                )
            ).all()
            cases = connection.execute(
                select(Case.status, func.count()).group_by(Case.status)
            ).all()
            overdue = connection.execute(
                select(func.count())
                .select_from(Case)
                .where(Case.status.in_(OPEN_STATES), Case.due < today)
            ).scalar_one()
            outbox = connection.execute(
                select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
            ).all()
        by_state = GaugeMetricFamily(
            "inbox_triage_messages", "Stored messages by processing state", labels=["state"]
        )
        lag = GaugeMetricFamily(
            "inbox_triage_processing_lag_seconds",
            "Age of the oldest message waiting to be processed",
        )
        oldest = None
        for state, count, first in messages:
            by_state.add_metric([state], count)
            if state == "received":
                oldest = first
        lag.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        yield by_state
        yield lag
        yield _labelled("inbox_triage_cases", "Cases by status", "status", cases)
        yield _single(
            "inbox_triage_cases_overdue", "Open cases past their binding deadline", overdue
        )
        states = dict(outbox)
        yield _labelled(
            "inbox_triage_outbox_messages",
            "Outbox messages by state",
            "state",
            list(states.items()),
        )
        yield _single(
            "inbox_triage_outbox_queue_depth",
            "Approved mail waiting to be sent",
            states.get("queued", 0),
        )
        yield _single(
            "inbox_triage_outbox_send_failures",
            "Outbox messages that failed for good",
            states.get("failed", 0),
        )


def _labelled(
    name: str,
    documentation: str,
    label: str,
    rows: list[tuple[str, int]] | list[tuple[object, ...]],
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for value, count in rows:
        family.add_metric([str(value)], float(count))  # type: ignore[arg-type]
    return family


def _single(name: str, documentation: str, value: int | float | date) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation)
    family.add_metric([], float(value))  # type: ignore[arg-type]
    return family


@router.get("/metrics", summary="Prometheus metrics")
def metrics(request: Request) -> Response:
    """The product's gauges in the Prometheus text format."""
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(app_context(request)))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE)
