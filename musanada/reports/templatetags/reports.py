from django import template

from musanada.tickets import policy

register = template.Library()


@register.filter
def has_dashboards(user) -> bool:
    """Whether the user works a desk or reads a subtree: those are the people dashboards are for."""
    if not getattr(user, "is_authenticated", False):
        return False
    reach = policy.reach(user)
    return bool(reach.desk_ids or reach.subtree_paths)


@register.filter
def reviews_mail(user) -> bool:
    """Whether the user reviews quarantined mail (administrators, desk supervisors)."""
    return bool(getattr(user, "is_authenticated", False)) and policy.reviews_any_mail(user)


@register.filter
def writes_canned_replies(user) -> bool:
    """Whether the user writes a desk's canned replies (its supervisors, administrators)."""
    return bool(getattr(user, "is_authenticated", False)) and policy.writes_canned_replies(user)


@register.filter
def sees_service_status(user) -> bool:
    """Whether the user reads the service's status page (administrators)."""
    return bool(getattr(user, "is_authenticated", False)) and policy.sees_service_status(user)
