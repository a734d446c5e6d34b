"""Saved views: a user names the inbox list they are looking at (its tab and filters) and finds it again in
one click. Only the inbox's own parameters are kept; what they list is decided when the view is opened, by
the same policy as any list."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from musanada.core.errors import ErrorCode, InvalidInput, NotFound
from musanada.core.text import required_text
from musanada.tickets.models import SavedView

NAME_MAX = 60
# The parameters a view keeps: the tab and the inbox's filters (never a page position).
KEPT = ("tab", "q", "category", "priority", "status", "unit", "age", "sort")


def saved_view_add(user, *, name: str, params) -> SavedView:
    """Keep the list `params` (a QueryDict or dict of the inbox's parameters) under `name`."""
    name = required_text(name, "name", _("Give the view a name."), max_length=NAME_MAX, line=True)
    query = urlencode([(key, str(params.get(key))[:200]) for key in KEPT if params.get(key)])
    limit = settings.MUSANADA_SAVED_VIEWS_PER_USER
    if SavedView.objects.filter(user=user).count() >= limit:
        raise InvalidInput(
            _("You have %(limit)s saved views, the most allowed: remove one first."),
            code=ErrorCode.TOO_MANY_VIEWS,
            params={"limit": limit},
        )
    try:
        with transaction.atomic():
            return SavedView.objects.create(user=user, name=name, query=query)
    except IntegrityError:
        raise InvalidInput(
            _("You already have a view named “%(name)s”."),
            code=ErrorCode.DUPLICATE_VIEW,
            field="name",
            params={"name": name},
        ) from None


def saved_view_remove(user, view_id: int) -> None:
    """Remove one of the user's own views."""
    deleted, _rows = SavedView.objects.filter(user=user, pk=view_id).delete()
    if not deleted:
        raise NotFound(_("No such view."))
