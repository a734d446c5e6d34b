"""Import and sync of schools and staff from Massar exports: `import-units`, `import-staff`, the admin."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from django.utils.translation import pgettext

from musanada.org.imports import ImportRefused, import_staff, import_units
from musanada.org.models import Membership, OrgUnit, Role, User
from musanada.tickets.models import Ticket
from tests.helpers import file_request

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"


def run(command: str, path, *args) -> str:
    out = StringIO()
    call_command(command, str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def write(tmp_path, name: str, text: str, encoding="utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def staff_csv(*rows: str) -> bytes:
    header = "massar_id,username,first_name,last_name,email,unit_code,role,language,active"
    return "\n".join([header, *rows]).encode()


def snapshot():
    return (
        sorted(OrgUnit.objects.values_list("code", "path", "name_ar", "name_fr", "email", "is_active")),
        sorted(User.objects.values_list("username", "massar_id", "first_name", "email", "is_active")),
        sorted(Membership.objects.values_list("user__username", "unit__code", "role", "is_active")),
    )


def active_units(user) -> set[tuple[str, str]]:
    return set(user.memberships.filter(is_active=True).values_list("unit__code", "role"))


def test_importing_the_example_files_twice_changes_nothing_the_second_time(db):
    first_units = run("import-units", EXAMPLES / "units.csv")
    first_staff = run("import-staff", EXAMPLES / "staff.csv")
    assert "3 created" in first_units
    assert "4 created" in first_staff
    before = snapshot()

    assert "0 created, 0 updated, 0 moved, 0 deactivated, 3 unchanged" in run(
        "import-units", EXAMPLES / "units.csv"
    )
    assert "0 created, 0 updated, 0 moved, 0 deactivated, 5 unchanged" in run(
        "import-staff", EXAMPLES / "staff.csv"
    )
    assert snapshot() == before
    head = User.objects.get(massar_id="P1234567")
    assert active_units(head) == {("01101E", Role.AGENT)}
    assert not head.has_usable_password()
    assert OrgUnit.objects.get(code="01101E").path == "/MEN/MA-01/MA-01-01/01101E/"


def test_the_json_example_says_the_same_as_the_csv_one(db):
    run("import-units", EXAMPLES / "units.csv")
    run("import-staff", EXAMPLES / "staff.csv")
    before = snapshot()

    output = run("import-staff", EXAMPLES / "staff.json")

    assert "5 unchanged" in output
    assert snapshot() == before


def test_a_file_with_bad_rows_changes_nothing_and_names_every_bad_row(db, tmp_path):
    path = write(
        tmp_path,
        "units.csv",
        "gresa_code,province_code,name_ar,name_fr,email\n"
        "01101E,MA-01-01,مدرسة الأمل,École Al Amal,\n"
        "1101E,MA-01-01,مدرسة النخيل,École Annakhil,\n"
        "01103G,MA-99-99,مدرسة السلام,École Essalam,\n"
        "01104H,MA-01-01,,École Al Fath,pas-une-adresse\n"
        "01101E,MA-01-01,مدرسة الأمل,École Al Amal,\n",
    )
    before = snapshot()
    err = StringIO()

    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("import-units", str(path), stdout=StringIO(), stderr=err)

    assert snapshot() == before
    errors = err.getvalue()
    assert "line 3, gresa_code" in errors
    assert "line 4, province_code" in errors
    assert "line 5, name_ar" in errors and "line 5, email" in errors
    assert "line 6, gresa_code" in errors and "Duplicate of line 2" in errors
    assert "line 2," not in errors


def test_every_kind_of_bad_staff_row_is_reported_with_its_line_field_and_reason(db):
    data = staff_csv(
        "P1,,سعاد,العلوي,s@taalim.ma,01001A,staff,ar,true",
        "P1,,سعاد,العلوي,s@taalim.ma,01001A,staff,ar,true",
        ",,أحمد,بناني,,01001A,staff,ar,true",
        "P3,,أحمد,بناني,not-an-email,01001A,staff,ar,true",
        "P4,,أحمد,بناني,,NOPE,staff,ar,true",
        "P5,,أحمد,بناني,,01001A,janitor,ar,true",
        "P6,,أحمد,بناني,,01001A,staff,de,true",
        "P7,,أحمد,بناني,,01001A,staff,ar,maybe",
        "P8,teacher,أحمد,بناني,,01001A,staff,ar,true",
    )
    before = snapshot()

    with pytest.raises(ImportRefused) as refused:
        import_staff(data)

    found = {(error.line, error.field) for error in refused.value.errors}
    assert found == {
        (3, "massar_id"),
        (4, "massar_id"),
        (5, "email"),
        (6, "unit_code"),
        (7, "role"),
        (8, "language"),
        (9, "active"),
    }
    # Line 10 adopts the hand-made account "teacher" (no Massar identifier yet): that is not an error.
    assert snapshot() == before


def test_a_teacher_who_moved_school_moves_membership_and_leaves_their_tickets_where_they_are(
    db, people, units, categories
):
    teacher = people["teacher"]
    import_staff(staff_csv("T0001,teacher,سعاد,العلوي,teacher@demo.musanada.ma,01001A,staff,ar,true"))
    ticket = file_request(teacher, units["01001A"], categories["massar-grades"])
    history = list(ticket.events.order_by("pk").values_list("pk", "kind", "created_at"))

    report = import_staff(staff_csv("T0001,,سعاد,العلوي,teacher@demo.musanada.ma,01002B,staff,ar,true"))

    assert report.moved == 1 and report.changes == 1
    assert active_units(teacher) == {("01002B", Role.STAFF)}
    old = Membership.objects.get(user=teacher, unit=units["01001A"], role=Role.STAFF)
    assert not old.is_active
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.desk == units["01001A"]
    assert ticket.origin_unit == units["01001A"]
    assert ticket.requester == teacher
    assert list(ticket.events.order_by("pk").values_list("pk", "kind", "created_at")) == history


def test_a_teacher_who_becomes_head_of_another_school_leaves_their_post_at_the_first(db, units):
    import_staff(staff_csv("T0002,,أحمد,بناني,,01001A,enseignant,fr,true"))
    user = User.objects.get(massar_id="T0002")

    report = import_staff(staff_csv("T0002,,أحمد,بناني,,01002B,مدير,fr,true"))

    assert report.moved == 1
    assert active_units(user) == {("01002B", Role.AGENT)}
    assert user.language == "fr"


def test_a_staff_member_who_left_is_deactivated_and_still_present(db):
    import_staff(staff_csv("L0001,,خالد,المريني,,01001A,staff,ar,true"))

    report = import_staff(staff_csv("L0001,,خالد,المريني,,01001A,staff,ar,false"))

    assert report.deactivated == 1
    user = User.objects.get(massar_id="L0001")
    assert not user.is_active
    assert active_units(user) == set()
    assert Membership.objects.filter(user=user).count() == 1
    assert import_staff(staff_csv("L0001,,خالد,المريني,,01001A,staff,ar,false")).changes == 0


def test_a_full_file_deactivates_the_people_of_its_units_that_it_does_not_list(db, people):
    import_staff(
        staff_csv(
            "F0001,,أمينة,السوسي,,01001A,staff,ar,true",
            "F0002,,حسن,الريفي,,01001A,staff,ar,true",
            "F0003,,مريم,الدكالي,,01002B,staff,ar,true",
        )
    )
    partial = staff_csv("F0001,,أمينة,السوسي,,01001A,staff,ar,true")
    assert import_staff(partial).changes == 0

    report = import_staff(partial, full=True)

    assert report.deactivated == 1
    gone = User.objects.get(massar_id="F0002")
    assert not gone.is_active and active_units(gone) == set()
    # Another school, not in the file, and hand-made accounts without a Massar identifier are left alone.
    assert User.objects.get(massar_id="F0003").is_active
    assert active_units(people["teacher"]) == {("01001A", Role.STAFF)}
    assert import_staff(partial, full=True).changes == 0


def test_a_dry_run_reports_what_would_change_and_changes_nothing(db):
    run("import-units", EXAMPLES / "units.csv")
    before = snapshot()

    report = import_staff((EXAMPLES / "staff.csv").read_bytes(), dry_run=True)
    output = run("import-staff", EXAMPLES / "staff.csv", "--dry-run")

    assert report.created == 4 and report.unchanged == 1
    assert [change.key for change in report.sample] == ["P1234567", "P1234568", "P1234569", "P1234570"]
    assert "dry run, nothing changed" in output and "4 created" in output
    assert snapshot() == before


def test_a_csv_with_a_bom_and_semicolons_is_read(db, tmp_path):
    path = write(
        tmp_path,
        "units.csv",
        "gresa_code;province_code;name_ar;name_fr\n01105J;MA-01-01;مدرسة الزيتون;École Zitoune, annexe\n",
        encoding="utf-8-sig",
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    run("import-units", path)

    school = OrgUnit.objects.get(code="01105J")
    assert school.name_fr == "École Zitoune, annexe"
    assert school.parent.code == "MA-01-01"


def test_arabic_names_round_trip_through_json(db):
    people_rows = [
        {
            "massar_id": "J0001",
            "first_name": "عبد الرحيم",
            "last_name": "أيت علي",
            "email": "a.aitali@taalim.ma",
            "unit_code": "01301C",
            "role": "staff",
            "language": "ar",
            "active": True,
        }
    ]
    import_staff(json.dumps(people_rows, ensure_ascii=False).encode())

    user = User.objects.get(massar_id="J0001")
    assert (user.first_name, user.last_name) == ("عبد الرحيم", "أيت علي")
    assert user.username == "j0001"
    assert import_staff(json.dumps(people_rows).encode()).changes == 0


def test_a_school_renamed_and_moved_to_another_province_is_updated_in_place(db):
    import_units(
        "gresa_code,province_code,name_ar,name_fr\n01106K,MA-01-01,مدرسة الفتح,École Al Fath\n".encode()
    )
    school = OrgUnit.objects.get(code="01106K")

    report = import_units(
        "gresa_code,province_code,name_ar,name_fr\n01106K,MA-01-03,مدرسة الفتح 2,École Al Fath 2\n".encode()
    )

    assert report.moved == 1
    school.refresh_from_db()
    assert (school.name_ar, school.parent.code) == ("مدرسة الفتح 2", "MA-01-03")
    assert school.path == "/MEN/MA-01/MA-01-03/01106K/"
    assert OrgUnit.objects.filter(code="01106K").count() == 1


def test_a_superuser_imports_from_the_admin_after_reading_the_dry_run(client, people):
    client.force_login(people["admin"])
    url = reverse("admin:org_orgunit_import")
    assert url in client.get(reverse("admin:org_orgunit_changelist")).content.decode()
    upload = SimpleUploadedFile("units.csv", (EXAMPLES / "units.csv").read_bytes())

    checked = client.post(url, {"file": upload})

    assert checked.status_code == 200
    with translation.override("ar"):
        created = str(pgettext("import", "created"))
    assert checked.context["report"].created == 3
    assert created in checked.content.decode()
    assert not OrgUnit.objects.filter(code="01101E").exists()

    applied = client.post(url, {"token": checked.context["token"]})

    assert applied.status_code == 302
    assert OrgUnit.objects.filter(code__in=["01101E", "01102F", "01301G"]).count() == 3


def test_the_admin_lists_every_bad_row_of_a_refused_staff_file(client, people):
    client.force_login(people["admin"])
    data = staff_csv("B1,,أحمد,بناني,,NOPE,staff,ar,true", "B2,,أحمد,بناني,bad,01001A,staff,ar,true")

    response = client.post(reverse("admin:org_user_import"), {"file": SimpleUploadedFile("staff.csv", data)})

    assert [(e.line, e.field) for e in response.context["refused"].errors] == [(2, "unit_code"), (3, "email")]
    assert not User.objects.filter(massar_id__in=["B1", "B2"]).exists()


def test_staff_who_are_not_superusers_cannot_open_the_import_page(client, people):
    agent = people["province"]
    agent.is_staff = True
    agent.save(update_fields=["is_staff"])
    client.force_login(agent)

    assert client.get(reverse("admin:org_user_import")).status_code == 403
    assert (
        client.post(
            reverse("admin:org_orgunit_import"),
            {"file": SimpleUploadedFile("units.csv", (EXAMPLES / "units.csv").read_bytes())},
        ).status_code
        == 403
    )
    assert not OrgUnit.objects.filter(code="01101E").exists()
