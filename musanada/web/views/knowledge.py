"""The help articles' pages: browse and read them, write and review them, the suggestions beside a request
being written, and "this solved it". The policy decides who reads and who writes; the knowledge services
and selectors do the rest (docs/knowledge.md)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from musanada.core.errors import DomainError, NotFound
from musanada.knowledge import selectors, services
from musanada.knowledge.models import ArticleStatus
from musanada.org.models import Category
from musanada.tickets import policy
from musanada.web.forms import ArticleForm, ArticleNoteForm
from musanada.web.views.tickets import _show_domain_error


def _category(code: str) -> Category | None:
    return Category.objects.filter(code=code, is_active=True).first() if code else None


def _category_groups() -> list:
    """The active categories by information system, as (system, [(code, name)…]) for a filter by code."""
    categories = list(Category.objects.filter(is_active=True).select_related("parent").order_by("code"))
    groups: dict = {}
    for category in categories:
        system = category.parent or category
        groups.setdefault(system, [])
    for category in categories:
        groups[category.parent or category].append((category.code, category.name))
    return [(system.name, options) for system, options in groups.items()]


@login_required
@require_GET
def articles(request):
    user = request.user
    query = request.GET.get("q", "")[:200]
    category = _category(request.GET.get("category", ""))
    status = request.GET.get("status", "")
    status = status if status in ArticleStatus.values else ""
    writes = policy.writes_articles(user)
    context = {
        "query": query,
        "category": category,
        "categories": _category_groups(),
        "found": selectors.article_search(user, query, category),
        "writes": writes,
        "status": status,
        "statuses": ArticleStatus.choices,
        "workspace": _with_latest(selectors.workspace(user, status)[:50]) if writes else [],
    }
    return render(request, "web/kb_list.html", context)


def _with_latest(articles) -> list:
    """(article, its latest version) for a list of articles: two queries."""
    rows = list(articles.prefetch_related("versions"))
    return [(article, max(article.versions.all(), key=lambda version: version.number)) for article in rows]


def _article_or_404(user, slug):
    try:
        return selectors.article_get_for(user, slug)
    except NotFound:
        raise Http404(_("No such article.")) from None


ACTION_LABELS = {
    "submit": _("Submit for review"),
    "publish": _("Publish"),
    "return": _("Return to its writers"),
    "archive": _("Archive"),
}
# The actions whose form takes a note: required to return an article, optional to archive it.
NOTED = ("return", "archive")


def _offered(user, article) -> list[dict]:
    return [
        {"name": name, "label": ACTION_LABELS[name], "noted": name in NOTED}
        for name in services.steps_offered(user, article)
    ]


@login_required
@require_GET
def article_detail(request, slug):
    user = request.user
    article = _article_or_404(user, slug)
    worked = policy.article_workspace(user).filter(pk=article.pk).exists()
    version = article.published
    if worked:
        # The writers read the version they work on; readers, the published one.
        version = services.latest_version(article)
    language, title, body = version.text(request.GET.get("lang") or None)
    context = {
        "article": article,
        "version": version,
        "language": language,
        "title": title,
        "body": body,
        "worked": worked,
        "actions": _offered(user, article),
        "note_form": ArticleNoteForm(),
        "steps": article.steps.select_related("actor") if worked else [],
        "versions": article.versions.order_by("-number") if worked else [],
    }
    return render(request, "web/kb_article.html", context)


def _form_page(request, form, article, error, status):
    return render(
        request, "web/kb_form.html", {"form": form, "article": article, "error": error}, status=status
    )


@login_required
def article_write(request):
    user = request.user
    if not policy.writes_articles(user):
        raise Http404
    form = ArticleForm(request.POST or None, user=user)
    error = None
    if request.method == "POST" and form.is_valid():
        data = {key: value for key, value in form.cleaned_data.items() if key != "version"}
        try:
            article = services.article_write(user, **data)
        except DomainError as refused:
            error = _show_domain_error(form, refused)
        else:
            messages.success(request, _("The article is saved as a draft."))
            return redirect("article-detail", slug=article.slug)
    return _form_page(request, form, None, error, 400 if request.method == "POST" else 200)


@login_required
def article_edit(request, slug):
    user = request.user
    article = policy.article_workspace(user).filter(slug=slug).select_related("unit").first()
    if article is None:
        raise Http404(_("No such article."))
    latest = services.latest_version(article)
    initial = {
        "category": article.category_id,
        "audience": article.audience,
        "version": latest.number,
        **{
            field: getattr(latest, field)
            for field in ArticleForm.base_fields
            if field.startswith(("title_", "body_"))
        },
    }
    form = ArticleForm(request.POST or None, user=user, article=article, initial=initial)
    error = None
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["version"] = data.get("version") or 0
        try:
            services.article_revise(user, slug, **data)
        except DomainError as refused:
            error = _show_domain_error(form, refused)
        else:
            messages.success(request, _("The new version is saved as a draft."))
            return redirect("article-detail", slug=slug)
    return _form_page(request, form, article, error, 400 if request.method == "POST" else 200)


STEPS = {
    "submit": lambda user, slug, note: services.article_submit(user, slug),
    "publish": lambda user, slug, note: services.article_publish(user, slug),
    "return": services.article_return,
    "archive": services.article_archive,
}
DONE = {
    "submit": _("The article is submitted for review."),
    "publish": _("The article is published."),
    "return": _("The article is returned to its writers."),
    "archive": _("The article is archived."),
}


@login_required
@require_POST
def article_act(request, slug, action):
    step = STEPS.get(action)
    if step is None:
        raise Http404
    form = ArticleNoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        step(request.user, slug, note)
    except NotFound:
        raise Http404(_("No such article.")) from None
    except DomainError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, DONE[action])
    return redirect("article-detail", slug=slug)


@login_required
@require_GET
def article_suggest(request):
    """The suggestions beside a request being written (htmx asks as the person types)."""
    user = request.user
    text = " ".join(request.GET.get(name, "")[:2000] for name in ("subject", "description"))
    category = Category.objects.filter(pk=request.GET.get("category") or None, is_active=True).first()
    found = selectors.article_suggestions(user, text, category)
    return render(request, "web/_kb_suggestions.html", {"suggestions": found})


@login_required
@require_POST
def article_solved(request, slug):
    """ "This solved it", from the new-request page: nothing is filed, and the article is counted."""
    user = request.user
    units = policy.filing_units(user)
    if request.POST.get("unit"):
        unit = units.filter(pk=request.POST["unit"]).first()  # None (refused) when it is not theirs
    else:
        # The form names no unit when the user belongs to one only.
        only = list(units[:2])
        unit = only[0] if len(only) == 1 else None
    category = Category.objects.filter(pk=request.POST.get("category") or None).first()
    try:
        services.article_solved(user, slug, unit=unit, category=category)
    except NotFound:
        raise Http404(_("No such article.")) from None
    except DomainError as refused:
        messages.error(request, str(refused))
        return redirect("ticket-new")
    messages.success(request, _("Glad the article answered your question. No request was filed."))
    return redirect("home")
