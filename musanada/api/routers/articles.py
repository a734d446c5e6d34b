"""Help articles over the API: search, suggestions beside a request being written, one article, and "this
solved it".

Each handler only translates: the policy and the knowledge selectors decide what the caller reads (404 for an
article they may not read, like a missing one), the knowledge services count what was solved, and refusals
become problem documents.
"""

from typing import Annotated

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from musanada.api.problems import ERRORS
from musanada.api.schemas import ArticleDetail, ArticleList, Code, SolvedIn, SolvedOut, Text
from musanada.core.errors import ErrorCode, InvalidInput
from musanada.knowledge import selectors, services
from musanada.knowledge.models import Article, ArticleStatus, ArticleVersion, Channel
from musanada.org.models import Category, OrgUnit
from musanada.tickets import policy

router = Router(tags=["articles"])

SEARCH_MAX = 50
EXCERPT_LENGTH = 200

Slug = Annotated[str, Path(pattern=r"^[-a-zA-Z0-9_]{1,80}$", description="The article's address")]


# Output ----------------------------------------------------------------------------------------------


def excerpt(body: str, length: int = EXCERPT_LENGTH) -> str:
    """The start of `body` on one line, cut at a word boundary."""
    text = " ".join(body.split())
    if len(text) <= length:
        return text
    # One character more: a space right after the limit makes the limit itself a boundary.
    head = text[: length + 1]
    cut = head.rsplit(" ", 1)[0] if " " in head else text[:length]
    return cut.rstrip(" ,;:.") + "…"


def _unit(unit: OrgUnit) -> dict:
    return {"code": unit.code, "name": unit.name}


def article_summary(user, article: Article) -> dict:
    assert article.published is not None  # the selectors list published articles only
    language, title, body = article.published.text(user.language)
    return {
        "slug": article.slug,
        "title": title,
        "language": language,
        "excerpt": excerpt(body),
        "category": article.category.code,
        "unit": _unit(article.unit),
        "audience": article.audience,
        "published_at": article.published_at,
        "url": reverse("article-detail", args=[article.slug]),
    }


def article_detail(article: Article, version: ArticleVersion, status: str) -> dict:
    return {
        "slug": article.slug,
        "status": status,
        "audience": article.audience,
        "category": article.category.code,
        "unit": _unit(article.unit),
        "published_at": article.published_at,
        "version": version.number,
        "texts": [
            {"language": language, "title": title, "body": body}
            for language, title, body in (version.text(language) for language in version.languages)
        ],
    }


# Lookups ---------------------------------------------------------------------------------------------


def _category(code: str | None) -> Category | None:
    if not code:
        return None
    category = Category.objects.filter(code=code, is_active=True).first()
    if category is None:
        raise InvalidInput(_("Choose a valid category."), code=ErrorCode.INVALID_CATEGORY, field="category")
    return category


def _unit_by_code(code: str) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code, is_active=True).first()
    if unit is None:
        raise InvalidInput(
            _("Choose the unit you file for: the code of one of your units."),
            code=ErrorCode.INVALID_UNIT,
            field="unit",
        )
    return unit


# Finding ---------------------------------------------------------------------------------------------


class ArticleSearchParams(Schema):
    q: Text = Field("", max_length=500, description="Words the article holds, each from its start")
    category: Code | None = Field(
        None, description="A category code; an information system includes its topics"
    )
    limit: int = Field(20, ge=1, le=SEARCH_MAX)


class ArticleSuggestParams(Schema):
    q: Text = Field("", max_length=5000, description="The request being written: its subject and description")
    category: Code | None = Field(None, description="The category chosen for the request, if any")


@router.get(
    "/articles",
    response={200: ArticleList, **ERRORS},
    summary="Search the help articles the caller may read",
)
def article_list(request, params: Query[ArticleSearchParams]):
    user = request.auth
    found = selectors.article_search(user, params.q, _category(params.category), params.limit)
    return {"items": [article_summary(user, article) for article in found]}


# Declared before /articles/{slug}, which would otherwise take "suggest" for an address.
@router.get(
    "/articles/suggest",
    response={200: ArticleList, **ERRORS},
    summary="Help articles that may answer a request being written",
)
def article_suggest(request, params: Query[ArticleSuggestParams]):
    user = request.auth
    found = selectors.article_suggestions(user, params.q, _category(params.category))
    return {"items": [article_summary(user, article) for article in found]}


# One article -----------------------------------------------------------------------------------------


@router.get(
    "/articles/{slug}",
    response={200: ArticleDetail, **ERRORS},
    url_name="article_get",
    summary="A help article: the published version, or the latest one for its writers",
)
def article_get(request, slug: Slug):
    user = request.auth
    article = selectors.article_get_for(user, slug)
    if policy.article_workspace(user).filter(pk=article.pk).exists():
        return article_detail(article, services.latest_version(article), article.status)
    # A reader reads the published version, whatever state a revision of it is in.
    assert article.published is not None  # what a reader may read is published
    return article_detail(article, article.published, ArticleStatus.PUBLISHED)


@router.post(
    "/articles/{slug}/solved",
    response={201: SolvedOut, **ERRORS},
    summary="Say that the article solved the problem: the request is not filed, and it is counted",
)
def article_solved(request, slug: Slug, payload: SolvedIn):
    unit, category = _unit_by_code(payload.unit), _category(payload.category)
    avoided = services.article_solved(request.auth, slug, unit=unit, category=category, channel=Channel.API)
    return Status(
        201,
        {
            "article": slug,
            "unit": unit.code,
            "category": category.code if category else None,
            "counted_at": avoided.created_at,
        },
    )
