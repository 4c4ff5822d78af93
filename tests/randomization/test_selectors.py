from __future__ import annotations

from datetime import UTC, datetime

import pytest

from participants.models import Participant
from randomization import selectors
from tests.randomization.factories import make_participant, make_randomized_participant


@pytest.mark.django_db
def test_selectors_give_kit_codes_and_randomization_time_of_a_randomized_participant(site11):
    when = datetime(2025, 9, 1, 8, 30, tzinfo=UTC)
    participant = make_randomized_participant(site11, randomized_at=when)
    assert participant.status == Participant.Status.RANDOMIZED
    assert selectors.randomized_at(participant) == when
    codes = selectors.kit_codes_for(participant)
    assert len(codes) == 1 and len(next(iter(codes))) == 7


@pytest.mark.django_db
def test_selectors_answer_none_and_empty_for_an_enrolled_participant(site11):
    participant = make_participant(site11)
    assert selectors.randomized_at(participant) is None
    assert selectors.kit_codes_for(participant) == set()


@pytest.mark.django_db
def test_factory_makes_several_randomized_participants_at_two_sites(site11, site16):
    a = make_randomized_participant(site11)
    b = make_randomized_participant(site11)
    c = make_randomized_participant(site16)
    assert a.allocation.slot.seq == 1 and b.allocation.slot.seq == 2
    assert c.allocation.slot.seq == 1
