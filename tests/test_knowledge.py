"""Help articles: written for a unit's subtree, reviewed by its supervisors, read by the units under it,
found by whole words in Arabic and French, suggested beside a request being written, and counted when one
solved a problem (docs/knowledge.md)."""

import pytest

from musanada.core.errors import Conflict, Forbidden, IllegalTransition, InvalidInput, NotFound
from musanada.knowledge import selectors, services
from musanada.knowledge.models import ArticleStatus, ArticleVersion, Audience, AvoidedRequest, StepKind
from musanada.tickets import policy


def publish(author, unit, category, *, reviewer=None, audience=Audience.EVERYONE, **texts):
    """An article written by `author` for `unit` and published by `reviewer` (the author by default)."""
    article = services.article_write(author, unit=unit, category=category, audience=audience, **texts)
    return services.article_publish(reviewer or author, article.slug)


@pytest.fixture
def library(people, units, categories):
    """A central article for the whole country, one of academy MA-01, one of MA-02, one for desks only."""
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
        ),
        "academy": publish(
            people["supervisor"],
            units["MA-01"],
            categories["massar-grades"],
            title_fr="Saisie des notes fermée",
            body_fr="La période de saisie des notes est fixée par l'académie.",
        ),
        "other": publish(
            admin,
            units["MA-02"],
            categories["massar"],
            title_fr="Relevé de notes introuvable",
            body_fr="Le relevé est publié après les conseils de classe.",
        ),
        "desks": publish(
            admin,
            units["MEN-MASSAR"],
            categories["massar"],
            audience=Audience.DESKS,
            title_fr="Procédure interne de réinitialisation",
            body_fr="Réservé aux agents : vérifier l'identité avant de réinitialiser.",
        ),
    }


def _readable(user) -> set:
    return {article.slug for article in policy.readable_articles(user)}


def test_an_article_reaches_the_units_under_its_writer_and_desk_articles_only_the_desk_side(people, library):
    central, academy, other, desks = (library[key].slug for key in ("central", "academy", "other", "desks"))
    assert _readable(people["teacher"]) == {central, academy}
    assert _readable(people["outsider_teacher"]) == {central, other}
    assert _readable(people["head"]) == {central, academy, desks}
    # The observer of a province reads what is written above it; a central desk reads the whole tree.
    assert _readable(people["observer"]) == {central, academy, desks}
    assert _readable(people["central"]) == {central, academy, other, desks}
    assert _readable(people["outsider_head"]) == {central, other, desks}


def test_drafts_are_read_by_their_units_writers_only(people, units, categories):
    draft = services.article_write(
        people["region"],
        unit=units["MA-01"],
        category=categories["massar"],
        title_fr="Brouillon",
        body_fr="x",
    )
    assert draft.status == ArticleStatus.DRAFT
    assert selectors.article_get_for(people["supervisor"], draft.slug) == draft
    for reader in ("teacher", "head", "central", "outsider_head", "observer"):
        with pytest.raises(NotFound):
            selectors.article_get_for(people[reader], draft.slug)


def test_the_life_of_an_article_submitted_returned_revised_published_archived(people, units, categories):
    agent, reviewer = people["region"], people["supervisor"]
    article = services.article_write(
        agent,
        unit=units["MA-01"],
        category=categories["massar"],
        title_fr="Transfert d'un élève",
        body_fr="v1",
    )
    with pytest.raises(Forbidden):
        services.article_publish(agent, article.slug)  # an agent submits; a supervisor publishes
    services.article_submit(agent, article.slug)
    with pytest.raises(IllegalTransition):
        services.article_submit(agent, article.slug)
    with pytest.raises(InvalidInput):
        services.article_return(reviewer, article.slug, " ")
    services.article_return(reviewer, article.slug, "Précisez le délai.")
    services.article_revise(
        agent,
        article.slug,
        version=1,
        category=categories["massar-registration"],
        title_fr="Transfert",
        body_fr="v2",
    )
    with pytest.raises(Conflict):  # written from version 1 while version 2 exists
        services.article_revise(
            agent, article.slug, version=1, category=categories["massar"], title_fr="T", body_fr="x"
        )
    published = services.article_publish(reviewer, article.slug)
    assert published.published.number == 2 and published.published.body_fr == "v2"
    assert article.slug in _readable(people["teacher"])
    # A revision of a published article leaves the published text readable until it is published.
    services.article_revise(
        agent, article.slug, version=2, category=categories["massar"], title_fr="T", body_fr="v3"
    )
    assert selectors.article_get_for(people["teacher"], article.slug).published.body_fr == "v2"
    services.article_archive(reviewer, article.slug, "Remplacé.")
    assert article.slug not in _readable(people["teacher"])
    steps = [step.kind for step in article.steps.all()]
    assert steps == [
        StepKind.WRITTEN,
        StepKind.SUBMITTED,
        StepKind.RETURNED,
        StepKind.WRITTEN,
        StepKind.PUBLISHED,
        StepKind.WRITTEN,
        StepKind.ARCHIVED,
    ]
    assert [version.body_fr for version in article.versions.all()] == ["v1", "v2", "v3"]
    with pytest.raises(ValueError):
        article.versions.first().save()  # versions are never changed
    with pytest.raises(ValueError):
        ArticleVersion.objects.filter(article=article).update(body_fr="rewritten")


def test_writing_is_refused_outside_ones_units_and_with_a_title_without_text(people, units, categories):
    with pytest.raises(InvalidInput) as outside:
        services.article_write(
            people["supervisor"],
            unit=units["MA-02"],
            category=categories["massar"],
            title_fr="x",
            body_fr="y",
        )
    assert outside.value.field == "unit"
    with pytest.raises(InvalidInput):
        services.article_write(
            people["teacher"], unit=units["01001A"], category=categories["massar"], title_fr="x", body_fr="y"
        )
    with pytest.raises(InvalidInput) as untitled:
        services.article_write(
            people["head"], unit=units["01001A"], category=categories["massar"], body_ar="نص"
        )
    assert untitled.value.field == "title_ar"
    with pytest.raises(InvalidInput) as empty:
        services.article_write(people["head"], unit=units["01001A"], category=categories["massar"])
    assert empty.value.field == "title_ar"
    # Another unit's supervisor does not review it; its agent is not a reviewer either.
    article = services.article_write(
        people["head"], unit=units["01001A"], category=categories["massar"], title_fr="x", body_fr="y"
    )
    for outsider in ("supervisor", "outsider_head"):
        with pytest.raises((Forbidden, NotFound)):
            services.article_publish(people[outsider], article.slug)


def _found(user, query, category=None) -> list[str]:
    return [article.slug for article in selectors.article_search(user, query, category)]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("eleve", True),  # "élève", folded
        ("ELÈVES", False),  # a longer word than any in the article
        ("code acces", True),
        ("code imprimante", False),  # every word must be found
        ("releve", False),
        ("مسار", True),  # "لمنظومة مسار", and "مسار" after the article
        ("المسار", True),
        ("القن السري", True),
        ("السر", True),  # the start of "السري"
        ("سري", True),
        ("ري", False),  # the inside of a word
    ],
)
def test_search_matches_whole_words_from_their_start(people, library, query, found):
    assert (library["central"].slug in _found(people["teacher"], query)) is found


def test_eleve_does_not_find_releve_and_the_title_ranks_first(people, units, categories, library):
    second = publish(
        people["admin"],
        units["MEN-MASSAR"],
        categories["massar"],
        title_fr="Réinitialiser un mot de passe",
        body_fr="Le code d'accès est envoyé à l'adresse de l'établissement.",
    )
    # "code" is in the first article's title and only in the second's text.
    assert _found(people["teacher"], "code") == [library["central"].slug, second.slug]
    assert library["other"].slug not in _found(people["outsider_teacher"], "eleve")
    assert _found(people["outsider_teacher"], "releve") == [library["other"].slug]


def test_suggestions_for_a_request_being_written(people, library, categories):
    typed = "Bonjour, je ne retrouve plus le code d'accès Massar de mon élève"
    assert [a.slug for a in selectors.article_suggestions(people["teacher"], typed)][0] == library[
        "central"
    ].slug
    # Stop words alone suggest nothing; a category narrows the suggestions.
    assert selectors.article_suggestions(people["teacher"], "je ne peux pas, merci") == []
    grades = selectors.article_suggestions(people["teacher"], "saisie des notes", categories["massar-grades"])
    assert [a.slug for a in grades] == [library["academy"].slug]
    # Nothing the reader may not read: the desk-side article is never suggested to a teacher.
    internal = selectors.article_suggestions(people["teacher"], "procédure interne de réinitialisation")
    assert library["desks"].slug not in [a.slug for a in internal]


def test_this_solved_it_is_counted_for_the_unit_and_category(people, units, categories, library):
    services.article_solved(
        people["teacher"], library["central"].slug, unit=units["01001A"], category=categories["massar"]
    )
    avoided = AvoidedRequest.objects.get()
    assert (avoided.unit, avoided.category, avoided.user) == (
        units["01001A"],
        categories["massar"],
        people["teacher"],
    )
    with pytest.raises(InvalidInput):  # not a unit of theirs
        services.article_solved(people["teacher"], library["central"].slug, unit=units["01002B"])
    with pytest.raises(NotFound):  # an article they may not read
        services.article_solved(people["teacher"], library["other"].slug, unit=units["01001A"])
    assert AvoidedRequest.objects.count() == 1


def test_an_article_titled_like_a_route_gets_an_address_of_its_own(people, units, categories):
    article = services.article_write(
        people["head"], unit=units["01001A"], category=categories["massar"], title_fr="Suggest", body_fr="x"
    )
    assert article.slug == "suggest-2"
