"""The one way the tests file a request: through the production service, with defaults from the personas."""

from musanada.org.models import Category, OrgUnit
from musanada.tickets import services

# Neutral texts: no keyword that a search test looks for. Tests that check a text pass their own.
SUBJECT = "طلب مساعدة"
DESCRIPTION = "وصف المشكل بالتفصيل."


def file_request(requester, unit=None, category=None, subject=SUBJECT, description=DESCRIPTION, **fields):
    """File a request as `requester` with `services.ticket_file`: for the one unit they belong to (pass
    `unit` if they belong to several), in the Massar category; `fields` are the service's other arguments
    (priority, channel, files, mailbox_desk)."""
    if unit is None:
        units = list(
            OrgUnit.objects.filter(memberships__user=requester, memberships__is_active=True).distinct()
        )
        if len(units) != 1:
            raise ValueError(f"{requester} belongs to {len(units)} units: say which one they file for")
        unit = units[0]
    if category is None:
        category = Category.objects.get(code="massar")
    return services.ticket_file(
        requester, unit=unit, category=category, subject=subject, description=description, **fields
    )
