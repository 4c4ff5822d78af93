"""The demo queries (monitoring.demo): one to answer, one to review; a second seed adds
nothing."""

from __future__ import annotations

import random
from io import StringIO

import pytest

from crf.models import DataQuery, QueryOrigin, QueryStatus
from monitoring.demo_queries import seed
from tests.queries.conftest import daily_row

pytestmark = pytest.mark.django_db


def test_the_demo_raises_its_queries_once(p11, p16, role_users):
    daily_row(p11, role_users["coordinator"])
    daily_row(p16, role_users["investigator_nantes"])
    # The demo monitor monitors both sites (accounts.demo EXTRA_MEMBERSHIPS): here a data
    # manager, who reaches both too.
    users = {
        "demo-monitor": role_users["data_manager"],
        "demo-investigator": role_users["investigator"],
    }
    for _ in range(2):
        seed(users=users, rng=random.Random(1), stdout=StringIO())
    people = DataQuery.objects.exclude(origin=QueryOrigin.SYSTEM)
    assert sorted(people.values_list("status", flat=True)) == [
        QueryStatus.ANSWERED,
        QueryStatus.OPEN,
    ]
