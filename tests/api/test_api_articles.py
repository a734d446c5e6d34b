"""Help articles over the API: what a caller finds, reads and says solved it, by the same policy as the
selectors (tests/test_knowledge.py holds the rules themselves)."""

import pytest

from musanada.knowledge import services
from musanada.knowledge.models import Audience, AvoidedRequest
from tests.test_knowledge import publish

PROBLEM = "application/problem+json"
LONG_BODY = " ".join(["La période de saisie des notes est fixée par l'académie."] * 12)


@pytest.fixture
def shelf(people, units, categories):
    """A central article for the whole country, one of academy MA-01 (with a long text), one of MA-02, one
    for desks only."""
    admin = people["admin"]
    return {
        "central": publish(
            admin,
            units["MEN-MASSAR"],
            categories["massar"],
            title_fr="Code d'accès Massar oublié",
            body_fr="Le directeur de l'établissement réinitialise le code d'accès de l'élève.",
            title_ar="نسيان القن السري لمنظومة مسار",
            body_ar="يعيد مدير المؤسسة تعيين القن السري للتلميذ من فضاء مسار.",
        ).slug,
        "academy": publish(
            people["supervisor"],
            units["MA-01"],
            categories["massar-grades"],
            title_fr="Saisie des notes fermée",
            body_fr=LONG_BODY,
        ).slug,
        "other": publish(
            admin,
            units["MA-02"],
            categories["massar"],
            title_fr="Relevé de notes introuvable",
            body_fr="Le relevé est publié après les conseils de classe.",
        ).slug,
        "desks": publish(
            admin,
            units["MEN-MASSAR"],
            categories["massar"],
            audience=Audience.DESKS,
            title_fr="Procédure interne de réinitialisation",
            body_fr="Réservé aux agents : vérifier l'identité avant de réinitialiser.",
        ).slug,
    }


def _slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["slug"] for item in response.json()["items"]]


def _assert_problem(response, status: int, code: str, field: str | None = None) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["code"] == code
    if field is not None:
        assert [error["field"] for error in problem["errors"]] == [field]


def test_a_teachers_list_holds_the_central_and_their_academys_articles_only(api, people, shelf):
    listed = api["teacher"].get("/articles").json()["items"]
    assert {item["slug"] for item in listed} == {shelf["central"], shelf["academy"]}
    by_slug = {item["slug"]: item for item in listed}
    # The caller's language (Arabic) when the article is written in it, else the one it is written in.
    central, academy = by_slug[shelf["central"]], by_slug[shelf["academy"]]
    assert (central["language"], central["title"]) == ("ar", "نسيان القن السري لمنظومة مسار")
    assert (academy["language"], academy["title"]) == ("fr", "Saisie des notes fermée")
    assert central["unit"]["code"] == "MEN-MASSAR" and central["unit"]["name"]
    assert (central["category"], central["audience"]) == ("massar", "everyone")
    assert central["url"] == f"/kb/{shelf['central']}/"
    assert academy["excerpt"].endswith("…") and len(academy["excerpt"]) <= 201
    # Cut between two words: what it shows, up to the ellipsis, is whole words of the text.
    assert LONG_BODY.startswith(academy["excerpt"][:-1]) and LONG_BODY[len(academy["excerpt"]) - 1] in " .,"
    # The other academy's and the desk-side article are listed to those who may read them.
    assert set(_slugs(api["outsider_teacher"].get("/articles"))) == {shelf["central"], shelf["other"]}
    assert shelf["desks"] in _slugs(api["head"].get("/articles"))


def test_search_matches_whole_words_in_a_category_with_a_limit(api, shelf):
    outsider = api["outsider_teacher"]
    assert shelf["other"] not in _slugs(outsider.get("/articles", {"q": "eleve"}))
    assert _slugs(outsider.get("/articles", {"q": "releve"})) == [shelf["other"]]
    assert _slugs(api["teacher"].get("/articles", {"q": "eleve"})) == [shelf["central"]]
    # A topic's articles and the general ones of its system; another system's category finds none of them.
    grades = set(_slugs(api["teacher"].get("/articles", {"category": "massar-grades"})))
    assert grades == {shelf["academy"], shelf["central"]}
    assert _slugs(api["teacher"].get("/articles", {"category": "accounts"})) == []
    assert len(_slugs(api["teacher"].get("/articles", {"limit": 1}))) == 1
    _assert_problem(api["teacher"].get("/articles", {"limit": 51}), 422, "invalid", "limit")


def test_an_unknown_category_code_is_refused_with_a_problem(api, shelf):
    _assert_problem(
        api["teacher"].get("/articles", {"category": "nope"}), 422, "invalid_category", "category"
    )
    response = api["teacher"].get("/articles/suggest", {"q": "code Massar", "category": "nope"})
    _assert_problem(response, 422, "invalid_category", "category")


def test_suggestions_for_a_request_being_written(api, shelf):
    typed = "Bonjour, je ne retrouve plus le code d'accès Massar de mon élève"
    suggested = _slugs(api["teacher"].get("/articles/suggest", {"q": typed}))
    assert suggested[0] == shelf["central"]
    assert _slugs(api["teacher"].get("/articles/suggest", {"q": "je ne peux pas, merci"})) == []
    grades = api["teacher"].get("/articles/suggest", {"q": "saisie des notes", "category": "massar-grades"})
    assert _slugs(grades) == [shelf["academy"]]
    internal = api["teacher"].get("/articles/suggest", {"q": "procédure interne de réinitialisation"})
    assert shelf["desks"] not in _slugs(internal)


def test_a_reader_gets_the_published_version_in_every_language(api, shelf):
    response = api["teacher"].get(f"/articles/{shelf['central']}")
    assert response.status_code == 200, response.content
    article = response.json()
    assert (article["slug"], article["status"], article["version"]) == (shelf["central"], "published", 1)
    assert [text["language"] for text in article["texts"]] == ["ar", "fr"]
    assert article["texts"][1]["title"] == "Code d'accès Massar oublié"
    assert article["published_at"] and article["unit"]["code"] == "MEN-MASSAR"
    # Another academy's article, or one for desks, is not found, like an address that does not exist.
    for slug in (shelf["other"], shelf["desks"], "no-such-article"):
        _assert_problem(api["teacher"].get(f"/articles/{slug}"), 404, "not_found")


def test_a_draft_is_not_found_by_a_teacher_and_read_at_its_latest_version_by_its_writers(
    api, people, units, categories
):
    draft = services.article_write(
        people["region"],
        unit=units["MA-01"],
        category=categories["massar"],
        title_fr="Brouillon",
        body_fr="Première rédaction.",
    )
    _assert_problem(api["teacher"].get(f"/articles/{draft.slug}"), 404, "not_found")
    for writer in ("region", "supervisor"):
        article = api[writer].get(f"/articles/{draft.slug}").json()
        assert (article["status"], article["version"], article["published_at"]) == ("draft", 1, None)
        assert article["texts"] == [{"language": "fr", "title": "Brouillon", "body": "Première rédaction."}]


def test_a_revision_is_read_by_its_writers_while_readers_keep_the_published_version(
    api, people, units, categories
):
    slug = publish(
        people["supervisor"], units["MA-01"], categories["massar"], title_fr="Saisie", body_fr="v1"
    ).slug
    services.article_revise(
        people["region"],
        slug,
        version=1,
        category=categories["massar"],
        title_fr="Saisie",
        body_fr="v2",
        title_ar="الحجز",
        body_ar="ن2",
    )
    reader = api["teacher"].get(f"/articles/{slug}").json()
    assert (reader["status"], reader["version"]) == ("published", 1)
    assert [(text["language"], text["body"]) for text in reader["texts"]] == [("fr", "v1")]
    writer = api["region"].get(f"/articles/{slug}").json()
    assert (writer["status"], writer["version"]) == ("draft", 2)
    assert [(text["language"], text["body"]) for text in writer["texts"]] == [("ar", "ن2"), ("fr", "v2")]


def test_solved_counts_one_avoided_request_from_the_api(api, people, shelf):
    response = api["teacher"].post(
        f"/articles/{shelf['central']}/solved", {"unit": "01001A", "category": "massar"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["article"], body["unit"], body["category"]) == (shelf["central"], "01001A", "massar")
    avoided = AvoidedRequest.objects.get()
    assert (
        avoided.article.slug,
        avoided.user,
        avoided.unit.code,
        avoided.category.code,
        avoided.channel,
    ) == (
        shelf["central"],
        people["teacher"],
        "01001A",
        "massar",
        "api",
    )
    assert body["counted_at"].startswith(avoided.created_at.isoformat()[:19])
    without_category = api["teacher"].post(f"/articles/{shelf['central']}/solved", {"unit": "01001A"})
    assert without_category.status_code == 201 and without_category.json()["category"] is None
    assert AvoidedRequest.objects.count() == 2


def test_solved_is_refused_for_a_unit_not_the_callers_and_counts_nothing(api, shelf):
    teacher, slug = api["teacher"], shelf["central"]
    # 01002B is another school of the same province: it exists, the teacher does not belong to it.
    _assert_problem(teacher.post(f"/articles/{slug}/solved", {"unit": "01002B"}), 422, "not_a_member", "unit")
    _assert_problem(teacher.post(f"/articles/{slug}/solved", {"unit": "NOPE"}), 422, "invalid_unit", "unit")
    response = teacher.post(f"/articles/{slug}/solved", {"unit": "01001A", "category": "nope"})
    _assert_problem(response, 422, "invalid_category", "category")
    # An article the caller may not read is not found, as one that does not exist.
    _assert_problem(teacher.post(f"/articles/{shelf['other']}/solved", {"unit": "01001A"}), 404, "not_found")
    assert AvoidedRequest.objects.count() == 0
