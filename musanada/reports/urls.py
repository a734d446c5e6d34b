from django.urls import path, re_path

from musanada.reports import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("unit/<str:code>/", views.dashboard, name="dashboard-unit"),
    re_path(
        r"^unit/(?P<code>[^/]+)/export\.(?P<fmt>csv|xlsx)$", views.dashboard_export, name="dashboard-export"
    ),
    re_path(r"^tickets\.(?P<fmt>csv|xlsx)$", views.tickets_export, name="tickets-export"),
]
