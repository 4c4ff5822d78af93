"""Protocol deviation review by the data manager (crf-spec.md §2.15, ADR 0025): through
the rendered form, with audit; the review holds for the version reviewed; filters; who
may review; bad input; locks; a bounded number of queries."""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse

from audit.models import AuditEvent
from crf.models import DeviationReview
from tests.deviations.helpers import deviation_data, make_deviation
from tests.webform import submit

pytestmark = pytest.mark.django_db

LIST = "/monitoring/deviations/"


def detail_url(deviation: Any) -> str:
    return reverse("monitoring:deviation_detail", kwargs={"pk": deviation.pk})


def listed(html: str) -> dict[int, dict[str, str]]:
    """deviation pk → {code (review state), state (its label), classification}."""
    tree = lxml.html.fromstring(html)
    out = {}
    for row in tree.xpath("//table[@id='deviation-list']/tbody/tr[@data-deviation]"):
        cells = {c.get("class"): c.text_content().strip() for c in row.xpath("./td[@class]")}
        out[int(row.get("data-deviation"))] = {"code": row.get("data-state"), **cells}
    return out


@pytest.fixture
def dev11(site11: Any, role_users: dict[str, Any]) -> Any:
    return make_deviation(site11, role_users["investigator"])


@pytest.fixture
def dev16(site16: Any, role_users: dict[str, Any]) -> Any:
    return make_deviation(site16, role_users["investigator_nantes"], severity="MAJOR")


def review(client: Any, deviation: Any, **changes: Any) -> Any:
    return submit(client, detail_url(deviation), form_id="review-form", changes=changes)


def test_the_data_manager_reviews_a_deviation_through_the_page(
    dev11: Any, client_for: Any, role_users: dict[str, Any]
) -> None:
    client = client_for("data_manager")
    response = review(client, dev11, classification="MAJOR", comment="Dose outside D1–D9.")
    assert response.status_code == 302
    saved = DeviationReview.objects.get(deviation=dev11)
    assert (saved.classification, saved.comment) == ("MAJOR", "Dose outside D1–D9.")
    assert saved.reviewed_by == role_users["data_manager"]
    assert saved.deviation_version == dev11.version
    event = AuditEvent.objects.get(action="deviation.reviewed")
    assert event.data["classification"] == "MAJOR"
    assert event.site_code == "11"
    html = client.get(detail_url(dev11)).content.decode()
    assert 'id="review-state">Revue<' in html
    row = listed(client.get(LIST).content.decode())[dev11.pk]
    assert (row["code"], row["classification"]) == ("reviewed", "Majeure")


def test_the_form_proposes_the_sites_classification(dev16: Any, client_for: Any) -> None:
    review(client_for("data_manager"), dev16, comment="Agreed.")
    assert DeviationReview.objects.get(deviation=dev16).classification == "MAJOR"


def test_a_change_of_the_deviation_after_the_review_shows_changed_since_review(
    dev11: Any, client_for: Any, role_users: dict[str, Any]
) -> None:
    from crf.services import save_protocol_deviation

    client = client_for("data_manager")
    review(client, dev11, classification="MINOR", comment="Minor.")
    assert listed(client.get(f"{LIST}?status=not_reviewed").content.decode()) == {}
    save_protocol_deviation(
        dev11.participant,
        by=role_users["investigator"],
        data=deviation_data(description="Injection given on day 11."),
        instance=dev11,
        expected_version=dev11.version,
        reason="date of the dose corrected",
    )
    rows = listed(client.get(f"{LIST}?status=not_reviewed").content.decode())
    assert rows[dev11.pk]["code"] == "changed"
    assert "Modifiée depuis la revue" in client.get(detail_url(dev11)).content.decode()


def test_the_filters_of_the_list(dev11: Any, dev16: Any, client_for: Any) -> None:
    client = client_for("data_manager")
    review(client, dev16, classification="MAJOR", comment="Major.")
    assert set(listed(client.get(LIST).content.decode())) == {dev11.pk, dev16.pk}
    assert set(listed(client.get(f"{LIST}?site_code=11").content.decode())) == {dev11.pk}
    assert set(listed(client.get(f"{LIST}?status=reviewed").content.decode())) == {dev16.pk}
    assert set(listed(client.get(f"{LIST}?status=not_reviewed").content.decode())) == {dev11.pk}
    assert set(listed(client.get(f"{LIST}?classification=MAJOR").content.decode())) == {dev16.pk}
    assert listed(client.get(f"{LIST}?classification=MINOR").content.decode()) == {}


def test_the_monitor_reads_the_own_sites_log_without_a_review_form(
    dev11: Any, dev16: Any, client_for: Any
) -> None:
    client = client_for("monitor")
    assert set(listed(client.get(LIST).content.decode())) == {dev11.pk}
    page = client.get(detail_url(dev11))
    assert page.status_code == 200
    assert 'id="review-form"' not in page.content.decode()
    url = reverse("monitoring:deviation_review", kwargs={"pk": dev11.pk})
    post = client.post(url, {"classification": "MAJOR", "comment": "x", "expected_version": 1})
    assert post.status_code == 403
    assert client.get(detail_url(dev16)).status_code == 404
    assert not DeviationReview.objects.exists()


def test_negative_control_without_the_site_filter_the_monitor_sees_site_16(
    dev11: Any, dev16: Any, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db.models import Q

    from monitoring import deviations

    monkeypatch.setattr(deviations, "site_filter", lambda *args, **kwargs: Q())
    assert set(listed(client_for("monitor").get(LIST).content.decode())) == {dev11.pk, dev16.pk}


def test_a_deviation_changed_while_the_form_was_open_is_refused(
    dev11: Any, client_for: Any, role_users: dict[str, Any]
) -> None:
    from crf.services import save_protocol_deviation

    client = client_for("data_manager")
    page = client.get(detail_url(dev11)).content.decode()
    save_protocol_deviation(
        dev11.participant,
        by=role_users["investigator"],
        data=deviation_data(severity="MAJOR"),
        instance=dev11,
        expected_version=dev11.version,
        reason="reclassified by the site",
    )
    from tests.webform import form_in

    data = form_in(page, form_id="review-form").data()
    data.update(comment="Minor.")
    response = client.post(reverse("monitoring:deviation_review", kwargs={"pk": dev11.pk}), data)
    assert response.status_code == 200
    assert "La déviation a changé depuis que vous l’avez ouverte" in response.content.decode()
    assert not DeviationReview.objects.exists()


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"comment": "x" * 100_000}, "100000"),
        ({"comment": "   "}, "Ce champ est obligatoire"),
        ({"classification": "SEVERE", "comment": "ok"}, "Sélectionnez un choix valide"),
    ],
)
def test_bad_input_gives_a_message_and_saves_nothing(
    dev11: Any, client_for: Any, changes: dict[str, str], message: str
) -> None:
    response = review(client_for("data_manager"), dev11, **changes)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not DeviationReview.objects.exists()


def test_a_locked_casebook_refuses_the_review(
    dev11: Any, client_for: Any, role_users: dict[str, Any]
) -> None:
    from participants import locks

    locks.lock_casebook(dev11.participant, by=role_users["data_manager"], reason="reviewed")
    response = review(client_for("data_manager"), dev11, classification="MINOR", comment="ok")
    assert response.status_code == 200
    assert "est gelé" in response.content.decode()
    assert not DeviationReview.objects.exists()


def test_a_review_is_never_edited(dev11: Any, client_for: Any) -> None:
    review(client_for("data_manager"), dev11, classification="MINOR", comment="Minor.")
    with pytest.raises(DatabaseError), transaction.atomic():
        DeviationReview.objects.filter(deviation=dev11).update(classification="MAJOR")
    assert DeviationReview.objects.get(deviation=dev11).classification == "MINOR"


@pytest.mark.parametrize("n", [2, 20])
def test_the_list_has_a_bounded_number_of_queries(
    site11: Any,
    role_users: dict[str, Any],
    client_for: Any,
    django_assert_max_num_queries: Any,
    n: int,
) -> None:
    from crf.services import review_deviation

    by = role_users["investigator"]
    for i in range(n):
        deviation = make_deviation(site11, by)
        if i % 2:
            review_deviation(
                deviation, classification="MINOR", comment="ok", by=role_users["data_manager"]
            )
    client = client_for("data_manager")
    client.get(LIST)
    with django_assert_max_num_queries(12):
        response = client.get(LIST)
    assert len(listed(response.content.decode())) == n


def test_the_menu_links_the_log_for_monitors_and_data_managers(client_for: Any) -> None:
    assert LIST in client_for("monitor").get("/").content.decode()
    assert LIST in client_for("data_manager").get("/").content.decode()
    assert LIST not in client_for("investigator").get("/").content.decode()
