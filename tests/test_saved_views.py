"""Saved views: a user names the list they look at and finds it again in one click; only the inbox's own
parameters are kept, and the view lists what the policy lets its owner see when it is opened."""

import pytest
from django.urls import reverse
from django.utils import translation

from musanada.core.errors import InvalidInput, NotFound
from musanada.tickets import saved_views
from musanada.tickets.models import SavedView
from musanada.tickets.workflow import Priority
from tests.helpers import file_request


def test_a_view_saved_from_the_inbox_comes_back_as_a_link_to_the_same_list(client, people):
    urgent = file_request(people["teacher"], priority=Priority.URGENT)
    file_request(people["teacher"])
    client.force_login(people["head"])
    page = client.get(reverse("home"), {"tab": "desk", "priority": "urgent"}).content.decode()
    assert 'name="priority" value="urgent"' in page[page.index('action="/views/save/"') :]

    response = client.post(
        reverse("saved-view-save"),
        {"name": "Urgences", "tab": "desk", "priority": "urgent", "after": "x", "evil": "1"},
    )

    view = SavedView.objects.get(user=people["head"])
    assert view.query == "tab=desk&priority=urgent"
    assert response.url == reverse("home") + "?tab=desk&priority=urgent"
    page = client.get(reverse("home"))
    assert 'href="?tab=desk&amp;priority=urgent"' in page.content.decode()
    listed = client.get(reverse("home") + "?" + view.query).context["tickets"]
    assert [ticket.reference for ticket in listed] == [urgent.reference]


def test_views_are_each_users_own_named_once_and_capped(people, settings):
    settings.MUSANADA_SAVED_VIEWS_PER_USER = 2
    view = saved_views.saved_view_add(people["head"], name="Mes urgences", params={"priority": "urgent"})
    with pytest.raises(InvalidInput) as twice:
        saved_views.saved_view_add(people["head"], name="Mes urgences", params={})
    assert twice.value.code == "duplicate_view"
    with pytest.raises(InvalidInput) as unnamed:
        saved_views.saved_view_add(people["head"], name="  ", params={})
    assert unnamed.value.field == "name"
    saved_views.saved_view_add(people["head"], name="Tout", params={"tab": "all"})
    with pytest.raises(InvalidInput) as capped:
        saved_views.saved_view_add(people["head"], name="Encore", params={})
    assert capped.value.code == "too_many_views"
    with pytest.raises(NotFound):
        saved_views.saved_view_remove(people["teacher"], view.pk)
    saved_views.saved_view_remove(people["head"], view.pk)
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_a_refused_name_says_why_and_keeps_the_list(client, people):
    client.force_login(people["head"])
    response = client.post(reverse("saved-view-save"), {"name": "", "tab": "desk"}, follow=True)
    assert response.status_code == 200 and not SavedView.objects.exists()
    assert response.redirect_chain[-1][0] == reverse("home") + "?tab=desk"
    with translation.override("ar"):
        assert translation.gettext("Give the view a name.") in response.content.decode()
