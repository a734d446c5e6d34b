"""What people do with help articles: write, revise, submit, return, publish, archive, and say that one
solved their problem. Each step checks the policy, validates, and writes the article, its version and its
log line in one transaction (docs/knowledge.md)."""

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from musanada.core.errors import Conflict, ErrorCode, Forbidden, IllegalTransition, InvalidInput, NotFound
from musanada.core.text import plain_line, plain_text, word_document
from musanada.knowledge.models import (
    LANGUAGES,
    Article,
    ArticleStatus,
    ArticleStep,
    ArticleVersion,
    Audience,
    AvoidedRequest,
    Channel,
    StepKind,
)
from musanada.org.models import Category, OrgUnit
from musanada.tickets import policy

TITLE_MAX = 200
BODY_MAX = 20000
NOTE_MAX = 2000


def _texts(texts: dict) -> dict:
    """The titles and texts by language, checked: each language has both or neither, one language at least."""
    fields = {}
    for language in LANGUAGES:
        title = plain_line(texts.get(f"title_{language}") or "")
        body = plain_text(texts.get(f"body_{language}") or "").strip()
        if title and not body:
            raise InvalidInput(
                _("Write the text that goes with this title."),
                code=ErrorCode.REQUIRED,
                field=f"body_{language}",
            )
        if body and not title:
            raise InvalidInput(
                _("Give this text its title."), code=ErrorCode.REQUIRED, field=f"title_{language}"
            )
        for field, value, limit in (
            (f"title_{language}", title, TITLE_MAX),
            (f"body_{language}", body, BODY_MAX),
        ):
            if len(value) > limit:
                raise InvalidInput(
                    _("This text is too long (%(max)s characters at most)."),
                    code=ErrorCode.TOO_LONG,
                    field=field,
                    params={"max": limit},
                )
            fields[field] = value
    if not any(fields[f"title_{language}"] for language in LANGUAGES):
        raise InvalidInput(
            _("Write the article in one language at least: a title and its text."),
            code=ErrorCode.REQUIRED,
            field="title_ar",
        )
    return fields


def _category(category) -> Category:
    if not isinstance(category, Category) or not category.is_active:
        raise InvalidInput(_("Choose a category."), code=ErrorCode.INVALID_CATEGORY, field="category")
    return category


def _audience(audience: str) -> str:
    if audience not in Audience.values:
        raise InvalidInput(_("Choose who reads the article."), code=ErrorCode.INVALID, field="audience")
    return audience


# Addresses of the pages and API routes beside the articles' (/kb/write/, /api/v1/articles/suggest).
RESERVED_SLUGS = frozenset({"write", "suggest"})


def _new_slug(fields: dict) -> str:
    # From the French or English title (an address people can read and type); Arabic-only articles get a
    # plain "article" stem. A number makes it unique.
    stem = slugify(fields["title_fr"] or fields["title_en"])[:60].strip("-") or "article"
    slug, number = stem, 1
    while slug in RESERVED_SLUGS or Article.objects.filter(slug=slug).exists():
        number += 1
        slug = f"{stem}-{number}"
    return slug


def _step(article: Article, kind: str, actor, now, note: str = "") -> None:
    ArticleStep.objects.create(
        article=article,
        kind=kind,
        version=latest_version(article).number,
        actor=actor,
        created_at=now,
        note=note,
    )


def latest_version(article: Article) -> ArticleVersion:
    """The version the writers work on (the last one written)."""
    return article.versions.order_by("-number")[0]  # an article is written with its first version


@transaction.atomic
def article_write(user, *, unit: OrgUnit, category, audience: str = Audience.EVERYONE, **texts) -> Article:
    """A new article of `unit`, as a draft (version 1), by one of the unit's writers."""
    if not isinstance(unit, OrgUnit) or not policy.writes_articles(user, unit):
        raise InvalidInput(
            _("Choose a unit whose help articles you write."), code=ErrorCode.INVALID_UNIT, field="unit"
        )
    category, audience, fields = _category(category), _audience(audience), _texts(texts)
    now = timezone.now()
    article = Article.objects.create(
        slug=_new_slug(fields),
        unit=unit,
        category=category,
        audience=audience,
        created_at=now,
        updated_at=now,
    )
    ArticleVersion.objects.create(article=article, number=1, created_by=user, created_at=now, **fields)
    _step(article, StepKind.WRITTEN, user, now)
    return article


def _locked(user, slug: str) -> Article:
    article = (
        policy.article_workspace(user)
        .select_for_update(of=("self",))
        .select_related("unit")
        .filter(slug=slug)
        .first()
    )
    if article is None:
        raise NotFound(_("No such article."))
    return article


@transaction.atomic
def article_revise(
    user, slug: str, *, version: int, category, audience: str = Audience.EVERYONE, **texts
) -> Article:
    """The next version of an article, as a draft. `version` is the one the writer started from: when
    someone wrote another meanwhile, nothing is written. A published article stays published as it was
    until its new version is published."""
    article = _locked(user, slug)
    if latest_version(article).number != version:
        raise Conflict(_("Someone else changed this article in the meantime. Reload it and try again."))
    category, audience, fields = _category(category), _audience(audience), _texts(texts)
    now = timezone.now()
    ArticleVersion.objects.create(
        article=article, number=version + 1, created_by=user, created_at=now, **fields
    )
    article.category, article.audience = category, audience
    article.status, article.updated_at = ArticleStatus.DRAFT, now
    article.save(update_fields=["category", "audience", "status", "updated_at"])
    _step(article, StepKind.WRITTEN, user, now)
    return article


# The steps each state of an article allows, to its writers and to its reviewers: the services refuse the
# others, and the article's page offers exactly these (`steps_offered`).
WRITER_STEPS: dict[str, tuple[str, ...]] = {ArticleStatus.DRAFT: ("submit",)}
REVIEWER_STEPS: dict[str, tuple[str, ...]] = {
    ArticleStatus.DRAFT: ("publish", "archive"),
    ArticleStatus.REVIEW: ("publish", "return", "archive"),
    ArticleStatus.PUBLISHED: ("archive",),
    ArticleStatus.ARCHIVED: ("publish",),
}


def steps_offered(user, article: Article) -> list[str]:
    """The steps the user may take on the article now (none for a reader who does not work on it)."""
    if not policy.article_workspace(user).filter(pk=article.pk).exists():
        return []
    steps = list(WRITER_STEPS.get(article.status, ()))
    if policy.reviews_articles(user, article.unit):
        steps += [step for step in REVIEWER_STEPS.get(article.status, ()) if step not in steps]
    return steps


def _allowed(article: Article, step: str, table: dict) -> None:
    if step not in table.get(article.status, ()):
        raise IllegalTransition(
            _("This is not possible while the article is “%(status)s”."),
            params={"status": ArticleStatus(article.status).label},
        )


def _reviewer(user, article: Article) -> None:
    if not policy.reviews_articles(user, article.unit):
        raise Forbidden(_("Only a supervisor of the unit that wrote the article reviews it."))


@transaction.atomic
def article_submit(user, slug: str) -> Article:
    """A draft goes to the unit's supervisors for review."""
    article = _locked(user, slug)
    _allowed(article, "submit", WRITER_STEPS)
    now = timezone.now()
    article.status, article.updated_at = ArticleStatus.REVIEW, now
    article.save(update_fields=["status", "updated_at"])
    _step(article, StepKind.SUBMITTED, user, now)
    return article


@transaction.atomic
def article_return(user, slug: str, note: str) -> Article:
    """A reviewer sends the article back to its writers, saying what to change."""
    article = _locked(user, slug)
    _reviewer(user, article)
    _allowed(article, "return", REVIEWER_STEPS)
    note = _note(note, required=True)
    now = timezone.now()
    article.status, article.updated_at = ArticleStatus.DRAFT, now
    article.save(update_fields=["status", "updated_at"])
    _step(article, StepKind.RETURNED, user, now, note)
    return article


def _note(note: str, *, required: bool) -> str:
    note = plain_text(note or "").strip()
    if required and not note:
        raise InvalidInput(_("Say what should change."), code=ErrorCode.REQUIRED, field="note")
    if len(note) > NOTE_MAX:
        raise InvalidInput(
            _("This text is too long (%(max)s characters at most)."),
            code=ErrorCode.TOO_LONG,
            field="note",
            params={"max": NOTE_MAX},
        )
    return note


@transaction.atomic
def article_publish(user, slug: str) -> Article:
    """A reviewer publishes the latest version (a draft, one awaiting review, or an archived article put
    back): from now on readers read it, and search finds its words."""
    article = _locked(user, slug)
    _reviewer(user, article)
    _allowed(article, "publish", REVIEWER_STEPS)
    version = latest_version(article)
    now = timezone.now()
    article.status, article.published, article.published_at, article.updated_at = (
        ArticleStatus.PUBLISHED,
        version,
        now,
        now,
    )
    titles = [getattr(version, f"title_{language}") for language in LANGUAGES]
    bodies = [getattr(version, f"body_{language}") for language in LANGUAGES]
    article.title_text = word_document(*titles)
    article.search_text = word_document(*titles, *bodies)
    article.save(
        update_fields=["status", "published", "published_at", "updated_at", "title_text", "search_text"]
    )
    _step(article, StepKind.PUBLISHED, user, now)
    return article


@transaction.atomic
def article_archive(user, slug: str, note: str = "") -> Article:
    """A reviewer withdraws the article: nobody reads it any more; it is kept, with its versions, and can be
    published again."""
    article = _locked(user, slug)
    _reviewer(user, article)
    _allowed(article, "archive", REVIEWER_STEPS)
    now = timezone.now()
    article.status, article.updated_at = ArticleStatus.ARCHIVED, now
    article.save(update_fields=["status", "updated_at"])
    _step(article, StepKind.ARCHIVED, user, now, _note(note, required=False))
    return article


def article_solved(
    user, slug: str, *, unit: OrgUnit, category=None, channel: str = Channel.WEB
) -> AvoidedRequest:
    """The user read the article while writing a request for `unit` and says it solved the problem: the
    request is not filed, and the article is counted for that unit and category."""
    article = policy.readable_articles(user).filter(slug=slug).first()
    if article is None:
        raise NotFound(_("No such article."))
    if not isinstance(unit, OrgUnit) or not policy.filing_units(user).filter(pk=unit.pk).exists():
        raise InvalidInput(
            _("You can only file a request for a unit you belong to."),
            code=ErrorCode.NOT_A_MEMBER,
            field="unit",
        )
    if category is not None and not isinstance(category, Category):
        raise InvalidInput(_("Choose a category."), code=ErrorCode.INVALID_CATEGORY, field="category")
    if channel not in Channel.values:
        raise InvalidInput(_("Unknown channel."), code=ErrorCode.INVALID_CHANNEL, field="channel")
    return AvoidedRequest.objects.create(
        article=article, user=user, unit=unit, category=category, channel=channel, created_at=timezone.now()
    )
