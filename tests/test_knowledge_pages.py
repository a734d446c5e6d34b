"""The help articles' pages as people use them: browse and search, the suggestions beside a request being
written, "this solved my problem", the articles offered on the desk's ticket page, writing and reviewing,
and the requests avoided on the dashboards."""

import pytest
from django.urls import reverse

from musanada.knowledge import services
from musanada.knowledge.models import ArticleStatus, AvoidedRequest
from musanada.tickets.models import Ticket
from tests.conftest import PASSWORD
from tests.helpers import file_request
from tests.test_knowledge import publish


def client_for(client, user, language="en"):
    """The test client signed in as `user`, its pages in `language`."""
    client.login(username=user.username, password=PASSWORD)
    client.post(reverse("set-language"), {"language": language, "next": "/"})
    return client


@pytest.fixture
def article(people, units, categories):
    return publish(
        people["admin"],
        units["MEN-MASSAR"],
        categories["massar"],
        title_fr="Code d'accès Massar oublié",
        body_fr="Le directeur réinitialise le code d'accès depuis l'espace établissement.",
        title_ar="نسيان القن السري لمسار",
        body_ar="يعيد المدير تعيين القن السري من فضاء المؤسسة.",
    )


def test_the_list_finds_by_whole_words_and_hides_what_the_reader_may_not_read(
    client, people, units, categories, article
):
    other = publish(
        people["admin"], units["MA-02"], categories["massar"], title_fr="Relevé de notes", body_fr="x"
    )
    page = (
        client_for(client, people["teacher"], "fr")
        .get(reverse("articles"), {"q": "code acces"})
        .content.decode()
    )
    assert "Code d&#x27;accès Massar oublié" in page
    assert reverse("article-detail", args=[other.slug]) not in page
    assert reverse("article-write") not in page  # a teacher writes none
    nothing = client.get(reverse("articles"), {"q": "releve"}).content.decode()
    assert reverse("article-detail", args=[other.slug]) not in nothing
    assert client.get(reverse("article-detail", args=[other.slug])).status_code == 404
    assert client.get(reverse("article-write")).status_code == 404


def test_the_article_is_read_in_the_readers_language(client, people, article):
    client_for(client, people["teacher"], "ar")
    page = client.get(reverse("article-detail", args=[article.slug])).content.decode()
    assert "نسيان القن السري لمسار" in page
    french = client.get(reverse("article-detail", args=[article.slug]), {"lang": "fr"}).content.decode()
    assert "Le directeur réinitialise" in french


def test_suggestions_while_typing_then_this_solved_it_files_nothing_and_counts(
    client, people, units, categories, article
):
    client_for(client, people["teacher"])
    found = client.get(
        reverse("article-suggest"),
        {"subject": "code d'accès oublié", "description": ""},
        HTTP_HX_REQUEST="true",
    )
    assert reverse("article-solved", args=[article.slug]) in found.content.decode()
    assert client.get(reverse("article-suggest"), {"subject": "bonjour merci"}).content.decode().strip() == ""
    tickets = Ticket.objects.count()
    answer = client.post(
        reverse("article-solved", args=[article.slug]),
        {"unit": units["01001A"].pk, "category": categories["massar"].pk, "subject": "code oublié"},
    )
    assert answer.status_code == 302 and answer["Location"] == reverse("home")
    assert Ticket.objects.count() == tickets
    avoided = AvoidedRequest.objects.get()
    assert (avoided.unit, avoided.category, avoided.channel) == (units["01001A"], categories["massar"], "web")
    # Someone else's unit: refused with a message, nothing counted.
    refused = client.post(
        reverse("article-solved", args=[article.slug]), {"unit": units["02001D"].pk}, follow=True
    )
    assert "You can only file a request for a unit you belong to." in refused.content.decode()
    assert AvoidedRequest.objects.count() == 1


def test_a_new_request_that_comes_back_with_an_error_shows_the_suggestions(client, people, units, article):
    client_for(client, people["teacher"])
    page = client.post(
        reverse("ticket-new"),
        {"unit": units["01001A"].pk, "subject": "Code d'accès oublié", "description": "x"},
    )
    assert page.status_code == 400
    assert reverse("article-solved", args=[article.slug]) in page.content.decode()


def test_the_desk_is_offered_the_article_and_cites_it_in_a_reply(client, people, article):
    ticket = file_request(
        people["teacher"], subject="Code d'accès Massar oublié", description="Le code ne marche plus."
    )
    address = reverse("ticket-detail", args=[ticket.reference])
    page = client_for(client, people["head"], "fr").get(address).content.decode()
    assert 'id="ticket-articles"' in page and f"?article={article.slug}" in page
    cited = client.get(address, {"article": article.slug}).content.decode()
    assert f"Code d&#x27;accès Massar oublié\nhttp://testserver/kb/{article.slug}/" in cited
    # The requester is offered nothing: the articles are the desk's help in answering.
    client.logout()
    assert 'id="ticket-articles"' not in client_for(client, people["teacher"]).get(address).content.decode()


def test_written_submitted_and_published_from_the_pages(client, people, units, categories):
    client_for(client, people["region"])
    written = client.post(
        reverse("article-write"),
        {
            "unit": units["MA-01"].pk,
            "category": categories["massar-grades"].pk,
            "audience": "everyone",
            "title_fr": "Saisie des notes fermée",
            "body_fr": "La période est fixée par l'académie.",
        },
    )
    assert written.status_code == 302
    slug = written["Location"].rstrip("/").split("/")[-1]
    # An agent submits; publishing is refused with a message and changes nothing.
    refused = client.post(reverse("article-act", args=[slug, "publish"]), follow=True).content.decode()
    assert "Only a supervisor of the unit that wrote the article reviews it." in refused
    client.post(reverse("article-act", args=[slug, "submit"]))
    client.logout()
    client_for(client, people["supervisor"])
    empty_note = client.post(reverse("article-act", args=[slug, "return"]), {"note": ""}, follow=True)
    assert "Say what should change." in empty_note.content.decode()
    client.post(reverse("article-act", args=[slug, "publish"]))
    assert services.Article.objects.get(slug=slug).status == ArticleStatus.PUBLISHED
    # A title without its text is refused beside the field, and nothing is written.
    versions = services.Article.objects.get(slug=slug).versions.count()
    edit = client.post(
        reverse("article-edit", args=[slug]),
        {"category": categories["massar"].pk, "audience": "everyone", "title_ar": "عنوان", "version": 1},
    )
    assert edit.status_code == 400 and "Write the text that goes with this title." in edit.content.decode()
    assert services.Article.objects.get(slug=slug).versions.count() == versions


def test_the_dashboard_counts_the_requests_avoided_and_the_articles_that_avoided_them(
    client, people, units, article
):
    services.article_solved(people["teacher"], article.slug, unit=units["01001A"])
    page = (
        client_for(client, people["supervisor"])
        .get(reverse("dashboard-unit", args=["MA-01"]))
        .content.decode()
    )
    assert 'id="avoided"' in page
    assert "1 request was not filed" in page
    assert reverse("article-detail", args=[article.slug]) in page
