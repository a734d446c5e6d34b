"""Help articles: answers a desk or a central service writes once for the units under it, read before a
request is filed (and instead of filing it), and linked into replies.

An article's texts are versions, appended and never changed; its steps (written, submitted, returned,
published, archived) are a log, appended too. Readers read the published version; the unit's writers work on
the latest one. Who reads and who writes is decided in `tickets/policy.py` (docs/knowledge.md).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from musanada.org.models import Category, OrgUnit

# The languages an article is written in, in the order a reader's own is looked for.
LANGUAGES = ("ar", "fr", "en")


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("Awaiting review")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("Everyone")
    DESKS = "desks", _("Desk staff only")


class Article(models.Model):
    # Made once from the first title and never changed: links sent in replies stay valid.
    slug = models.SlugField(_("address"), max_length=80, unique=True)
    # The writing unit: the article reaches every unit under it (a central service's, the whole country).
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("written by"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    audience = models.CharField(
        _("audience"), max_length=16, choices=Audience.choices, default=Audience.EVERYONE
    )
    # The state of the latest version; a published article being revised stays published (`published`).
    status = models.CharField(
        _("status"), max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    published = models.ForeignKey(
        "ArticleVersion",
        verbose_name=_("published version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_at = models.DateTimeField(_("written"))
    updated_at = models.DateTimeField(_("updated"))
    # The published version's titles, and its titles and texts, as `core.text.word_document`: what search
    # matches, whole words in every language of the article.
    title_text = models.TextField(blank=True, default="", editable=False)
    search_text = models.TextField(blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("help article")
        verbose_name_plural = _("help articles")
        indexes = [models.Index(fields=["unit", "status"], name="article_unit_status")]

    def __str__(self) -> str:
        return self.slug


class VersionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValueError("Article versions are never changed: a change is a new version.")

    def delete(self):
        raise ValueError("Article versions are never deleted.")


class ArticleVersion(models.Model):
    """One state of an article's texts. Never edited, never deleted: an edit is the next version."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    title_ar = models.CharField(_("Arabic title"), max_length=200, blank=True)
    body_ar = models.TextField(_("Arabic text"), blank=True)
    title_fr = models.CharField(_("French title"), max_length=200, blank=True)
    body_fr = models.TextField(_("French text"), blank=True)
    title_en = models.CharField(_("English title"), max_length=200, blank=True)
    body_en = models.TextField(_("English text"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("written"))

    objects = VersionQuerySet.as_manager()

    class Meta:
        ordering = ["article", "number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="article_version_unique")]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Article versions are never changed: a change is a new version.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Article versions are never deleted.")

    @property
    def languages(self) -> list[str]:
        """The languages this version is written in."""
        return [language for language in LANGUAGES if getattr(self, f"title_{language}")]

    def text(self, language: str | None = None) -> tuple[str, str, str]:
        """(language, title, body) in `language` (the page's by default) if written in it, else in the first
        language it is written in."""
        written = self.languages
        wanted = (language or get_language() or "ar")[:2]
        chosen = wanted if wanted in written else (written[0] if written else wanted)
        return chosen, getattr(self, f"title_{chosen}", ""), getattr(self, f"body_{chosen}", "")

    @property
    def title(self) -> str:
        return self.text()[1]


class StepKind(models.TextChoices):
    WRITTEN = "written", _("Written")
    SUBMITTED = "submitted", _("Submitted for review")
    RETURNED = "returned", _("Returned to its writers")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class ArticleStep(models.Model):
    """One step of an article's life, with who took it and why. Appended, never changed."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="steps")
    kind = models.CharField(max_length=16, choices=StepKind.choices)
    version = models.PositiveIntegerField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.article_id} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("An article's steps are never changed.")
        super().save(*args, **kwargs)


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    API = "api", _("API")


class AvoidedRequest(models.Model):
    """A request that was not filed: its requester said a help article solved it (counted in dashboards,
    per the unit they would have filed for and the category they chose)."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="avoided")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="avoided_day")]

    def __str__(self) -> str:
        return f"{self.article_id} @ {self.unit_id}"
