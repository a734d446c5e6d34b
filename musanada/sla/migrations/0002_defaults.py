"""Default targets, the automatic escalation rules (all off), and the national holidays of 2026 and 2027.

Targets are working minutes (a working day is 8 hours, 480 minutes). The religious holidays follow the lunar
calendar: the dates below are the expected ones, marked unconfirmed for the administrators to correct when
the ministry of Habous announces them. Both lists are kept in the admin from then on (docs/sla.md).
"""

from datetime import date

from django.db import migrations

HOUR, DAY = 60, 480

# (level, priority) → (first response, resolution), in working minutes.
TARGETS = {
    ("school", "urgent"): (2 * HOUR, 1 * DAY),
    ("school", "high"): (4 * HOUR, 2 * DAY),
    ("school", "normal"): (1 * DAY, 3 * DAY),
    ("school", "low"): (2 * DAY, 5 * DAY),
    ("province", "urgent"): (2 * HOUR, 2 * DAY),
    ("province", "high"): (4 * HOUR, 3 * DAY),
    ("province", "normal"): (1 * DAY, 5 * DAY),
    ("province", "low"): (2 * DAY, 10 * DAY),
    ("academy", "urgent"): (2 * HOUR, 2 * DAY),
    ("academy", "high"): (1 * DAY, 4 * DAY),
    ("academy", "normal"): (2 * DAY, 6 * DAY),
    ("academy", "low"): (3 * DAY, 10 * DAY),
    ("central", "urgent"): (4 * HOUR, 3 * DAY),
    ("central", "high"): (1 * DAY, 5 * DAY),
    ("central", "normal"): (2 * DAY, 10 * DAY),
    ("central", "low"): (3 * DAY, 20 * DAY),
}

FIXED = (
    (1, 1, "رأس السنة الميلادية", "Nouvel an"),
    (1, 11, "ذكرى تقديم وثيقة الاستقلال", "Manifeste de l'Indépendance"),
    (1, 14, "رأس السنة الأمازيغية", "Nouvel an amazigh"),
    (5, 1, "عيد الشغل", "Fête du Travail"),
    (7, 30, "عيد العرش", "Fête du Trône"),
    (8, 14, "ذكرى استرجاع إقليم وادي الذهب", "Allégeance d'Oued Eddahab"),
    (8, 20, "ذكرى ثورة الملك والشعب", "Révolution du Roi et du Peuple"),
    (8, 21, "عيد الشباب", "Fête de la Jeunesse"),
    (11, 6, "ذكرى المسيرة الخضراء", "Marche Verte"),
    (11, 18, "عيد الاستقلال", "Fête de l'Indépendance"),
)

FITR = ("عيد الفطر", "Aïd al-Fitr")
ADHA = ("عيد الأضحى", "Aïd al-Adha")
HIJRI = ("فاتح محرم", "Nouvel an de l'Hégire")
MAWLID = ("عيد المولد النبوي", "Aïd al-Mawlid")

# Expected dates, to be confirmed by the administrators each year.
RELIGIOUS = (
    (date(2026, 3, 20), *FITR),
    (date(2026, 3, 21), *FITR),
    (date(2026, 5, 27), *ADHA),
    (date(2026, 5, 28), *ADHA),
    (date(2026, 6, 16), *HIJRI),
    (date(2026, 8, 25), *MAWLID),
    (date(2026, 8, 26), *MAWLID),
    (date(2027, 3, 10), *FITR),
    (date(2027, 3, 11), *FITR),
    (date(2027, 5, 16), *ADHA),
    (date(2027, 5, 17), *ADHA),
    (date(2027, 6, 6), *HIJRI),
    (date(2027, 8, 15), *MAWLID),
    (date(2027, 8, 16), *MAWLID),
)


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    Holiday = apps.get_model("sla", "Holiday")
    AutoEscalationRule = apps.get_model("sla", "AutoEscalationRule")
    for (level, priority), (response, resolution) in TARGETS.items():
        SlaPolicy.objects.get_or_create(
            level=level,
            priority=priority,
            defaults={"first_response_minutes": response, "resolution_minutes": resolution},
        )
    for year in (2026, 2027):
        for month, day, name_ar, name_fr in FIXED:
            Holiday.objects.get_or_create(
                date=date(year, month, day),
                defaults={"name_ar": name_ar, "name_fr": name_fr, "confirmed": True},
            )
    for day, name_ar, name_fr in RELIGIOUS:
        Holiday.objects.get_or_create(
            date=day, defaults={"name_ar": name_ar, "name_fr": name_fr, "confirmed": False}
        )
    for level in ("school", "province", "academy"):
        AutoEscalationRule.objects.get_or_create(
            level=level, defaults={"enabled": False, "overrun_minutes": 240}
        )


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
