"""Dashboards and exports: parse the period and filters, ask the selectors (which ask the policy), render."""

from datetime import date, timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats
from django.utils.http import urlencode
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext_lazy as _

from musanada.core.errors import InvalidInput, NotFound
from musanada.core.replica import replica_reads
from musanada.org.models import Category
from musanada.reports import charts, exports, selectors
from musanada.reports.services import local_today
from musanada.tickets import policy
from musanada.tickets import selectors as ticket_selectors
from musanada.web.forms import InboxFilterForm, ModelChoiceField

MAX_DAYS = 400
# Dates outside these bounds answer no question and overflow date arithmetic: refused with a 400.
EARLIEST = date(2000, 1, 1)
LATEST_AHEAD = timedelta(days=366)


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    category = ModelChoiceField(
        label=_("Information system"),
        required=False,
        queryset=Category.objects.filter(parent__isnull=True, is_active=True),
        to_field_name="code",
        empty_label=_("All"),
    )

    def clean(self):
        data = super().clean()
        today = local_today()
        for name in ("start", "end"):
            value = data.get(name)
            if value is not None and not EARLIEST <= value <= today + LATEST_AHEAD:
                self.add_error(
                    name,
                    _("Give a date between %(earliest)s and %(latest)s.")
                    % {
                        "earliest": formats.date_format(EARLIEST, "SHORT_DATE_FORMAT"),
                        "latest": formats.date_format(today + LATEST_AHEAD, "SHORT_DATE_FORMAT"),
                    },
                )
                return data
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=29)
        if start > end:
            raise forms.ValidationError(_("The start of the period must come before its end."))
        if (end - start).days > MAX_DAYS:
            raise forms.ValidationError(
                _("A period is at most %(days)s days long."), params={"days": MAX_DAYS}
            )
        data["start"], data["end"] = start, end
        return data

    @property
    def refused(self) -> bool:
        """Whether parameters were given and some are not valid (the page and exports answer 400)."""
        return self.is_bound and not self.is_valid()

    def period(self) -> selectors.Period:
        if self.is_bound and self.is_valid():
            data = self.cleaned_data
            return selectors.Period(data["start"], data["end"], data.get("category"))
        return selectors.Period.default()


def _unit_or_404(user, code):
    try:
        return selectors.dashboard_unit(user, code)
    except NotFound as error:
        raise Http404(str(error)) from None


def _board(request, code):
    unit, roots = _unit_or_404(request.user, code)
    form = PeriodForm(request.GET or None)
    return selectors.dashboard(request.user, unit, form.period()), roots, form


def _hours(seconds):
    return None if seconds is None else seconds / 3600


@login_required
@replica_reads
def dashboard(request, code=""):
    board, roots, form = _board(request, code)
    rtl = get_language_bidi()
    sort = request.GET.get("sort", "filed")
    key = sort.lstrip("-")
    # Figures sort largest first, names in order; a leading "-" reverses either.
    descending = (key != "name") != sort.startswith("-")
    board.children = selectors.sort_children(board.children, key, descending)
    params = {name: request.GET[name] for name in ("start", "end", "category") if request.GET.get(name)}
    query = urlencode(params)
    reach = policy.reach(request.user)
    drillable = [root.path for root in roots]
    children = [
        (row, reverse("dashboard-unit", args=[row.unit.code]) + ("?" + query if query else ""))
        if any(row.unit.path.startswith(path) for path in drillable)
        else (row, None)
        for row in board.children
    ]
    sort_links = {
        name: "?" + urlencode({**params, "sort": name if sort != name else "-" + name})
        for name in selectors.CHILD_SORTS
    }
    labels = [day.strftime("%d/%m") for day, _f, _r in board.per_day]
    context = {
        "board": board,
        "form": form,
        "roots": roots,
        "children": children,
        "sort_links": sort_links,
        "sort": sort,
        "query": query,
        "may_export_tickets": bool(reach.desk_ids or reach.subtree_paths),
        "daily_chart": charts.line_chart(
            str(_("Filed and resolved per day")),
            labels,
            [
                (str(_("Filed")), [f for _d, f, _r in board.per_day]),
                (str(_("Resolved")), [r for _d, _f, r in board.per_day]),
            ],
            rtl=rtl,
        ),
        "weekly_chart": charts.bar_chart(
            str(_("Filed per week")),
            [(day.strftime("%d/%m"), filed) for day, filed, _r in board.per_week],
            rtl=rtl,
        ),
        "share_chart": charts.bar_chart(
            str(_("Share resolved at each level (%)")),
            [(str(f.label), round(100 * (f.share or 0), 1)) for f in board.levels],
            rtl=rtl,
        ),
        "systems_chart": charts.bar_chart(
            str(_("Top information systems")), [(c.name, n) for c, n in board.systems], rtl=rtl
        ),
        "levels": [
            (
                f,
                _hours(f.first_response_p50),
                _hours(f.first_response_p90),
                _hours(f.resolution_p50),
                _hours(f.resolution_p90),
            )
            for f in board.levels
        ],
        "journey": (
            _hours(board.first_response_p50),
            _hours(board.first_response_p90),
            _hours(board.resolution_p50),
            _hours(board.resolution_p90),
        ),
    }
    # A period that is not valid shows the default one, with the form saying what was wrong.
    return render(request, "reports/dashboard.html", context, status=400 if form.refused else 200)


def _bad_request(form) -> HttpResponseBadRequest:
    """An export asked with parameters that are not valid: what is wrong, in plain text."""
    lines = [str(error) for errors in form.errors.values() for error in errors]
    return HttpResponseBadRequest("\n".join(lines), content_type="text/plain; charset=utf-8")


@login_required
@replica_reads
def dashboard_export(request, code, fmt):
    board, _roots, form = _board(request, code)
    if form.refused:
        return _bad_request(form)
    tables = exports.dashboard_tables(board)
    name = f"dashboard-{board.unit.code}-{board.period.start}-{board.period.end}"
    if fmt == "xlsx":
        return exports.xlsx_response(name, tables)

    def rows():
        for number, (title, header, body) in enumerate(tables):
            if number:
                yield []
            yield [title]
            yield header
            yield from body

    header = [str(board.unit.code), str(board.unit.name)]
    return exports.csv_response(name, header, rows(), exports.csv_delimiter(request))


@login_required
@replica_reads
def tickets_export(request, fmt):
    """The ticket list with the inbox's tab and filters, as the user may list it."""
    user = request.user
    form = InboxFilterForm(request.GET or None, user=user)
    # The inbox shows a list without a filter it cannot read, and says so; an export of another list than
    # the one asked for would mislead, so it is refused.
    if form.is_bound and not form.is_valid() and any(name != "after" for name in form.errors):
        return _bad_request(form)
    try:
        unit = ticket_selectors.origin_unit(user, form.value_of("unit", ""))
    except InvalidInput as error:
        raise Http404(str(error)) from None
    # The same list as the inbox's chosen tab and filters, through the same query object.
    tab, _known = ticket_selectors.chosen_tab(user, form.value_of("tab"))
    queryset = form.criteria(tab=tab, unit=unit).tickets(user)
    name = f"tickets-{local_today()}"
    header = exports.ticket_header()
    if fmt == "xlsx":
        sheet = (str(_("Tickets")), header, exports.ticket_rows(queryset), exports.TICKET_WIDTHS)
        return exports.xlsx_response(name, [sheet])
    return exports.csv_response(name, header, exports.ticket_rows(queryset), exports.csv_delimiter(request))
