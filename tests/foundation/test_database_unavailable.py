"""handler500: a database that did not answer says "not saved" (503), in French; any other
error stays the plain 500 page. The restart drill (tests/integration/test_database_restart.py)
proves it end to end; this is its fast check and its negative control."""

from __future__ import annotations

import pytest
from django.db import InterfaceError, OperationalError
from django.test import RequestFactory
from django.utils import translation

from platinium import urls
from platinium.views import server_error


def _answer_while_handling(error: Exception):
    request = RequestFactory().post("/crf/")
    try:
        raise error
    except Exception:
        return server_error(request)


@pytest.mark.parametrize(
    "error", [OperationalError("server closed the connection"), InterfaceError("closed")]
)
def test_a_database_that_did_not_answer_is_a_503_that_says_not_saved(error):
    with translation.override("fr"):
        response = _answer_while_handling(error)
    body = response.content.decode()
    assert response.status_code == 503
    assert "Non enregistré" in body and "envoyez-le de nouveau" in body
    assert "server closed" not in body  # no internals


def test_negative_control_any_other_error_stays_a_500():
    response = _answer_while_handling(ValueError("boom"))
    assert response.status_code == 500
    assert "Non enregistré" not in response.content.decode()


def test_the_project_uses_this_handler():
    assert urls.handler500 == "platinium.views.server_error"
