from django.contrib.auth import views as auth_views
from django.urls import path, register_converter

from musanada.web.views import account, canned, inbox, incidents, knowledge, quarantine, tickets, watch


class ReferenceConverter:
    """A ticket reference such as MSN-2026-000123; anything else is not a ticket page."""

    regex = r"[A-Z]{2,8}-[0-9]{4}-[0-9]{1,12}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ReferenceConverter, "ref")

urlpatterns = [
    path("health", watch.health, name="health"),
    path("ready", watch.ready, name="ready"),
    path("metrics", watch.metrics_view, name="metrics"),
    path("status/", watch.service_status, name="service-status"),
    path("", inbox.home, name="home"),
    path("views/save/", inbox.saved_view_save, name="saved-view-save"),
    path("desk/bulk/", inbox.bulk_act, name="bulk-act"),
    path("units/pick/", inbox.unit_picker, name="unit-picker"),
    path("views/<int:pk>/remove/", inbox.saved_view_remove, name="saved-view-remove"),
    path("login/", account.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", account.PasswordChangeView.as_view(), name="password-change"),
    path("password/change/done/", account.PasswordChangeDoneView.as_view(), name="password-change-done"),
    path("password/reset/", account.PasswordResetView.as_view(), name="password-reset"),
    path("password/reset/sent/", account.PasswordResetSentView.as_view(), name="password-reset-sent"),
    path(
        "password/reset/<uidb64>/<token>/",
        account.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("password/reset/done/", account.PasswordResetCompleteView.as_view(), name="password-reset-complete"),
    path("language/", account.set_language, name="set-language"),
    path("t/new/", tickets.ticket_new, name="ticket-new"),
    path("t/<ref:reference>/", tickets.ticket_detail, name="ticket-detail"),
    path("t/<ref:reference>/do/<slug:action>/", tickets.ticket_act, name="ticket-act"),
    path("t/<ref:reference>/files/<slug:token>/", tickets.attachment_download, name="attachment-download"),
    path("incidents/", incidents.incident_list, name="incidents"),
    path("incidents/declare/", incidents.incident_declare, name="incident-declare"),
    path("incidents/<int:pk>/", incidents.incident_detail, name="incident-detail"),
    path("incidents/<int:pk>/update/", incidents.incident_update, name="incident-update"),
    path("incidents/<int:pk>/resolve/", incidents.incident_resolve, name="incident-resolve"),
    path("kb/", knowledge.articles, name="articles"),
    path("kb/write/", knowledge.article_write, name="article-write"),
    path("kb/suggest/", knowledge.article_suggest, name="article-suggest"),
    path("kb/<slug:slug>/", knowledge.article_detail, name="article-detail"),
    path("kb/<slug:slug>/edit/", knowledge.article_edit, name="article-edit"),
    path("kb/<slug:slug>/solved/", knowledge.article_solved, name="article-solved"),
    path("kb/<slug:slug>/do/<slug:action>/", knowledge.article_act, name="article-act"),
    path("mail/quarantine/", quarantine.quarantine_list, name="quarantine"),
    path("desk/replies/", canned.canned_replies, name="canned-replies"),
    path("desk/replies/<int:pk>/remove/", canned.canned_reply_remove, name="canned-reply-remove"),
    path(
        "mail/quarantine/<int:pk>/<slug:decision>/",
        quarantine.quarantine_review,
        name="quarantine-review",
    ),
]
