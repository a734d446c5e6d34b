"""The bell's unread count, and the user's requests waiting for them, on every page: counted only when a page
actually shows the bell."""

from django.utils.functional import cached_property

from musanada.notifications.selectors import BELL_CAP, unread_count
from musanada.tickets.selectors import waiting_for


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

    @cached_property
    def waiting(self) -> int:
        """How many of the user's own requests wait for them (information asked, a resolution to confirm)."""
        return len(waiting_for(self.user).values_list("pk", flat=True)[: BELL_CAP + 1])

    @property
    def waiting_shown(self) -> str:
        return f"{BELL_CAP}+" if self.waiting > BELL_CAP else str(self.waiting)


def notifications_bell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notifications_bell": Bell(user)}
