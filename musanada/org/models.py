"""The org tree (central → academies → provinces → schools, with the central services), people and roles."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class UnitKind(models.TextChoices):
    CENTRAL = "central", _("Central directorate")
    SERVICE = "service", _("Central service")
    ACADEMY = "academy", _("Regional academy")
    PROVINCE = "province", _("Provincial directorate")
    SCHOOL = "school", _("School")


class Level(models.TextChoices):
    """The four levels of the memo; a central service works at the central level."""

    SCHOOL = "school", pgettext_lazy("level", "School")
    PROVINCE = "province", pgettext_lazy("level", "Provincial")
    ACADEMY = "academy", pgettext_lazy("level", "Regional")
    CENTRAL = "central", pgettext_lazy("level", "Central")


# Keyed by str: a unit's `kind` as read from the database is a plain string.
LEVEL_OF_KIND: dict[str, Level] = {
    UnitKind.SCHOOL: Level.SCHOOL,
    UnitKind.PROVINCE: Level.PROVINCE,
    UnitKind.ACADEMY: Level.ACADEMY,
    UnitKind.SERVICE: Level.CENTRAL,
    UnitKind.CENTRAL: Level.CENTRAL,
}

# Units that hold a support desk. The central directorate itself routes to its services by category.
DESK_KINDS = (UnitKind.SCHOOL, UnitKind.PROVINCE, UnitKind.ACADEMY, UnitKind.SERVICE)


def localized(name_ar: str | None, name_fr: str | None) -> str:
    """Arabic name in Arabic, French name otherwise (English pages use the French official names)."""
    if translation.get_language() == "ar" and name_ar:
        return name_ar
    return name_fr or name_ar or ""


def localized_name(obj) -> str:
    """The unit's or category's name in the reader's language (`localized`)."""
    return localized(obj.name_ar, obj.name_fr)


def names_above(parent) -> list[str]:
    """The names of the units a unit lies under, nearest first, up to two (its province and academy for a
    school), never the national root: `parent` is the unit's parent, with its own parent loaded."""
    names = []
    while parent is not None and parent.parent_id is not None:
        names.append(localized_name(parent))
        if len(names) == 2:
            break
        parent = parent.parent
    return names


class OrgUnit(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    name_ar = models.CharField(_("Arabic name"), max_length=255)
    name_fr = models.CharField(_("French name"), max_length=255)
    # "/MEN/MA-01/MA-01-03/01234A/": everything under a unit is one indexed prefix filter.
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), editable=False)
    email = models.EmailField(_("official e-mail"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("organisational unit")
        verbose_name_plural = _("organisational units")
        ordering = ["path"]
        indexes = [models.Index(fields=["parent", "kind"])]

    def __str__(self) -> str:
        return f"{self.code} · {localized_name(self)}"

    @property
    def name(self) -> str:
        return localized_name(self)

    @property
    def level(self) -> str:
        return LEVEL_OF_KIND[self.kind]

    @property
    def has_desk(self) -> bool:
        return self.kind in DESK_KINDS

    def is_within(self, other: "OrgUnit") -> bool:
        """True when this unit is `other` or lies under it."""
        return self.path.startswith(other.path)


class Category(models.Model):
    """What a request is about: an information system (no parent) or one of its topics.

    Each category is owned by the central service that answers for it at the last level.
    """

    code = models.SlugField(_("code"), max_length=64, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("information system"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="topics",
    )
    name_ar = models.CharField(_("Arabic name"), max_length=255)
    name_fr = models.CharField(_("French name"), max_length=255)
    owner = models.ForeignKey(
        OrgUnit,
        verbose_name=_("owning central service"),
        on_delete=models.PROTECT,
        related_name="owned_categories",
        limit_choices_to={"kind": UnitKind.SERVICE},
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["parent_id", "code"]

    def __str__(self) -> str:
        if self.parent_id:
            return f"{localized_name(self.parent)} › {localized_name(self)}"
        return localized_name(self)

    @property
    def name(self) -> str:
        return localized_name(self)


class User(AbstractUser):
    language = models.CharField(_("language"), max_length=8, default="ar")
    massar_id = models.CharField(_("Massar identifier"), max_length=64, unique=True, null=True, blank=True)
    # Raised by "sign out everywhere": every session opened before it no longer matches its account.
    sign_out_count = models.PositiveIntegerField(_("signed out everywhere"), default=0, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_session_auth_hash(self):
        # Django signs out the sessions whose stored hash no longer matches (a new password does it); the
        # count does the same for "sign out everywhere". 0 keeps Django's own hash: no session is lost on
        # upgrading.
        if not self.sign_out_count:
            return super().get_session_auth_hash()
        return salted_hmac(
            "musanada.User.get_session_auth_hash",
            f"{self.password}:{self.sign_out_count}",
            algorithm="sha256",
        ).hexdigest()


class Role(models.TextChoices):
    STAFF = "staff", _("Staff")
    AGENT = "agent", _("Desk agent")
    SUPERVISOR = "supervisor", _("Desk supervisor")
    OBSERVER = "observer", _("Observer")


# Roles that work a unit's desk. A school's head is its desk agent.
DESK_ROLES = (Role.AGENT, Role.SUPERVISOR)
# Roles that read everything under their unit.
SUBTREE_ROLES = (Role.SUPERVISOR, Role.OBSERVER)


class Membership(models.Model):
    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique_role")
        ]
        indexes = [models.Index(fields=["unit", "role", "is_active"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit.code}"
