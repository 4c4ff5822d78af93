"""The allocation list says which product each arm code is; the import records it and an
emergency unblinding names the product (issue #11, docs/decisions/0030)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from randomization import allocation_list as al
from randomization import arm_access
from randomization import parameters as p
from randomization.models import AllocationList, Slot
from tests.randomization.factories import load_slots, make_randomized_participant

SEED = "00112233445566778899aabbccddeeff"
PASSWORD = "correct-horse-battery-staple"  # tests.factories.UserFactory


def _without_products(text: str) -> str:
    return "".join(line for line in text.splitlines(True) if not line.startswith("# products:"))


def _with_products(text: str, value: str) -> str:
    return "".join(
        f"# products: {value}\n" if line.startswith("# products:") else line
        for line in text.splitlines(True)
    )


def _errors(text: str) -> list[str]:
    data = text.encode()
    return [
        m.render()
        for m in al.check_upload(data, expected_env="UAT", declared_sha256=al.sha256_hex(data))[1]
    ]


@pytest.fixture(scope="module")
def text() -> str:
    return al.generate(SEED, "UAT")


def test_the_generated_list_names_the_product_of_each_arm(text: str) -> None:
    assert "# products: A=interferon gamma-1b,B=placebo\n" in text
    assert al.parse(text).products == {"A": "interferon gamma-1b", "B": "placebo"}
    assert _errors(text) == []


def test_the_generator_takes_the_statisticians_products(text: str) -> None:
    swapped = al.generate(SEED, "UAT", products={"A": "placebo", "B": "interferon gamma-1b"})
    assert al.parse(swapped).products == {"A": "placebo", "B": "interferon gamma-1b"}
    # Same slots: the mapping is a header fact, not part of the draw.
    assert al.parse(swapped).rows == al.parse(text).rows


@pytest.mark.parametrize(
    "products",
    [{"A": "x"}, {"A": "x", "B": "x"}, {"A": "a,b", "B": "c"}, {"A": "x", "B": "y", "C": "z"}],
)
def test_the_generator_refuses_incomplete_or_ambiguous_products(products: Any) -> None:
    with pytest.raises(ValueError):
        al.generate(SEED, "UAT", products=products)


def test_a_list_without_products_is_refused(text: str) -> None:
    errors = _errors(_without_products(text))
    assert errors == [al.MSG_NO_PRODUCTS]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("A=interferon gamma-1b", "names no product for arm B"),
        ("A=interferon gamma-1b,B=placebo,C=other", "unknown arm C"),
        ("A=placebo,B=placebo", "same product to several arms"),
        ("A=interferon gamma-1b,B=", "is not valid"),
        ("A interferon,B placebo", "is not valid"),
    ],
)
def test_a_products_line_that_does_not_name_each_arm_once_is_refused(
    text: str, value: str, expected: str
) -> None:
    errors = _errors(_with_products(text, value))
    assert any(expected in e for e in errors), errors


@pytest.mark.django_db
def test_the_import_page_refuses_a_list_without_products_in_french(
    text: str, client_for: Any, settings: Any
) -> None:
    settings.PLATINIUM_ENV = "UAT"
    client = client_for("randomization_manager")
    url = reverse("randomization:allocation_list_import")
    data = _without_products(text).encode()
    upload = SimpleUploadedFile("list.csv", data, content_type="text/csv")
    response = client.post(url, {"file": upload, "sha256": al.sha256_hex(data)})
    assert response.status_code == 200
    assert "ne dit pas quel produit" in response.content.decode()
    assert not AllocationList.objects.exists() and not Slot.objects.exists()

    # Negative control: the same list with its products line loads, products recorded.
    data = text.encode()
    upload = SimpleUploadedFile("list.csv", data, content_type="text/csv")
    loaded = client.post(url, {"file": upload, "sha256": al.sha256_hex(data)})
    assert loaded.status_code == 302
    assert AllocationList.objects.get().products == {"A": "interferon gamma-1b", "B": "placebo"}
    page = client.get(reverse("randomization:allocation_lists")).content.decode()
    assert "A = interferon gamma-1b" in page


def test_the_french_message_is_translated() -> None:
    with translation.override("fr"):
        assert translation.gettext(al.MSG_NO_PRODUCTS) != al.MSG_NO_PRODUCTS


@pytest.fixture
def randomized(db: Any, site11: Any) -> Any:
    return make_randomized_participant(site11)


def _unblind(client_for: Any, participant: Any) -> str:
    response = client_for("investigator").post(
        reverse("randomization:unblind", args=[participant.code]),
        {"reason": "anaphylaxis", "password": PASSWORD},
    )
    assert response.status_code == 200
    return response.content.decode()


def test_emergency_unblinding_names_the_product(
    randomized: Any, client_for: Any, role_users: dict[str, Any]
) -> None:
    arm = arm_access.arm_of_slot(
        randomized.allocation.slot, user=role_users["randomization_manager"]
    )
    page = _unblind(client_for, randomized)
    assert f'<strong id="unblinded-product">{p.DEFAULT_PRODUCTS[arm]}</strong>' in page
    assert f"<strong>{arm}</strong>" in page


@pytest.mark.django_db
def test_a_list_loaded_before_products_were_recorded_shows_the_letter_only(
    site11: Any, client_for: Any
) -> None:
    """Negative control: the product on the page comes from the list's record (an old
    list, without products: the letter only, or the PLATINIUM_ARM_PRODUCTS fallback)."""
    load_slots([site11], list_version="before-products", products={})
    first, second = make_randomized_participant(site11), make_randomized_participant(site11)
    with override_settings(PLATINIUM_ARM_PRODUCTS=""):
        page = _unblind(client_for, first)
    assert 'id="unblinded-product"' not in page
    assert 'id="unblinded-arm"' in page
    with override_settings(PLATINIUM_ARM_PRODUCTS="A=product one,B=product two"):
        page = _unblind(client_for, second)
    assert 'id="unblinded-product">product ' in page


def test_the_unblinded_allocation_listing_names_the_products(
    randomized: Any, client_for: Any, role_users: dict[str, Any]
) -> None:
    """Issue #11: the randomization manager's listing gives the product beside the letter."""
    arm = arm_access.arm_of_slot(
        randomized.allocation.slot, user=role_users["randomization_manager"]
    )
    response = client_for("randomization_manager").get(
        reverse("randomization:unblinded_allocations")
    )
    assert response.status_code == 200
    html = response.content.decode()
    row = html[html.index(f"<td>{randomized.code}</td>") :].split("</tr>")[0]
    assert f"<td>{arm}</td>" in row
    assert f'<td class="allocation-product">{p.DEFAULT_PRODUCTS[arm]}</td>' in row


@pytest.mark.parametrize(
    "role", ["investigator", "coordinator", "pharmacist", "monitor", "data_manager"]
)
def test_blinded_roles_see_no_product_anywhere_they_look(
    randomized: Any, client_for: Any, role_users: dict[str, Any], role: str
) -> None:
    """Blinding: the listing is refused and neither product name is on the pages a blinded
    role reads about the participant. Negative control: the manager's listing has them."""
    client = client_for(role)
    assert client.get(reverse("randomization:unblinded_allocations")).status_code in {403, 404}
    pages = [
        client.get(reverse("participants:list") + "?all=1"),
        client.get(reverse("participants:detail", args=[randomized.code]), follow=True),
    ]
    if role != "pharmacist":
        pages.append(client.get(reverse("crf:status_dashboard")))
    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        assert randomized.code in html
        for product in p.DEFAULT_PRODUCTS.values():
            assert product not in html, (role, product)
    arm = arm_access.arm_of_slot(
        randomized.allocation.slot, user=role_users["randomization_manager"]
    )
    manager = client_for("randomization_manager")
    listing = manager.get(reverse("randomization:unblinded_allocations")).content.decode()
    assert p.DEFAULT_PRODUCTS[arm] in listing
