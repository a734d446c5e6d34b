"""The named demo population: four schools and one person per role, around one school in Tangier.

`make run` loads it for newcomers, and the test suite uses the same people as its personas, so what a
newcomer tries by hand is what the tests prove.
"""

from django.contrib.auth import get_user_model
from django.db import transaction

from musanada.org.models import OrgUnit, Role, UnitKind
from musanada.org.services import membership_grant, unit_upsert

# code (GRESA-like), province, Arabic name, French name
SCHOOLS = [
    ("01001A", "MA-01-01", "مدرسة ابن بطوطة الابتدائية", "École primaire Ibn Battouta"),
    ("01002B", "MA-01-01", "الثانوية الإعدادية الزرقطوني", "Collège Zerktouni"),
    ("01301C", "MA-01-03", "الثانوية التأهيلية القاضي عياض", "Lycée Qadi Ayyad"),
    ("02001D", "MA-02-01", "مدرسة الوحدة الابتدائية", "École primaire Al Wahda"),
]

# The one password of every demo account (`musanada demo` prints it); never used outside demos and tests.
DEMO_PASSWORD = "Musanada-2026!"

# username, first name, last name, unit, role
PERSONAS = [
    ("teacher", "سعاد", "العلوي", "01001A", Role.STAFF),
    ("head", "محمد", "الإدريسي", "01001A", Role.AGENT),
    ("head2", "خديجة", "بناني", "01002B", Role.AGENT),
    ("province", "يوسف", "الفاسي", "MA-01-01", Role.AGENT),
    ("province2", "نادية", "التازي", "MA-01-03", Role.AGENT),
    ("region", "عبد الله", "الشرقاوي", "MA-01", Role.AGENT),
    ("supervisor", "ليلى", "المريني", "MA-01", Role.SUPERVISOR),
    ("central", "كريم", "السباعي", "MEN-MASSAR", Role.AGENT),
    ("central2", "هدى", "الكتاني", "MEN-ACCOUNTS", Role.AGENT),
    ("observer", "رشيد", "الحسني", "MA-01-01", Role.OBSERVER),
    ("outsider", "سمير", "الوجدي", "MA-02-01", Role.AGENT),
    ("outsider_head", "فاطمة", "البركاني", "02001D", Role.AGENT),
    ("outsider_teacher", "إدريس", "الناظوري", "02001D", Role.STAFF),
]


@transaction.atomic
def ensure_demo_people(password: str) -> dict:
    """Create (or refresh) the demo schools and accounts; returns the users by username. Needs the
    national tree loaded first."""
    for code, province_code, name_ar, name_fr in SCHOOLS:
        unit_upsert(
            code=code,
            kind=UnitKind.SCHOOL,
            parent=OrgUnit.objects.get(code=province_code),
            name_ar=name_ar,
            name_fr=name_fr,
        )
    User = get_user_model()
    users = {}
    for username, first_name, last_name, unit_code, role in PERSONAS:
        user = _ensure_user(User, username, password, first_name=first_name, last_name=last_name)
        membership_grant(user, OrgUnit.objects.get(code=unit_code), role)
        users[username] = user
    users["admin"] = _ensure_user(
        User, "admin", password, first_name="مدير", last_name="النظام", is_staff=True, is_superuser=True
    )
    return users


def _ensure_user(User, username, password, **fields):
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, email=f"{username}@demo.musanada.ma", **fields)
        user.set_password(password)
        user.save()
    return user
