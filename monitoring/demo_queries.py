"""Demo queries (`manage.py seed_demo`): the demo monitor asks about one daily value of
each demo site, and the site's investigator answers the Montpellier one, so the worklist
shows a query to answer and one to review. Idempotent: a row already queried by a person
is left alone."""

from __future__ import annotations

import random
from typing import Any

from crf.models import DailyFollowUp, DataQuery, QueryOrigin
from monitoring.queries import answer_query, raise_query

# (site, who answers) of the demo queries.
DEMO_SITES = (("11", "demo-investigator"), ("16", ""))


def seed(*, users: dict[str, Any], rng: random.Random, stdout: Any) -> None:
    monitor = users.get("demo-monitor")
    if monitor is None:
        return
    raised = 0
    for site, answerer in DEMO_SITES:
        row = (
            DailyFollowUp.objects.current()
            .filter(participant__site__code=site)
            .order_by("participant__code", "day_date")
            .first()
        )
        if row is None or (
            DataQuery.objects.for_object(row).exclude(origin=QueryOrigin.SYSTEM).exists()
        ):
            continue
        query = raise_query(
            row,
            field="map_mmhg",
            text="Lowest MAP of the day: please check it against the monitoring chart.",
            by=monitor,
        )
        raised += 1
        if answerer and answerer in users:
            answer_query(
                query, text="Checked against the chart: value confirmed.", by=users[answerer]
            )
    if raised:
        stdout.write(f"Queries demo: {raised} query(ies) raised")
