"""No dead ends: errors and expired forms answer in the product's layout and language, with a way back."""

from django.test import Client, override_settings
from django.urls import include, path, reverse
from django.utils import translation


def _boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", _boom), path("", include("musanada.config.urls"))]


def _said(text, language="ar") -> str:
    with translation.override(language):
        return translation.gettext(text)


def test_a_missing_page_is_the_products_own_with_a_way_back(client, people):
    client.force_login(people["teacher"])
    response = client.get("/t/MSN-2099-000001/")
    page = response.content.decode()
    assert response.status_code == 404
    assert _said("This page does not exist") in page
    assert f'href="{reverse("home")}"' in page and 'dir="rtl"' in page


@override_settings(ROOT_URLCONF=__name__)
def test_a_server_error_says_nothing_was_half_done_in_the_users_language(people):
    people["teacher"].language = "fr"
    people["teacher"].save(update_fields=["language"])
    client = Client(raise_request_exception=False)
    client.force_login(people["teacher"])
    response = client.get("/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert _said("Something went wrong on our side", "fr") in page
    assert 'href="/"' in page


def test_a_form_sent_after_the_session_expired_explains_itself(people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["teacher"])
    response = client.post(reverse("ticket-new"), {"subject": "x"})
    assert response.status_code == 403
    page = response.content.decode()
    assert _said("This page has expired") in page
    assert f'href="{reverse("home")}"' in page


def test_a_page_the_user_may_not_open_is_the_products_own(client, people):
    client.force_login(people["teacher"])
    response = client.get(reverse("quarantine"))
    assert response.status_code == 404
    assert _said("This page does not exist") in response.content.decode()
