"""Changes to the org tree and to memberships."""

import csv
from dataclasses import dataclass
from importlib import resources

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from musanada.core.errors import InvalidInput
from musanada.org.models import Category, Membership, OrgUnit, UnitKind, User
from musanada.tickets import policy
from musanada.tickets.services import tickets_refresh_access_keys

# Which kinds a unit of each kind may hang under.
PARENT_KIND: dict[str, UnitKind | None] = {
    UnitKind.CENTRAL: None,
    UnitKind.SERVICE: UnitKind.CENTRAL,
    UnitKind.ACADEMY: UnitKind.CENTRAL,
    UnitKind.PROVINCE: UnitKind.ACADEMY,
    UnitKind.SCHOOL: UnitKind.PROVINCE,
}


def unit_path(parent: OrgUnit | None, code: str) -> str:
    return f"{parent.path if parent else '/'}{code}/"


def unit_upsert(
    *, code: str, kind: str, parent: OrgUnit | None, name_ar: str, name_fr: str, **extra
) -> OrgUnit:
    """Create the unit, or update it in place (names, parent) when its code exists: never a duplicate."""
    code = (code or "").strip()
    if not code or "/" in code or len(code) > 32:
        raise InvalidInput(_("A unit code is required, without “/”, 32 characters at most."), field="code")
    if kind not in PARENT_KIND:
        raise InvalidInput(_("Unknown unit kind."), field="kind")
    expected_parent = PARENT_KIND[kind]
    if (parent is None) != (expected_parent is None) or (
        parent is not None and parent.kind != expected_parent
    ):
        raise InvalidInput(_("This unit cannot hang under that parent."), field="parent")
    path = unit_path(parent, code)
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        return OrgUnit.objects.create(
            code=code,
            kind=kind,
            parent=parent,
            name_ar=name_ar,
            name_fr=name_fr,
            path=path,
            depth=path.count("/") - 2,
            **extra,
        )
    old_path = unit.path
    for name, value in {
        "kind": kind,
        "parent": parent,
        "name_ar": name_ar,
        "name_fr": name_fr,
        **extra,
    }.items():
        setattr(unit, name, value)
    unit.path, unit.depth = path, path.count("/") - 2
    unit.save()
    if old_path != path:
        _move_subtree(old_path, path)
    return unit


def unit_repath(unit: OrgUnit) -> OrgUnit:
    """Save a unit edited by hand (the admin), recomputing its path and those of everything under it."""
    old_path = OrgUnit.objects.filter(pk=unit.pk).values_list("path", flat=True).first() if unit.pk else None
    unit.path = unit_path(unit.parent, unit.code)
    unit.depth = unit.path.count("/") - 2
    with transaction.atomic():
        unit.save()
        if old_path and old_path != unit.path:
            _move_subtree(old_path, unit.path)
    return unit


def _move_subtree(old_path: str, new_path: str) -> None:
    for descendant in OrgUnit.objects.filter(path__startswith=old_path).exclude(path=new_path):
        descendant.path = new_path + descendant.path[len(old_path) :]
        descendant.depth = descendant.path.count("/") - 2
        descendant.save(update_fields=["path", "depth"])
    # The tickets of the subtree keep which units are above them (their access keys): they follow.
    tickets_refresh_access_keys(new_path)


# The central services and the categories each owns. The ministry's real list is not public: this seed
# follows the information systems named in shared/data/README.md, one service per family of systems.
# (code, name_ar, name_fr) of a topic; (code, name_ar, name_fr, topics) of a system; (code, name_ar, name_fr,
# systems) of a service.
_Topic = tuple[str, str, str]
_System = tuple[str, str, str, list[_Topic]]
CENTRAL_SERVICES: list[tuple[str, str, str, list[_System]]] = [
    (
        "MEN-MASSAR",
        "مصلحة منظومة مسار",
        "Service du système Massar",
        [
            (
                "massar",
                "منظومة مسار",
                "Massar",
                [
                    ("massar-registration", "التسجيل والانتقالات", "Inscriptions et transferts"),
                    ("massar-grades", "النقط والامتحانات", "Notes et examens"),
                    ("massar-absences", "الغياب", "Absences"),
                    (
                        "massar-timetables",
                        "استعمالات الزمن والبنيات التربوية",
                        "Emplois du temps et structures",
                    ),
                    ("massar-social", "الدعم الاجتماعي", "Appui social"),
                    ("massar-census", "الإحصاء المدرسي", "Recensement scolaire"),
                ],
            ),
            (
                "massar-apps",
                "تطبيقات مسار (مدرس، ولي، متمدرس)",
                "Applications Massar (Moudaris, Waliye, Moutamadris)",
                [],
            ),
        ],
    ),
    (
        "MEN-ACCOUNTS",
        "مصلحة الحسابات والولوج",
        "Service des comptes et des accès",
        [
            (
                "accounts",
                "الحسابات وكلمات المرور والتحقق بخطوتين",
                "Comptes, mots de passe et double authentification",
                [
                    ("accounts-password", "كلمة المرور", "Mot de passe"),
                    ("accounts-2fa", "التحقق بخطوتين", "Double authentification"),
                ],
            ),
            (
                "taalim",
                "حسابات تعليم (مايكروسوفت 365 / تيمز)",
                "Comptes Taalim.ma (Microsoft 365 / Teams)",
                [],
            ),
        ],
    ),
    (
        "MEN-HR",
        "مصلحة منظومة تدبير الموارد البشرية",
        "Service du système de gestion des ressources humaines",
        [
            ("masirh", "منظومة مسير", "MASIRH (ressources humaines)", []),
        ],
    ),
    (
        "MEN-EXAMS",
        "مصلحة منظومة الامتحانات",
        "Service du système des examens",
        [
            ("exams", "منظومة الامتحانات", "Système des examens", []),
        ],
    ),
    (
        "MEN-PORTALS",
        "مصلحة البوابات والخدمات الإلكترونية",
        "Service des portails et e-services",
        [
            ("eservices", "الخدمات الإلكترونية والبوابات", "E-services et portails", []),
            ("gresa", "منظومة GRESA", "GRESA", []),
            ("esise", "منظومة ESISE", "ESISE", []),
            ("other", "طلبات أخرى", "Autres demandes", []),
        ],
    ),
]


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0


def _category_upsert(code, parent, name_ar, name_fr, owner, report: LoadReport) -> Category:
    category, created = Category.objects.update_or_create(
        code=code,
        defaults={"parent": parent, "name_ar": name_ar, "name_fr": name_fr, "owner": owner},
    )
    report.created += created
    report.updated += not created
    return category


@transaction.atomic
def load_national_tree() -> LoadReport:
    """Load the central directorate, the 12 academies, the 82 directorates, the central services and the
    categories they own. Idempotent: rerunning updates names and never duplicates."""
    report = LoadReport()
    source = resources.files("musanada").joinpath("data/org-national.csv")
    with source.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    units: dict[str, OrgUnit] = {}
    for row in rows:
        existed = OrgUnit.objects.filter(code=row["code"]).exists()
        units[row["code"]] = unit_upsert(
            code=row["code"],
            kind=row["kind"],
            parent=units.get(row["parent_code"]) if row["parent_code"] else None,
            name_ar=row["name_ar"],
            name_fr=row["name_fr"],
        )
        report.created += not existed
        report.updated += existed
    central = next(unit for unit in units.values() if unit.kind == UnitKind.CENTRAL)
    for code, name_ar, name_fr, systems in CENTRAL_SERVICES:
        existed = OrgUnit.objects.filter(code=code).exists()
        service = unit_upsert(
            code=code, kind=UnitKind.SERVICE, parent=central, name_ar=name_ar, name_fr=name_fr
        )
        report.created += not existed
        report.updated += existed
        for sys_code, sys_ar, sys_fr, topics in systems:
            system = _category_upsert(sys_code, None, sys_ar, sys_fr, service, report)
            for topic_code, topic_ar, topic_fr in topics:
                _category_upsert(topic_code, system, topic_ar, topic_fr, service, report)
    return report


def user_sign_out_everywhere(user) -> None:
    """End every session of the user and revoke their API tokens (api/signals.py): for a lost phone, a
    shared computer, a suspected theft. The user signs in again with their password."""
    user.sign_out_count += 1
    user.save(update_fields=["sign_out_count"])


def user_set_language(user, language: str) -> bool:
    """Keep the language a person chose on their account, so pages and mails follow them everywhere.

    Returns whether anything changed; a language the product does not offer changes nothing.
    """
    if language not in dict(settings.LANGUAGES) or language == user.language:
        return False
    user.language = language
    user.save(update_fields=["language"])
    return True


def membership_grant(user, unit: OrgUnit, role: str) -> Membership:
    membership, _created = Membership.objects.update_or_create(
        user=user, unit=unit, role=role, defaults={"is_active": True}
    )
    policy.forget_reach(user)
    return membership


def users_bulk_create(users: list, batch_size: int) -> list:
    """Insert many users in batches and return them with their ids (the generator and the Massar import)."""
    users = User.objects.bulk_create(users, batch_size=batch_size)
    if any(user.pk is None for user in users):
        # Backends that cannot return ids from a bulk insert: read them back by username.
        ids = dict(
            User.objects.filter(username__in=[u.username for u in users]).values_list("username", "id")
        )
        for user in users:
            user.pk = ids[user.username]
    return users


def refresh_planner_statistics(*models) -> None:
    """Run ANALYZE on the tables of `models`, after a bulk load (the Massar import, the demo generators)."""
    # Planner statistics from before a bulk load make PostgreSQL pick hash joins over the whole unit table for
    # one user's memberships (5 ms instead of 0.1 ms per query) until autovacuum gets round to it.
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
