"""Help articles in a real browser, in Arabic and in French: the suggestions beside a request being
written and "this solved my problem", a request filed as usual past them, an article written, published and
found by the units under its writer only, and the article offered to the desk on the ticket page and cited
in a reply."""

import re
from dataclasses import dataclass

import pytest
from django.utils import translation

from musanada.knowledge.models import Article, ArticleStatus, AvoidedRequest
from musanada.tickets.models import Ticket
from tests.browser.helpers import action_form, expect, submit
from tests.helpers import file_request
from tests.test_knowledge import publish

LANGUAGES = ["ar", "fr"]


def say(language: str, text) -> str:
    """A text of the interface as a page in `language` shows it (a message, a label, a state)."""
    with translation.override(language):
        return str(translation.gettext(text) if isinstance(text, str) else text)


@dataclass(frozen=True)
class Typed:
    """What the teacher types, in the language of the run: words of the central article, in other words."""

    subject: str
    description: str


# The central Massar article, written in both languages: each reader gets the page's.
CENTRAL = {
    "title_ar": "نسيان القن السري لمنظومة مسار",
    "body_ar": "يعيد مدير المؤسسة تعيين القن السري للتلميذ من فضاء مسار.",
    "title_fr": "Code d'accès Massar oublié",
    "body_fr": "Le directeur de l'établissement réinitialise le code d'accès de l'élève.",
}
TYPED = {
    "ar": Typed(subject="تلميذ نسي القن السري لمسار", description="لا يستطيع التلميذ الدخول إلى حسابه."),
    "fr": Typed(
        subject="Un élève a oublié son code d'accès Massar",
        description="L'élève ne peut plus se connecter à son espace.",
    ),
}
# The article the academy's supervisor writes through the pages, and the word a teacher looks it up by.
ACADEMY = {
    "ar": ("طبع بيانات النقط الدورية", "تطبع بيانات النقط بعد مصادقة مجلس القسم.", "بيانات"),
    "fr": (
        "Impression des bulletins semestriels",
        "Les bulletins s'impriment après la validation du conseil de classe.",
        "bulletins",
    ),
}

SOLVED = "Glad the article answered your question. No request was filed."


@pytest.fixture
def central_article(people, units, categories):
    return publish(people["admin"], units["MEN-MASSAR"], categories["massar"], **CENTRAL)


def suggestion_titles(page):
    return page.locator("#suggestions details summary")


def type_request(page, language, categories, *, description=True):
    """On the new-request page: the category, then the subject (and the description), as a teacher types."""
    page.goto("/t/new/")
    form = page.locator("form#new-request")
    form.locator("[name=category]").select_option(str(categories["massar"].pk))
    form.locator("[name=subject]").fill(TYPED[language].subject)
    if description:
        form.locator("[name=description]").fill(TYPED[language].description)
    return form


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_suggested_article_that_solved_the_problem_files_nothing_and_is_counted_once(
    site, people, units, categories, central_article, language
):
    tickets = Ticket.objects.count()
    teacher = site.sign_in("teacher", language=language)
    type_request(teacher, language, categories)

    # The article appears beside the request as she types, with its title in the page's language.
    expect(suggestion_titles(teacher)).to_have_text([CENTRAL[f"title_{language}"]])
    site.shoot(teacher, "kb-suggestions")
    suggestion = teacher.locator("#suggestions details").first
    suggestion.locator("summary").click()
    expect(suggestion.locator(".body")).to_contain_text(CENTRAL[f"body_{language}"])
    expect(suggestion.locator("a[href]")).to_have_attribute("href", f"/kb/{central_article.slug}/")
    site.shoot(teacher, "kb-suggestion-open")

    with teacher.expect_navigation():
        suggestion.locator("button.solved").click()
    expect(teacher).to_have_url(site.url("home"))
    expect(teacher.locator("#messages")).to_contain_text(say(language, SOLVED))
    assert Ticket.objects.count() == tickets
    avoided = AvoidedRequest.objects.get()
    assert (avoided.article, avoided.user, avoided.unit, avoided.category) == (
        central_article,
        people["teacher"],
        units["01001A"],
        categories["massar"],
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_enter_in_the_subject_files_the_request_and_never_counts_a_suggested_article(
    site, categories, central_article, language
):
    tickets = Ticket.objects.count()
    teacher = site.sign_in("teacher", language=language)
    form = type_request(teacher, language, categories, description=False)
    # The suggestion and its "this solved my problem" button are in the form when Enter is pressed.
    expect(suggestion_titles(teacher)).to_have_count(1)
    expect(form.locator("button.solved")).to_have_count(1)

    with teacher.expect_navigation():
        form.locator("[name=subject]").press("Enter")
    # The request was sent, without its description: the form comes back with its errors, as it was typed.
    expect(teacher).to_have_url(site.url("ticket-new"))
    form = teacher.locator("form#new-request")
    expect(form.locator("#new-request-errors")).to_be_visible()
    expect(
        form.locator(".field", has=teacher.locator("[name=description]")).locator(".errorlist")
    ).to_be_visible()
    expect(form.locator("[name=subject]")).to_have_value(TYPED[language].subject)
    expect(teacher.locator("#messages")).to_have_count(0)
    assert AvoidedRequest.objects.count() == 0
    assert Ticket.objects.count() == tickets


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_teacher_who_ignores_the_suggestion_files_the_request_as_usual(
    site, people, categories, central_article, language
):
    tickets = Ticket.objects.count()
    teacher = site.sign_in("teacher", language=language)
    form = type_request(teacher, language, categories)
    expect(suggestion_titles(teacher)).to_have_text([CENTRAL[f"title_{language}"]])

    submit(teacher, form)
    expect(teacher).to_have_url(re.compile(r"/t/MSN-[0-9]{4}-[0-9]+/$"))
    expect(teacher.locator("main h1")).to_have_text(TYPED[language].subject)
    assert Ticket.objects.count() == tickets + 1
    filed = Ticket.objects.get(requester=people["teacher"])
    assert (filed.subject, filed.description, filed.category) == (
        TYPED[language].subject,
        TYPED[language].description,
        categories["massar"],
    )
    expect(teacher.locator("#messages")).to_contain_text(filed.reference)
    assert AvoidedRequest.objects.count() == 0


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_academy_article_written_and_published_on_the_pages_is_found_by_its_schools_only(
    site, units, categories, language
):
    title, body, word = ACADEMY[language]

    # The academy's supervisor writes it, saves the draft, then publishes it from its page.
    supervisor = site.sign_in("supervisor", language=language)
    supervisor.goto("/kb/write/")
    form = supervisor.locator("main form:has([name=title_ar])")
    form.locator("[name=unit]").select_option(str(units["MA-01"].pk))
    form.locator("[name=category]").select_option(str(categories["massar-grades"].pk))
    form.locator(f"[name=title_{language}]").fill(title)
    form.locator(f"[name=body_{language}]").fill(body)
    submit(supervisor, form)
    expect(supervisor).to_have_url(re.compile(r"/kb/[a-z0-9-]+/$"))
    slug = supervisor.url.rstrip("/").rsplit("/", 1)[-1]
    expect(supervisor.locator("#messages")).to_contain_text(say(language, "The article is saved as a draft."))
    expect(supervisor.locator("#article-title")).to_have_text(title)
    expect(supervisor.locator("#article-status")).to_have_text(say(language, ArticleStatus.DRAFT.label))

    submit(supervisor, supervisor.locator("#article-work form[action$='/do/publish/']"))
    expect(supervisor).to_have_url(site.url("article-detail", slug))
    expect(supervisor.locator("#messages")).to_contain_text(say(language, "The article is published."))
    expect(supervisor.locator("#article-status")).to_have_text(say(language, ArticleStatus.PUBLISHED.label))
    site.shoot(supervisor, "kb-article-writer")
    article = Article.objects.get(slug=slug)
    assert (article.status, article.unit, article.category) == (
        ArticleStatus.PUBLISHED,
        units["MA-01"],
        categories["massar-grades"],
    )

    # A teacher of a school under the academy finds it by one of its words, and reads it.
    teacher = site.session_for("teacher", language=language)
    found = search_articles(teacher, word)
    expect(found).to_have_text([title])
    with teacher.expect_navigation():
        found.first.click()
    expect(teacher).to_have_url(site.url("article-detail", slug))
    expect(teacher.locator("#article-title")).to_have_text(title)
    expect(teacher.locator(".article-body")).to_contain_text(body)
    expect(teacher.locator("#article-work")).to_have_count(0)
    site.shoot(teacher, "kb-article-reader")

    # A teacher of another academy does not find it, and its address answers 404.
    outsider = site.session_for("outsider_teacher", language=language)
    expect(search_articles(outsider, word)).to_have_count(0)
    expect(outsider.locator("main")).not_to_contain_text(title)
    response = outsider.goto(f"/kb/{slug}/")
    assert response.status == 404
    expect(outsider.locator("main")).not_to_contain_text(title)


def search_articles(page, words):
    """Look `words` up with the search form of the articles' page; the titles of what is found."""
    page.goto("/kb/")
    form = page.locator("form[role=search]")
    form.locator("[name=q]").fill(words)
    with page.expect_navigation():
        form.locator("[type=submit]").click()
    expect(page.locator("#kb-q")).to_have_value(words)
    return page.locator("#kb-found a.article-title")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_desk_is_offered_the_article_on_the_ticket_and_cites_it_in_the_reply(
    site, people, central_article, language
):
    typed = TYPED[language]
    title = CENTRAL[f"title_{language}"]
    ticket = file_request(people["teacher"], subject=typed.subject, description=typed.description)

    head = site.session_for("head", language=language)
    head.goto(site.url("ticket-detail", ticket.reference))
    offered = head.locator("#ticket-articles")
    expect(offered.locator(f"a[href='/kb/{central_article.slug}/']")).to_have_text(title)
    with head.expect_navigation():
        offered.locator("a.insert-article").first.click()
    expect(head).to_have_url(re.compile(rf"\?article={central_article.slug}#composer$"))
    reply = action_form(head, "reply").locator("[name=body]")
    expect(reply).to_have_value(f"{title}\n{site.url('article-detail', central_article.slug)}")
    site.shoot(head, "ticket-article-cited")

    # The requester's page offers no articles: they are the desk's help in answering.
    teacher = site.session_for("teacher", language=language)
    teacher.goto(site.url("ticket-detail", ticket.reference))
    expect(teacher.locator("main h1")).to_have_text(typed.subject)
    expect(teacher.locator("#ticket-articles")).to_have_count(0)
    expect(teacher.locator("main")).not_to_contain_text(title)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_suggestions_speak_the_language_of_the_page(site, categories, central_article, language):
    """The box's heading, its link and its button are in the page's language, like the rest of the page
    (not the English of the source)."""
    teacher = site.sign_in("teacher", language=language)
    type_request(teacher, language, categories)
    expect(suggestion_titles(teacher)).to_have_count(1)
    box = teacher.locator("#suggestions")
    for where, text in (
        ("#suggestions-title", "These articles may already answer your question"),
        ("a[target=_blank]", "Open the article in a new tab"),
        ("button.solved", "This solved my problem"),
    ):
        shown = say(language, text)
        assert shown != text, f"{text!r} is not translated into {language}"
        expect(box.locator(where)).to_have_text(shown)
