"""Where a ticket lands: on filing (by who files, for which unit) and when referred one level up."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from musanada.core.errors import ErrorCode, InvalidInput
from musanada.org.models import DESK_ROLES, Category, Membership, OrgUnit, Role, UnitKind
from musanada.tickets import policy


@dataclass(frozen=True)
class Landing:
    desk: OrgUnit
    # The desks passed over because nobody could answer there, lowest first.
    skipped: tuple = ()


def desk_above(desk: OrgUnit, category: Category) -> OrgUnit | None:
    """The desk one level up: school → province → academy → the central service owning the category."""
    if desk.kind in (UnitKind.SCHOOL, UnitKind.PROVINCE):
        return desk.parent
    if desk.kind == UnitKind.ACADEMY:
        return category.owner
    return None


def first_staffed(desk: OrgUnit, category: Category) -> Landing:
    """`desk`, or the first desk above it with an active agent, so that no request waits on an empty desk.

    The central service is the last level: a ticket stays there even if nobody answers yet.
    """
    skipped = []
    while not policy.has_desk_agent(desk):
        above = desk_above(desk, category)
        if above is None:
            break
        skipped.append(desk)
        desk = above
    return Landing(desk, tuple(skipped))


def filing_desk(user, unit: OrgUnit, category: Category) -> Landing:
    """The desk that receives a request that `user` files for `unit` (memo 059X20, routing table of DESIGN).

    School staff → their school's desk; a school head (the school's desk) → the provincial desk; provincial
    staff → the provincial desk; academy staff → the regional desk; central staff → the service that owns
    the category.
    """
    roles = policy.filing_roles(user, unit)
    desk: OrgUnit | None
    if unit.kind == UnitKind.SCHOOL:
        desk = unit.parent if roles & set(DESK_ROLES) else unit
    elif unit.kind in (UnitKind.PROVINCE, UnitKind.ACADEMY):
        desk = unit
    else:
        desk = category.owner
    if desk is None:
        raise InvalidInput(_("Choose the unit you file for."), code=ErrorCode.INVALID_UNIT, field="unit")
    return first_staffed(desk, category)


def escalation_desk(desk: OrgUnit, category: Category) -> Landing:
    """Where a referral from `desk` lands, after requalification into `category`."""
    above = desk_above(desk, category)
    if above is None:
        raise InvalidInput(
            _("A ticket at the central level cannot be referred any further."), code=ErrorCode.TOP_LEVEL
        )
    return first_staffed(above, category)


def _not_under_desk() -> InvalidInput:
    return InvalidInput(
        _("The official e-mail address of a desk takes requests from the people of its own units only."),
        code=ErrorCode.NOT_UNDER_DESK,
        field="unit",
    )


def mailbox_origin(user, desk: OrgUnit) -> OrgUnit:
    """The unit a mail sent to `desk`'s official address is filed for: the sender's own unit under that desk.

    When the sender belongs to several units there, the most specific one (not an observer's) is taken.
    """
    memberships = Membership.objects.filter(
        user=user, is_active=True, unit__is_active=True, unit__path__startswith=desk.path
    ).select_related("unit")
    ranked = sorted(memberships, key=lambda m: (m.role == Role.OBSERVER, -m.unit.depth, m.unit.path))
    if not ranked:
        raise _not_under_desk()
    return ranked[0].unit


def mailbox_landing(user, unit: OrgUnit, desk: OrgUnit, category: Category) -> Landing:
    """Where a request sent to `desk`'s official address lands: that desk, whoever files (the memo has the
    regional centres receive requests by e-mail), or the first staffed desk above it."""
    if not unit.is_within(desk):
        raise _not_under_desk()
    try:
        policy.filing_roles(user, unit)
    except InvalidInput:
        raise _not_under_desk() from None
    return first_staffed(desk, category)
