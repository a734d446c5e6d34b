from django.core.management.base import BaseCommand, CommandError

from musanada.core.errors import DomainError
from musanada.demo.articles import ensure_demo_articles, ensure_demo_incident
from musanada.demo.people import DEMO_PASSWORD, ensure_demo_people
from musanada.demo.population import DEFAULT_SEED, generate_population
from musanada.demo.tickets import ensure_demo_tickets
from musanada.org.services import load_national_tree

DEMO_URL = "http://127.0.0.1:8000/"
# The academies around the demo people: Tangier (teacher, head, province, region) and the Oriental (outsider).
DEMO_ACADEMIES = ["MA-01", "MA-02"]

# username, who it is in English, in Arabic.
DEMO_LOGINS = [
    (
        "teacher",
        "teacher at school 01001A (Tangier): files requests, answers, confirms or reopens",
        "أستاذة بمدرسة ابن بطوطة الابتدائية: تودع الطلبات وتجيب وتؤكد الحل أو تعيد فتح الطلب",
    ),
    ("head", "head of school 01001A: the school desk", "مدير مدرسة ابن بطوطة الابتدائية: مكتب المؤسسة"),
    (
        "province",
        "IS centre of the directorate Tanger-Assilah (MA-01-01): the provincial desk",
        "المشرف على منظومة الإعلام بالمديرية الإقليمية طنجة أصيلة",
    ),
    (
        "region",
        "regional IS centre of the academy Tanger-Tétouan-Al Hoceïma (MA-01)",
        "المركز الجهوي لمنظومة الإعلام بأكاديمية طنجة تطوان الحسيمة",
    ),
    (
        "central",
        "central service of the Massar system (MEN-MASSAR): the last level",
        "مصلحة منظومة مسار بمديرية إدارة منظومة الإعلام",
    ),
    (
        "observer",
        "observer of the directorate MA-01-01: reads everything under it, acts on nothing",
        "ملاحظ بالمديرية الإقليمية طنجة أصيلة: يطلع دون أن يتدخل",
    ),
    (
        "outsider",
        "provincial desk in another academy (MA-02-01, Oriental): sees nothing of Tangier",
        "المديرية الإقليمية وجدة أنجاد بأكاديمية الشرق: لا يرى شيئا من طلبات طنجة",
    ),
    (
        "admin",
        "system administrator: reference data in /admin/, no ticket without a desk role",
        "مدير النظام: المعطيات المرجعية دون التدخل في الطلبات",
    ),
]


class Command(BaseCommand):
    help = (
        "Set up the demo: the national tree, the demo people, a small generated population around them and, "
        "the first time, demo tickets at every level and in every status. Idempotent: `make run` calls it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--schools", type=int, default=200, help="generated schools around the demo people"
        )
        parser.add_argument("--staff", type=int, default=2000, help="generated staff in those schools")

    def handle(self, *args, **options):
        try:
            tree = load_national_tree()
            ensure_demo_people(DEMO_PASSWORD)
            population = generate_population(
                schools=options["schools"],
                staff=options["staff"],
                seed=DEFAULT_SEED,
                academies=DEMO_ACADEMIES,
                password=DEMO_PASSWORD,
            )
            tickets = ensure_demo_tickets()
            articles = ensure_demo_articles()
            ensure_demo_incident()
        except DomainError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"org tree: {tree.created} created, {tree.updated} updated; "
            f"generated: {population.schools} schools and {population.users} users created "
            f"({population.skipped_users} existed); "
            + (f"demo tickets: {tickets} filed" if tickets else "demo tickets: already there")
            + (f"; help articles: {articles} written" if articles else "; help articles: already there")
        )
        self._print_logins()

    def _print_logins(self):
        rule = "=" * 78
        lines = [
            rule,
            f"Musanada (مساندة) demo: open {DEMO_URL}",
            f"Password of every demo account / كلمة المرور لجميع الحسابات: {DEMO_PASSWORD}",
            "",
        ]
        for username, english, arabic in DEMO_LOGINS:
            lines += [f"  {username:<10} {english}", f"  {'':<10} {arabic}"]
        lines += [
            "",
            "Generated people (g-01001e-head, g-ma-01-01-1, ...) have the same password.",
            rule,
        ]
        self.stdout.write("\n".join(lines))
