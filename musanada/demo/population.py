"""A generated population of schools and people, for demos and load tests.

Deterministic for a seed: the same arguments give the same codes, names and usernames, so a rerun skips what
exists instead of duplicating it. Rows go in with bulk_create and one precomputed password hash: the full
national population (18,000 schools, 300,000 staff) takes minutes, not the hours that one `save()` and one
password hash per user would.
"""

import random
import time
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from musanada.core.errors import ErrorCode, InvalidInput
from musanada.org.models import Membership, OrgUnit, Role, UnitKind, User
from musanada.org.services import refresh_planner_statistics, users_bulk_create

NATIONAL_SCHOOLS = 18_000
NATIONAL_STAFF = 300_000
DEFAULT_SEED = 2026
BATCH_SIZE = 5_000
USERNAME_PREFIX = "g-"
EMAIL_DOMAIN = "demo.musanada.ma"

# The demo schools (musanada/demo/people.py) end in A to D; generated codes use the other letters only.
CODE_LETTERS = "EFGHIJKLMNOPQRSTUVWXYZ"
CODE_CAPACITY = 999 * len(CODE_LETTERS)

# kind, share of schools, Arabic pattern, French pattern, staff weight range
SCHOOL_TYPES = [
    ("primary", 0.60, "مدرسة %(name)s الابتدائية", "École primaire %(name)s", (8, 22)),
    ("college", 0.25, "الثانوية الإعدادية %(name)s", "Collège %(name)s", (20, 45)),
    ("lycee", 0.15, "الثانوية التأهيلية %(name)s", "Lycée %(name)s", (30, 60)),
]

# Names Moroccan schools carry: scholars, national figures, dates and places.
SCHOOL_NAMES = [
    ("ابن خلدون", "Ibn Khaldoun"),
    ("المسيرة", "Al Massira"),
    ("الأطلس", "Atlas"),
    ("ابن بطوطة", "Ibn Battouta"),
    ("ابن رشد", "Ibn Rochd"),
    ("ابن سينا", "Ibn Sina"),
    ("الفارابي", "Al Farabi"),
    ("ابن طفيل", "Ibn Toufail"),
    ("القاضي عياض", "Qadi Ayyad"),
    ("الزرقطوني", "Zerktouni"),
    ("علال الفاسي", "Allal El Fassi"),
    ("عبد الكريم الخطابي", "Abdelkrim El Khattabi"),
    ("محمد الخامس", "Mohammed V"),
    ("الحسن الثاني", "Hassan II"),
    ("المختار السوسي", "Mokhtar Soussi"),
    ("ابن زيدون", "Ibn Zaidoun"),
    ("الإدريسي", "Al Idrissi"),
    ("ابن الهيثم", "Ibn Al Haytham"),
    ("ابن البناء", "Ibn Al Banna"),
    ("يوسف بن تاشفين", "Youssef Ben Tachfine"),
    ("طارق بن زياد", "Tarik Ibn Ziad"),
    ("المنصور الذهبي", "Al Mansour Eddahbi"),
    ("المولى إسماعيل", "Moulay Ismail"),
    ("المولى إدريس", "Moulay Idriss"),
    ("الوحدة", "Al Wahda"),
    ("الاستقلال", "Al Istiqlal"),
    ("الأمل", "Al Amal"),
    ("النهضة", "Annahda"),
    ("الفتح", "Al Fath"),
    ("الرازي", "Errazi"),
    ("الخوارزمي", "Al Khawarizmi"),
    ("ابن الخطيب", "Ibn Al Khatib"),
    ("أبو بكر الصديق", "Abou Bakr Essedik"),
    ("عمر بن الخطاب", "Omar Ibn Al Khattab"),
    ("عثمان بن عفان", "Othmane Ibn Affane"),
    ("علي بن أبي طالب", "Ali Ibn Abi Taleb"),
    ("فاطمة الفهرية", "Fatima Al Fihriya"),
    ("الزلاقة", "Zallaqa"),
    ("وادي الذهب", "Oued Eddahab"),
    ("الساقية الحمراء", "Sakia El Hamra"),
    ("الريف", "Rif"),
    ("تافيلالت", "Tafilalet"),
    ("درعة", "Draa"),
    ("سوس", "Souss"),
    ("أنوال", "Anoual"),
    ("المعتمد بن عباد", "Al Moutamid Ibn Abbad"),
    ("محمد عابد الجابري", "Mohamed Abed Al Jabri"),
    ("عبد الله كنون", "Abdellah Guennoun"),
    ("المهدي بن بركة", "Mehdi Ben Barka"),
    ("الحسن اليوسي", "Al Hassan Al Youssi"),
    ("ابن آجروم", "Ibn Ajurrum"),
    ("الشريف الإدريسي", "Chérif Al Idrissi"),
    ("الأندلس", "Al Andalous"),
    ("القدس", "Al Qods"),
    ("الياسمين", "Al Yasmine"),
    ("النخيل", "Annakhil"),
    ("الزيتون", "Zitoune"),
    ("السلام", "Essalam"),
    ("الفداء", "Al Fida"),
    ("الانبعاث", "Al Inbiat"),
    ("المغرب العربي", "Maghreb Arabi"),
]

MALE_FIRST_NAMES = [
    "محمد",
    "أحمد",
    "يوسف",
    "عبد الله",
    "عمر",
    "حسن",
    "مصطفى",
    "إبراهيم",
    "خالد",
    "سعيد",
    "رشيد",
    "عبد الرحيم",
    "عبد الإله",
    "هشام",
    "كريم",
    "نور الدين",
    "عبد العزيز",
    "إدريس",
    "المهدي",
    "أنس",
    "ياسين",
    "حمزة",
    "زكرياء",
    "عادل",
    "جمال",
    "عبد الكريم",
    "مراد",
    "طارق",
    "سفيان",
    "أيوب",
    "عثمان",
    "بلال",
    "لحسن",
    "الحسين",
    "إسماعيل",
]
FEMALE_FIRST_NAMES = [
    "فاطمة",
    "خديجة",
    "مريم",
    "سعاد",
    "نادية",
    "ليلى",
    "هدى",
    "زينب",
    "أمينة",
    "سناء",
    "حنان",
    "نعيمة",
    "كريمة",
    "سميرة",
    "إيمان",
    "أسماء",
    "سلمى",
    "هاجر",
    "وفاء",
    "لطيفة",
    "رجاء",
    "نجاة",
    "بشرى",
    "حياة",
    "عائشة",
    "ابتسام",
    "سهام",
    "مليكة",
    "نزهة",
    "فتيحة",
    "يسرى",
    "غيثة",
    "شيماء",
    "خولة",
    "إكرام",
]
LAST_NAMES = [
    "العلوي",
    "الإدريسي",
    "بناني",
    "الفاسي",
    "التازي",
    "الشرقاوي",
    "المريني",
    "السباعي",
    "الكتاني",
    "الحسني",
    "الوجدي",
    "البركاني",
    "الناظوري",
    "المراكشي",
    "السوسي",
    "الرباطي",
    "الطنجاوي",
    "الصحراوي",
    "الدكالي",
    "العبدي",
    "الزياني",
    "الورياغلي",
    "البقالي",
    "الغماري",
    "الريفي",
    "الأمزيغي",
    "بنكيران",
    "بنجلون",
    "برادة",
    "الصقلي",
    "العراقي",
    "الشاوي",
    "الحريزي",
    "الزموري",
    "التطواني",
    "الشفشاوني",
    "العمراني",
    "الطاهري",
    "الخمليشي",
    "أوعلي",
    "أيت علي",
    "أمغار",
    "بوزيان",
    "الرحماني",
    "المنصوري",
    "الجراري",
    "القباج",
    "لحلو",
]

# Agents per desk, drawn for each unit: (lowest, highest).
PROVINCE_AGENTS = (2, 4)
ACADEMY_AGENTS = (2, 3)
SERVICE_AGENTS = (2, 2)


@dataclass
class GenerateReport:
    schools: int = 0
    users: int = 0
    memberships: int = 0
    skipped_schools: int = 0
    skipped_users: int = 0
    seconds: float = 0.0
    by_role: dict = field(default_factory=dict)


@dataclass
class _School:
    code: str
    province: OrgUnit
    name_ar: str
    name_fr: str
    staff_weight: float
    staff: int = 0


def school_code(province_index: int, counter: int) -> str:
    """The `counter`-th generated code of a province: 2 digits of province, 3 of number, 1 letter (E-Z)."""
    if not 0 <= counter < CODE_CAPACITY:
        raise InvalidInput(_("Too many schools for one province."), code=ErrorCode.TOO_MANY_SCHOOLS)
    number, letter = divmod(counter, len(CODE_LETTERS))
    return f"{province_index:02d}{number + 1:03d}{CODE_LETTERS[letter]}"


def allocate(total: int, weights: list[float]) -> list[int]:
    """Split `total` into integer parts proportional to `weights` (largest remainders), summing to `total`."""
    if not weights or total <= 0:
        return [0] * len(weights)
    weight_sum = sum(weights)
    exact = [total * w / weight_sum for w in weights]
    parts = [int(x) for x in exact]
    # Ties broken by position, so the split is the same on every run.
    by_remainder = sorted(range(len(weights)), key=lambda i: (parts[i] - exact[i], i))
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _provinces(academies) -> tuple[list[tuple[int, OrgUnit]], list[OrgUnit]]:
    """The provinces in scope with their national index (stable whatever the scope), and the academies."""
    every_province = list(OrgUnit.objects.filter(kind=UnitKind.PROVINCE).order_by("code"))
    if not every_province:
        raise InvalidInput(
            _("The national tree is not loaded: run “musanada load-org” first."), code=ErrorCode.NO_ORG_TREE
        )
    academy_units = list(OrgUnit.objects.filter(kind=UnitKind.ACADEMY).order_by("code"))
    if academies:
        wanted = set(academies)
        academy_units = [a for a in academy_units if a.code in wanted]
        unknown = wanted - {a.code for a in academy_units}
        if unknown:
            raise InvalidInput(
                _("Unknown academy: %(codes)s."),
                code=ErrorCode.UNKNOWN_ACADEMY,
                params={"codes": ", ".join(sorted(unknown))},
            )
    academy_ids = {a.pk for a in academy_units}
    provinces = [(i, p) for i, p in enumerate(every_province, start=1) if p.parent_id in academy_ids]
    return provinces, academy_units


def plan_schools(schools: int, staff: int, seed: int, provinces) -> list[_School]:
    """Which schools to have, with their names and staff counts: the same list for the same arguments."""
    rng = random.Random(seed)
    province_weights = [rng.uniform(0.4, 1.6) for _ in provinces]
    per_province = allocate(schools, province_weights)
    planned = []
    for (index, province), count in zip(provinces, per_province, strict=True):
        if count > CODE_CAPACITY:
            raise InvalidInput(_("Too many schools for one province."), code=ErrorCode.TOO_MANY_SCHOOLS)
        seen_names: dict[str, int] = {}
        for counter in range(count):
            code = school_code(index, counter)
            school_rng = random.Random(f"{seed}:{code}")
            kind = school_rng.choices(SCHOOL_TYPES, weights=[t[1] for t in SCHOOL_TYPES])[0]
            _kind, _share, pattern_ar, pattern_fr, (low, high) = kind
            name_ar, name_fr = school_rng.choice(SCHOOL_NAMES)
            full_ar, full_fr = pattern_ar % {"name": name_ar}, pattern_fr % {"name": name_fr}
            # Namesakes in one province get a number, so that lists and pickers can tell them apart.
            seen_names[full_fr] = seen_names.get(full_fr, 0) + 1
            if seen_names[full_fr] > 1:
                full_ar, full_fr = f"{full_ar} {seen_names[full_fr]}", f"{full_fr} {seen_names[full_fr]}"
            planned.append(_School(code, province, full_ar, full_fr, school_rng.uniform(low, high)))
    for school, count in zip(planned, allocate(staff, [s.staff_weight for s in planned]), strict=True):
        school.staff = count
    return planned


class _Writer:
    """Buffers users with their memberships and writes them in batches, skipping usernames that exist."""

    def __init__(self, password_hash: str, batch_size: int, report: GenerateReport):
        self.password_hash = password_hash
        self.batch_size = batch_size
        self.report = report
        self.existing = set(
            User.objects.filter(username__startswith=USERNAME_PREFIX).values_list("username", flat=True)
        )
        self.pending: list[tuple[User, int, str]] = []
        self.now = timezone.now()

    def add(self, username: str, rng: random.Random, unit_id: int, role: str) -> None:
        # Names are drawn before the skip, so that a partial rerun names the new people as a full run would.
        first_name = rng.choice(FEMALE_FIRST_NAMES if rng.random() < 0.5 else MALE_FIRST_NAMES)
        last_name = rng.choice(LAST_NAMES)
        if username in self.existing:
            self.report.skipped_users += 1
            return
        self.existing.add(username)
        user = User(
            username=username,
            password=self.password_hash,
            first_name=first_name,
            last_name=last_name,
            email=f"{username}@{EMAIL_DOMAIN}",
            date_joined=self.now,
        )
        self.pending.append((user, unit_id, role))
        if len(self.pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        users = users_bulk_create([user for user, _unit, _role in self.pending], self.batch_size)
        Membership.objects.bulk_create(
            [Membership(user_id=user.pk, unit_id=unit_id, role=role) for user, unit_id, role in self.pending],
            batch_size=self.batch_size,
        )
        self.report.users += len(users)
        self.report.memberships += len(users)
        for _user, _unit, role in self.pending:
            self.report.by_role[role] = self.report.by_role.get(role, 0) + 1
        self.pending = []


def _agents(writer: _Writer, unit: OrgUnit, seed: int, bounds: tuple[int, int]) -> None:
    rng = random.Random(f"{seed}:{unit.code}")
    for n in range(1, rng.randint(*bounds) + 1):
        writer.add(f"{USERNAME_PREFIX}{unit.code.lower()}-{n}", rng, unit.pk, Role.AGENT)


def generate_population(
    *,
    schools: int,
    staff: int,
    seed: int = DEFAULT_SEED,
    academies=None,
    password: str | None = None,
    batch_size: int = BATCH_SIZE,
) -> GenerateReport:
    """Create `schools` schools spread over the provinces (of `academies`, or the whole country), each with a
    head, and `staff` staff among them; plus the agents of the provinces, academies and central services in
    scope. Everything that already exists (same code, same username) is skipped. `password=None` gives the
    generated accounts an unusable password."""
    if schools < 0 or staff < 0 or batch_size < 1:
        raise InvalidInput(_("Counts must be positive numbers."), code=ErrorCode.INVALID_COUNT)
    if staff and not schools:
        raise InvalidInput(
            _("Staff need schools: ask for at least one school."), code=ErrorCode.STAFF_WITHOUT_SCHOOLS
        )
    started = time.monotonic()
    report = GenerateReport()
    provinces, academy_units = _provinces(academies)
    if schools and not provinces:
        raise InvalidInput(_("There is no provincial directorate in that scope."), code=ErrorCode.NO_PROVINCE)
    planned = plan_schools(schools, staff, seed, provinces)
    # One hash for everyone: hashing is deliberately slow, and 300,000 hashes would take hours.
    password_hash = make_password(password or None)

    with transaction.atomic():
        existing_codes = set(
            OrgUnit.objects.filter(code__in=[s.code for s in planned]).values_list("code", flat=True)
        )
        new_units = []
        for school in planned:
            if school.code in existing_codes:
                report.skipped_schools += 1
                continue
            path = f"{school.province.path}{school.code}/"
            new_units.append(
                OrgUnit(
                    code=school.code,
                    kind=UnitKind.SCHOOL,
                    parent=school.province,
                    name_ar=school.name_ar,
                    name_fr=school.name_fr,
                    path=path,
                    depth=path.count("/") - 2,
                )
            )
        OrgUnit.objects.bulk_create(new_units, batch_size=batch_size)
        report.schools = len(new_units)
        school_ids = dict(
            OrgUnit.objects.filter(code__in=[s.code for s in planned]).values_list("code", "id")
        )

        writer = _Writer(password_hash, batch_size, report)
        for service in OrgUnit.objects.filter(kind=UnitKind.SERVICE).order_by("code"):
            _agents(writer, service, seed, SERVICE_AGENTS)
        for academy in academy_units:
            _agents(writer, academy, seed, ACADEMY_AGENTS)
        for _index, province in provinces:
            _agents(writer, province, seed, PROVINCE_AGENTS)
        for school in planned:
            rng = random.Random(f"{seed}:{school.code}:people")
            unit_id = school_ids[school.code]
            stem = f"{USERNAME_PREFIX}{school.code.lower()}"
            writer.add(f"{stem}-head", rng, unit_id, Role.AGENT)
            for n in range(1, school.staff + 1):
                writer.add(f"{stem}-{n}", rng, unit_id, Role.STAFF)
        writer.flush()
    if report.schools or report.users:
        refresh_planner_statistics(OrgUnit, User, Membership)
    report.seconds = time.monotonic() - started
    return report
