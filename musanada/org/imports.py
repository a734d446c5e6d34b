"""Import and sync of schools and staff from Massar exports (CSV or JSON; the format is in docs/import.md).

Two passes: every row is parsed and checked against the database first, and a file with any bad row is
refused whole (every bad row listed); then a plan of changes is computed from dictionaries prefetched in a
few queries, and applied in one transaction with bulk statements. A dry run stops after the plan. Rerunning
the same file finds nothing to change. Tickets are never touched: a person who moves keeps their tickets
where they are, and a person who leaves is deactivated, never deleted.
"""

import csv
import io
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from musanada.core.errors import InvalidInput
from musanada.org.models import DESK_KINDS, Membership, OrgUnit, Role, UnitKind, User
from musanada.org.services import refresh_planner_statistics, unit_path, unit_upsert, users_bulk_create

# A school's GRESA code: five or six digits and a capital letter (01001A, 123456B).
GRESA_CODE = re.compile(r"^\d{5,6}[A-Z]$")
MASSAR_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
BATCH_SIZE = 2_000
SAMPLE_SIZE = 20
LANGUAGES = ("ar", "fr", "en")

UNIT_COLUMNS = ("gresa_code", "province_code", "name_ar", "name_fr", "email", "active")
UNIT_REQUIRED = ("gresa_code", "province_code", "name_ar", "name_fr")
STAFF_COLUMNS = (
    "massar_id",
    "username",
    "first_name",
    "last_name",
    "email",
    "unit_code",
    "role",
    "language",
    "active",
)
STAFF_REQUIRED = ("massar_id", "first_name", "last_name", "unit_code", "role")

# Role names as Massar exports and people write them, compared case-insensitively.
ROLE_NAMES = {
    Role.STAFF: ("staff", "teacher", "personnel", "enseignant", "enseignante", "موظف", "أستاذ", "أستاذة"),
    Role.AGENT: ("agent", "head", "directeur", "directrice", "chef", "مدير", "مديرة", "وكيل"),
    Role.SUPERVISOR: ("supervisor", "superviseur", "responsable", "مشرف", "مسؤول"),
    Role.OBSERVER: ("observer", "observateur", "inspecteur", "inspector", "ملاحظ", "مفتش"),
}
ROLE_OF_NAME = {name.casefold(): role for role, names in ROLE_NAMES.items() for name in names}
# A row is the person's post. Working at a school and heading it are one post, so moving from one to the
# other (a teacher who becomes head) ends the old one; supervising and observing are held on their own.
ROLE_FAMILY: dict[str, str] = {
    Role.STAFF: "post",
    Role.AGENT: "post",
    Role.SUPERVISOR: Role.SUPERVISOR,
    Role.OBSERVER: Role.OBSERVER,
}
TRUE_WORDS = {"1", "true", "yes", "y", "oui", "vrai", "نعم"}
FALSE_WORDS = {"0", "false", "no", "n", "non", "faux", "لا"}


class Action:
    CREATED = "created"
    UPDATED = "updated"
    MOVED = "moved"
    DEACTIVATED = "deactivated"


ACTION_LABELS = {
    Action.CREATED: pgettext_lazy("import", "created"),
    Action.UPDATED: pgettext_lazy("import", "updated"),
    Action.MOVED: pgettext_lazy("import", "moved"),
    Action.DEACTIVATED: pgettext_lazy("import", "deactivated"),
}


@dataclass(frozen=True)
class RowError:
    """One refused value: `line` is the line of the CSV file (the header is line 1), or the position of the
    object in a JSON list (1 for the first); `field` is the column."""

    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return str(
            _("line %(line)s, %(field)s: %(reason)s")
            % {"line": self.line, "field": self.field or "-", "reason": self.reason}
        )


class ImportRefused(InvalidInput):
    code = "import_refused"

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(
            _("The file was refused, nothing was changed. Bad rows: %(count)s."),
            params={"count": len({error.line for error in errors})},
        )


@dataclass
class Change:
    line: int | None
    key: str
    action: str
    detail: str = ""

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS[self.action])


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    moved: int = 0
    deactivated: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    sample: list[Change] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return self.created + self.updated + self.moved + self.deactivated

    def count(self, change: Change) -> None:
        setattr(self, change.action, getattr(self, change.action) + 1)
        if len(self.sample) < SAMPLE_SIZE:
            self.sample.append(change)

    def summary(self) -> str:
        return str(
            _(
                "%(rows)s rows: %(created)s created, %(updated)s updated, %(moved)s moved, "
                "%(deactivated)s deactivated, %(unchanged)s unchanged."
            )
            % {
                "rows": self.rows,
                "created": self.created,
                "updated": self.updated,
                "moved": self.moved,
                "deactivated": self.deactivated,
                "unchanged": self.unchanged,
            }
        )


# ---- reading -------------------------------------------------------------------------------------------


def read_records(data: bytes, columns, required) -> tuple[list[tuple[int, dict]], set[str], list[RowError]]:
    """The file's rows as (line, {column: text}), the columns it has, and the errors that stop the reading.

    CSV (comma or semicolon, UTF-8 with or without BOM) or JSON (a list of objects), told apart by content.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], set(), [RowError(1, "", str(_("The file is not UTF-8 text.")))]
    if text.lstrip()[:1] in ("[", "{"):
        records, present, errors = _read_json(text, columns)
    else:
        records, present, errors = _read_csv(text, columns)
    if not errors:
        for name in required:
            if name not in present:
                errors.append(RowError(1, name, str(_("This column is missing."))))
    if not errors and not records:
        errors.append(RowError(1, "", str(_("The file has no rows."))))
    return records, present, errors


def _read_csv(text: str, columns):
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        return [], set(), [RowError(1, "", str(_("The file is empty.")))]
    except csv.Error as error:
        return [], set(), [RowError(1, "", str(error))]
    errors, records = [], []
    for name in header:
        if name and name not in columns:
            errors.append(RowError(1, name, str(_("Unknown column."))))
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(header):
                errors.append(RowError(line, "", str(_("More values than columns."))))
                continue
            records.append(
                (line, {name: cell.strip() for name, cell in zip(header, cells, strict=False) if name})
            )
    except csv.Error as error:
        errors.append(RowError(reader.line_num, "", str(error)))
    return records, {name for name in header if name}, errors


def _read_json(text: str, columns):
    try:
        items = json.loads(text)
    except json.JSONDecodeError as error:
        return [], set(), [RowError(error.lineno, "", str(_("This is not valid JSON.")))]
    if not isinstance(items, list):
        return [], set(), [RowError(1, "", str(_("The JSON file must be a list of objects.")))]
    records, errors, present = [], [], set()
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            errors.append(RowError(position, "", str(_("This item is not an object."))))
            continue
        record = {}
        for name, value in item.items():
            if name not in columns:
                errors.append(RowError(position, name, str(_("Unknown field."))))
            elif isinstance(value, bool):
                record[name] = "true" if value else "false"
            elif value is None:
                record[name] = ""
            elif isinstance(value, str | int):
                record[name] = str(value).strip()
            else:
                errors.append(RowError(position, name, str(_("This value must be text."))))
        present |= set(record)
        records.append((position, record))
    return records, present, errors


# ---- checking ------------------------------------------------------------------------------------------


class _Checker:
    def __init__(self, line: int, record: dict, errors: list[RowError]):
        self.line, self.record, self.errors = line, record, errors
        self.bad = False

    def error(self, name: str, reason) -> None:
        self.errors.append(RowError(self.line, name, str(reason)))
        self.bad = True

    def text(self, name: str, *, required=False, max_length=255) -> str:
        value = self.record.get(name, "")
        if required and not value:
            self.error(name, _("This field is required."))
        elif len(value) > max_length:
            self.error(name, _("At most %(max)s characters.") % {"max": max_length})
        return value

    def email(self, name="email") -> str:
        value = self.text(name, max_length=254)
        if value:
            try:
                validate_email(value)
            except ValidationError:
                self.error(name, _("Not a valid e-mail address."))
        return value

    def active(self) -> bool:
        value = self.record.get("active", "").casefold()
        if not value or value in TRUE_WORDS:
            return True
        if value in FALSE_WORDS:
            return False
        self.error("active", _("Write true or false."))
        return True


def _duplicate(checker: _Checker, name: str, key: str, seen: dict) -> None:
    if key in seen:
        checker.error(name, _("Duplicate of line %(line)s.") % {"line": seen[key]})
    else:
        seen[key] = checker.line


@dataclass
class _UnitRow:
    line: int
    code: str
    province: OrgUnit
    name_ar: str
    name_fr: str
    email: str | None
    active: bool


def _check_units(records, present) -> list[_UnitRow]:
    provinces = {unit.code: unit for unit in OrgUnit.objects.filter(kind=UnitKind.PROVINCE)}
    other_kinds = dict(OrgUnit.objects.exclude(kind=UnitKind.SCHOOL).values_list("code", "kind"))
    errors: list[RowError] = []
    rows: list[_UnitRow] = []
    seen: dict[str, int] = {}
    for line, record in records:
        check = _Checker(line, record, errors)
        code = check.text("gresa_code", required=True, max_length=32).upper()
        if code:
            if not GRESA_CODE.match(code):
                check.error(
                    "gresa_code", _("Not a GRESA code (five or six digits and a letter, e.g. 01001A).")
                )
            elif code in other_kinds:
                check.error("gresa_code", _("This code belongs to a unit that is not a school."))
            else:
                _duplicate(check, "gresa_code", code, seen)
        province_code = check.text("province_code", required=True, max_length=32).upper()
        province = provinces.get(province_code)
        if province_code and province is None:
            check.error("province_code", _("No provincial directorate has this code."))
        name_ar = check.text("name_ar", required=True)
        name_fr = check.text("name_fr", required=True)
        email = check.email() if "email" in present else None
        active = check.active()
        if not check.bad:
            assert province is not None  # a missing or unknown province is an error above
            rows.append(_UnitRow(line, code, province, name_ar, name_fr, email, active))
    if errors:
        raise ImportRefused(errors)
    return rows


@dataclass
class _StaffRow:
    line: int
    massar_id: str
    username: str
    username_given: bool
    first_name: str
    last_name: str
    email: str | None
    unit_id: int | None
    role: str
    language: str
    active: bool
    user: dict | None  # the existing account, as read from the database


_USER_FIELDS = ("id", "username", "massar_id", "first_name", "last_name", "email", "is_active")


def _check_staff(records, present) -> list[_StaffRow]:
    units = {code: (pk, kind) for pk, code, kind in OrgUnit.objects.values_list("id", "code", "kind")}
    by_massar, by_username = {}, {}
    for user in User.objects.values(*_USER_FIELDS).iterator(chunk_size=10_000):
        by_username[user["username"]] = user
        if user["massar_id"]:
            by_massar[user["massar_id"]] = user
    username_ok = UnicodeUsernameValidator()
    errors: list[RowError] = []
    rows: list[_StaffRow] = []
    seen_ids: dict[str, int] = {}
    seen_usernames: dict[str, int] = {}
    for line, record in records:
        check = _Checker(line, record, errors)
        massar_id = check.text("massar_id", required=True, max_length=64)
        if massar_id:
            if not MASSAR_ID.match(massar_id):
                check.error("massar_id", _("Not a Massar identifier (letters, digits, “.”, “_”, “-”)."))
            else:
                _duplicate(check, "massar_id", massar_id, seen_ids)
        key_ok = not check.bad
        user = by_massar.get(massar_id)
        username = check.text("username", max_length=150)
        username_given = bool(username)
        if not username:
            username = user["username"] if user else massar_id.lower()
        # A username derived from a bad identifier would only repeat the identifier's error.
        if username_given or key_ok:
            try:
                username_ok(username)
            except ValidationError:
                check.error("username", _("Letters, digits and @ . + - _ only."))
            holder = by_username.get(username)
            if holder is not None and holder is not user and (user is not None or holder["massar_id"]):
                check.error("username", _("This username belongs to another account."))
            elif user is None and holder is not None:
                # An account made by hand before the registry knew the person: the import adopts it.
                user = holder
            _duplicate(check, "username", username, seen_usernames)
        first_name = check.text("first_name", required=True, max_length=150)
        last_name = check.text("last_name", required=True, max_length=150)
        email = check.email() if "email" in present else None
        active = check.active()
        unit_code = check.text("unit_code", required=active, max_length=32).upper()
        unit_id = None
        if unit_code:
            unit_id, unit_kind = units.get(unit_code, (None, None))
            if unit_id is None:
                check.error("unit_code", _("No unit has this code."))
        role_name = check.text("role", required=active, max_length=64)
        role = ROLE_OF_NAME.get(role_name.casefold(), "")
        if role_name and not role:
            check.error("role", _("Unknown role: use staff, agent, supervisor or observer."))
        elif unit_id and role in (Role.AGENT, Role.SUPERVISOR) and unit_kind not in DESK_KINDS:
            check.error("role", _("This unit has no desk: it can have staff or observers only."))
        language = check.text("language", max_length=8).lower()
        if language and language not in LANGUAGES:
            check.error("language", _("Write ar, fr or en."))
        if not check.bad:
            rows.append(
                _StaffRow(
                    line,
                    massar_id,
                    username,
                    username_given,
                    first_name,
                    last_name,
                    email,
                    unit_id,
                    role,
                    language or "ar",
                    active,
                    user,
                )
            )
    if errors:
        raise ImportRefused(errors)
    return rows


# ---- units ---------------------------------------------------------------------------------------------


def import_units(data: bytes, *, dry_run: bool = False, batch_size: int = BATCH_SIZE) -> ImportReport:
    """Create or update the schools of a Massar export, keyed on their GRESA code. Raises ImportRefused,
    listing every bad row, when any row is bad; changes nothing then, nor on a dry run."""
    started = time.monotonic()
    records, present, errors = read_records(data, UNIT_COLUMNS, UNIT_REQUIRED)
    if errors:
        raise ImportRefused(errors)
    report = ImportReport(kind="units", dry_run=dry_run, rows=len(records))
    with transaction.atomic():
        rows = _check_units(records, present)
        existing: dict[str, Mapping[str, Any]] = {
            unit["code"]: unit
            for unit in OrgUnit.objects.filter(kind=UnitKind.SCHOOL).values(
                "id", "code", "parent_id", "name_ar", "name_fr", "email", "is_active"
            )
        }
        new, updated, moved = [], [], []
        for row in rows:
            current = existing.get(row.code)
            wanted: dict[str, Any] = {"name_ar": row.name_ar, "name_fr": row.name_fr, "is_active": row.active}
            if row.email is not None:
                wanted["email"] = row.email
            if current is None:
                new.append(row)
                report.count(Change(row.line, row.code, Action.CREATED, row.province.code))
                continue
            changed = [name for name, value in wanted.items() if current[name] != value]
            if current["parent_id"] != row.province.pk:
                moved.append((row, wanted))
                report.count(Change(row.line, row.code, Action.MOVED, f"→ {row.province.code}"))
            elif changed:
                updated.append(OrgUnit(**{**current, **wanted}))
                action = Action.DEACTIVATED if "is_active" in changed and not row.active else Action.UPDATED
                report.count(Change(row.line, row.code, action, ", ".join(changed)))
            else:
                report.unchanged += 1
        if not dry_run:
            OrgUnit.objects.bulk_create(
                [
                    OrgUnit(
                        code=row.code,
                        kind=UnitKind.SCHOOL,
                        parent=row.province,
                        name_ar=row.name_ar,
                        name_fr=row.name_fr,
                        email=row.email or "",
                        is_active=row.active,
                        path=unit_path(row.province, row.code),
                        depth=unit_path(row.province, row.code).count("/") - 2,
                    )
                    for row in new
                ],
                batch_size=batch_size,
            )
            OrgUnit.objects.bulk_update(
                updated, ["name_ar", "name_fr", "email", "is_active"], batch_size=batch_size
            )
            # Moves are rare and carry a subtree: the service recomputes the paths.
            for row, wanted in moved:
                unit_upsert(code=row.code, kind=UnitKind.SCHOOL, parent=row.province, **wanted)
            if len(new) > batch_size:
                refresh_planner_statistics(OrgUnit)
    report.seconds = time.monotonic() - started
    return report


# ---- staff ---------------------------------------------------------------------------------------------


def import_staff(
    data: bytes, *, dry_run: bool = False, full: bool = False, batch_size: int = BATCH_SIZE
) -> ImportReport:
    """Create or update the staff of a Massar export, keyed on their Massar identifier, and their membership
    of their unit. A person at another unit than before moves (the old membership of that post ends); a row
    with active=false deactivates the account and its memberships. With `full`, the file is the complete list
    of the units it names: people with a Massar identifier who hold a membership there and are not in the
    file lose it, and their account when nothing else is left. Refuses the whole file on any bad row."""
    started = time.monotonic()
    records, present, errors = read_records(data, STAFF_COLUMNS, STAFF_REQUIRED)
    if errors:
        raise ImportRefused(errors)
    report = ImportReport(kind="staff", dry_run=dry_run, rows=len(records))
    with transaction.atomic():
        rows = _check_staff(records, present)
        plan = _StaffPlan(report)
        plan.load_memberships()
        for row in rows:
            plan.row(row)
        if full:
            plan.absent_from(rows)
        if not dry_run:
            plan.apply(batch_size)
    report.seconds = time.monotonic() - started
    return report


class _StaffPlan:
    def __init__(self, report: ImportReport):
        self.report = report
        self.memberships: dict[int, list[dict]] = {}
        self.new_users: list[tuple[User, int, str]] = []
        self.changed_users: dict[int, User] = {}
        self.deactivate: set[int] = set()
        self.reactivate: set[int] = set()
        self.grant: list[Membership] = []
        self.password = make_password(None)
        self.now = timezone.now()

    def load_memberships(self) -> None:
        fields = ("id", "user_id", "unit_id", "role", "is_active")
        for membership in Membership.objects.values(*fields).iterator(chunk_size=10_000):
            self.memberships.setdefault(membership["user_id"], []).append(membership)

    def row(self, row: _StaffRow) -> None:
        user = row.user
        if user is None:
            if not row.active:
                # Someone who left before the registry ever sent them: nothing to keep.
                self.report.unchanged += 1
                return
            account = User(
                username=row.username,
                massar_id=row.massar_id,
                first_name=row.first_name,
                last_name=row.last_name,
                email=row.email or "",
                language=row.language,
                password=self.password,
                date_joined=self.now,
            )
            assert row.unit_id is not None  # an active row names its unit (checked)
            self.new_users.append((account, row.unit_id, row.role))
            self.report.count(Change(row.line, row.massar_id, Action.CREATED, row.username))
            return
        wanted = {
            "massar_id": row.massar_id,
            "first_name": row.first_name,
            "last_name": row.last_name,
            "is_active": row.active,
        }
        if row.username_given:
            wanted["username"] = row.username
        if row.email is not None:
            wanted["email"] = row.email
        changed = [name for name, value in wanted.items() if user[name] != value]
        if changed:
            self.changed_users[user["id"]] = User(**{**user, **wanted})
        held = self.memberships.get(user["id"], [])
        if not row.active:
            ending = [m for m in held if m["is_active"]]
            self.deactivate.update(m["id"] for m in ending)
            if ending or "is_active" in changed:
                self.report.count(Change(row.line, row.massar_id, Action.DEACTIVATED, row.username))
            elif changed:
                self.report.count(Change(row.line, row.massar_id, Action.UPDATED, ", ".join(changed)))
            else:
                self.report.unchanged += 1
            return
        assert row.unit_id is not None  # an active row names its unit (checked)
        family = ROLE_FAMILY[row.role]
        target = next((m for m in held if m["unit_id"] == row.unit_id and m["role"] == row.role), None)
        ending = [m for m in held if m["is_active"] and m is not target and ROLE_FAMILY[m["role"]] == family]
        self.deactivate.update(m["id"] for m in ending)
        granted = target is None or not target["is_active"]
        if target is None:
            self.grant.append(Membership(user_id=user["id"], unit_id=row.unit_id, role=row.role))
        elif not target["is_active"]:
            self.reactivate.add(target["id"])
        if ending and granted:
            self.report.count(Change(row.line, row.massar_id, Action.MOVED, row.username))
        elif changed or granted or ending:
            detail = ", ".join(changed + (["membership"] if granted or ending else []))
            self.report.count(Change(row.line, row.massar_id, Action.UPDATED, detail))
        else:
            self.report.unchanged += 1

    def absent_from(self, rows: list[_StaffRow]) -> None:
        """--full: the file lists everyone of the units it names."""
        covered = {row.unit_id for row in rows if row.unit_id}
        listed = {row.massar_id for row in rows}
        candidates = self._absent_candidates(covered, listed)
        for user in candidates.values():
            held = self.memberships.get(user["id"], [])
            ending = [m for m in held if m["is_active"] and m["unit_id"] in covered]
            if not ending:
                continue
            self.deactivate.update(m["id"] for m in ending)
            if all(not m["is_active"] or m["id"] in self.deactivate for m in held) and user["is_active"]:
                self.changed_users[user["id"]] = User(**{**user, "is_active": False})
            self.report.count(Change(None, user["massar_id"], Action.DEACTIVATED, user["username"]))

    def _absent_candidates(self, covered: set[int], listed: set[str]) -> dict[int, dict]:
        # A national file lists more identifiers than a NOT IN may carry on SQLite: filter in Python instead.
        users = {}
        query = User.objects.filter(massar_id__isnull=False).values(*_USER_FIELDS)
        for user in query.iterator(chunk_size=10_000):
            if user["massar_id"] not in listed and any(
                m["is_active"] and m["unit_id"] in covered for m in self.memberships.get(user["id"], [])
            ):
                users[user["id"]] = user
        return users

    def apply(self, batch_size: int) -> None:
        users = [user for user, _unit, _role in self.new_users]
        users = users_bulk_create(users, batch_size)
        self.grant.extend(
            Membership(user_id=user.pk, unit_id=unit_id, role=role) for user, unit_id, role in self.new_users
        )
        User.objects.bulk_update(
            list(self.changed_users.values()),
            ["username", "massar_id", "first_name", "last_name", "email", "is_active"],
            batch_size=batch_size,
        )
        for ids, active in ((sorted(self.deactivate), False), (sorted(self.reactivate), True)):
            for start in range(0, len(ids), batch_size):
                Membership.objects.filter(id__in=ids[start : start + batch_size]).update(is_active=active)
        Membership.objects.bulk_create(self.grant, batch_size=batch_size)
        if len(self.new_users) > batch_size:
            refresh_planner_statistics(User, Membership)
