"""Finding help articles: the reader's search, the suggestions beside a request being written, and one
article by its address. Everything starts from the policy's `readable_articles` (or `article_workspace`
for the writers' own), so a list never holds an article its reader may not read.

Words match whole words from their start, after `core.text` folding: "eleve" finds "élèves" and not
"relevé"; "نقط" finds "نقطة" and not "النقط" (the article is part of the word). docs/knowledge.md says more.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from musanada.core.errors import NotFound
from musanada.core.text import search_words, telling_terms, word_start
from musanada.knowledge.models import Article
from musanada.org.models import Category
from musanada.tickets import policy

# A search reads at most this many matching articles before ranking them (a tree's articles number in the
# hundreds; a word found in more than this is not telling anything).
CANDIDATES = 300
SUGGESTIONS = 5
# A word found in an article's title weighs this many times one found in its text only.
TITLE_WEIGHT = 3

RELATED = ("published", "unit", "category", "category__parent")
NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def _in_category(category: Category | None) -> Q:
    # A system's articles include its topics'; a topic's, the general ones of its system.
    if category is None:
        return Q()
    condition = Q(category=category) | Q(category__parent=category)
    if category.parent_id:
        condition |= Q(category_id=category.parent_id)
    return condition


@dataclass(frozen=True)
class Found:
    article: Article
    # How well it matches: the sum, over the words it holds, of TITLE_WEIGHT for a word in its title, else 1.
    score: int
    matched: int


def _ranked(articles, terms: list[str]) -> list[Found]:
    found = []
    for article in articles:
        score = matched = 0
        for term in terms:
            start = word_start(term)
            if start in article.title_text:
                score, matched = score + TITLE_WEIGHT, matched + 1
            elif start in article.search_text:
                score, matched = score + 1, matched + 1
        found.append(Found(article, score, matched))
    # Readers' articles are published: `published_at` is set.
    found.sort(
        key=lambda item: (-item.score, -(item.article.published_at or NEVER).timestamp(), item.article.pk)
    )
    return found


def article_search(user, query: str = "", category: Category | None = None, limit: int = 50) -> list[Article]:
    """The articles the user may read that hold every word of `query` (all of them without one) in
    `category`, the best match first (title words weigh more), else the latest published first."""
    articles = policy.readable_articles(user).filter(_in_category(category)).select_related(*RELATED)
    terms = search_words(query)
    if not terms:
        return list(articles.order_by("-published_at", "pk")[:limit])
    for term in terms:
        articles = articles.filter(search_text__contains=word_start(term))
    return [found.article for found in _ranked(articles[:CANDIDATES], terms)[:limit]]


def article_suggestions(user, text: str, category: Category | None = None) -> list[Article]:
    """The articles that may answer a request being written (`text`: its subject and description so far):
    those that hold its telling words (`core.text.telling_terms`), best first. An article is suggested when
    it holds two of them, or one in its title (or the only one typed)."""
    terms = telling_terms(text)
    if not terms:
        return []
    any_word = Q()
    for term in terms:
        any_word |= Q(search_text__contains=word_start(term))
    articles = (
        policy.readable_articles(user)
        .filter(_in_category(category))
        .filter(any_word)
        .select_related(*RELATED)
    )
    enough = min(2, len(terms))
    found = _ranked(articles[:CANDIDATES], terms)
    return [item.article for item in found if item.matched >= enough or item.score >= TITLE_WEIGHT][
        :SUGGESTIONS
    ]


def article_get_for(user, slug: str) -> Article:
    """One article the user may read (published) or works on (its writers, in every state); NotFound
    otherwise, the same as an address that does not exist."""
    visible = policy.readable_articles(user).filter(slug=slug).select_related(*RELATED).first()
    if visible is not None:
        return visible
    worked = policy.article_workspace(user).filter(slug=slug).select_related(*RELATED).first()
    if worked is None:
        raise NotFound(_("No such article."))
    return worked


def workspace(user, status: str = "") -> QuerySet:
    """The articles of the units the user writes for, in every state (or in `status`), latest change first."""
    articles = policy.article_workspace(user).select_related(*RELATED)
    if status:
        articles = articles.filter(status=status)
    return articles.order_by("-updated_at", "-pk")
