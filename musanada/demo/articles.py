"""The demo's help articles and known incident: the questions schools ask most about Massar, answered by the
central Massar service for the whole country and by the Tangier academy for its schools, plus one draft
awaiting review, so that a newcomer sees suggestions on the new-request page and a supervisor has something
to review; and the academy's Massar server in maintenance, for the incident banner."""

from django.contrib.auth import get_user_model

from musanada.knowledge import services
from musanada.knowledge.models import Article, Audience
from musanada.org.models import Category, OrgUnit
from musanada.tickets import incidents
from musanada.tickets.models import Incident

# writer, unit, category, audience, publish (else: submitted for review), texts
DEMO_ARTICLES = [
    (
        "admin",
        "MEN-MASSAR",
        "massar",
        Audience.EVERYONE,
        True,
        {
            "title_ar": "نسيان القن السري لفضاء مسار",
            "body_ar": (
                "إذا نسي الأستاذ أو التلميذ القن السري للولوج إلى منظومة مسار، يعيد مدير المؤسسة تعيينه من "
                "فضاء المؤسسة: قائمة «الموارد البشرية» أو «التلاميذ»، ثم «إعادة تعيين القن السري».\n"
                "يتوصل المعني بالقن الجديد عبر بريده الإلكتروني الأكاديمي. لا داعي لتقديم طلب إلا إذا لم يصل "
                "القن خلال 24 ساعة."
            ),
            "title_fr": "Code d'accès Massar oublié",
            "body_fr": (
                "Si un enseignant ou un élève a oublié son code d'accès à Massar, le directeur de "
                "l'établissement le réinitialise depuis l'espace établissement : menu "
                "« Ressources humaines » ou « Élèves », puis « Réinitialiser le code d'accès ».\n"
                "Le nouveau code arrive sur l'adresse électronique académique. Déposez une demande "
                "seulement s'il n'est pas arrivé sous 24 heures."
            ),
        },
    ),
    (
        "admin",
        "MEN-MASSAR",
        "massar-registration",
        Audience.EVERYONE,
        True,
        {
            "title_ar": "انتقال تلميذ بين مؤسستين",
            "body_ar": (
                "تصدر المؤسسة الأصلية شهادة المغادرة من مسار، ثم تقبل المؤسسة المستقبلة التلميذ من قائمة "
                "«التلاميذ الوافدون». يظهر التلميذ في لوائح المؤسسة الجديدة بعد القبول مباشرة."
            ),
            "title_fr": "Transfert d'un élève entre deux établissements",
            "body_fr": (
                "L'établissement d'origine émet le certificat de départ dans Massar, puis l'établissement "
                "d'accueil accepte l'élève dans la liste « Élèves arrivants ». L'élève apparaît dans les "
                "listes du nouvel établissement dès l'acceptation."
            ),
        },
    ),
    (
        "supervisor",
        "MA-01",
        "massar-grades",
        Audience.EVERYONE,
        True,
        {
            "title_ar": "إغلاق فترة مسك النقط",
            "body_ar": (
                "تحدد الأكاديمية فترات مسك نقط المراقبة المستمرة. بعد إغلاق الفترة، يطلب المدير فتحها "
                "استثنائيا من المديرية الإقليمية مع ذكر الأقسام المعنية."
            ),
            "title_fr": "Saisie des notes fermée",
            "body_fr": (
                "L'académie fixe les périodes de saisie des notes du contrôle continu. Une fois la période "
                "close, le directeur demande une réouverture exceptionnelle à la direction provinciale, en "
                "précisant les classes concernées."
            ),
        },
    ),
    (
        "region",
        "MA-01",
        "massar",
        Audience.DESKS,
        False,
        {
            "title_fr": "Vérifier l'identité avant de réinitialiser un code",
            "body_fr": (
                "Avant de réinitialiser le code d'accès d'un fonctionnaire, l'agent vérifie son numéro DOTI "
                "et son établissement d'affectation dans Massar."
            ),
        },
    ),
]


def ensure_demo_articles() -> int:
    """Write the demo's articles, once: returns how many were written (0 when some exist already)."""
    if Article.objects.exists():
        return 0
    users = {
        user.username: user
        for user in get_user_model().objects.filter(username__in=[row[0] for row in DEMO_ARTICLES])
    }
    for username, unit_code, category_code, audience, publish, texts in DEMO_ARTICLES:
        writer = users[username]
        article = services.article_write(
            writer,
            unit=OrgUnit.objects.get(code=unit_code),
            category=Category.objects.get(code=category_code),
            audience=audience,
            **texts,
        )
        if publish:
            services.article_publish(writer, article.slug)
        else:
            services.article_submit(writer, article.slug)
    return len(DEMO_ARTICLES)


def ensure_demo_incident() -> bool:
    """Declare the demo's known incident once (the Tangier academy's Massar server in maintenance), with one
    update, so that the banner, the incident page and "follow it" can be tried. False when it exists."""
    if Incident.objects.exists():
        return False
    region = get_user_model().objects.get(username="region")
    incident = incidents.incident_declare(
        region,
        desk=OrgUnit.objects.get(code="MA-01"),
        category=Category.objects.get(code="massar"),
        scope=OrgUnit.objects.get(code="MA-01"),
        title="بطء منظومة مسار بالأكاديمية / Lenteur de Massar dans l'académie",
        description=(
            "يعرف الخادم الجهوي لمنظومة مسار ضغطا كبيرا خلال فترة مسك النقط. "
            "فرق الأكاديمية تعمل على حل المشكل.\n"
            "Le serveur régional de Massar est très sollicité pendant la saisie des notes ; "
            "les équipes de l'académie y travaillent."
        ),
    )
    incidents.incident_post_update(region, incident.pk, "Retour à la normale prévu en fin de journée.")
    return True
