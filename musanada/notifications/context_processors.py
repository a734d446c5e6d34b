"""The bell's unread count on every page, counted only when a page actually shows it."""

from django.utils.functional import cached_property

from musanada.notifications.selectors import BELL_CAP, unread_count


class Bell:
    """`bell.unread` runs its COUNT the first time a template reads it, and only then."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def unread(self) -> int:
        return unread_count(self.user)

    @property
    def shown(self) -> str:
        return f"{BELL_CAP}+" if self.unread > BELL_CAP else str(self.unread)


def notifications_bell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notifications_bell": Bell(user)}
