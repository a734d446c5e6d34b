from django.contrib import admin
from django.urls import include, path

from musanada.web.auth import StaffSignInForm

# The admin's sign-in faces the same lockout, and says so in the same words.
admin.site.login_form = StaffSignInForm

urlpatterns = [
    path("admin/", admin.site.urls),
    path("notifications/", include("musanada.notifications.urls")),
    path("sso/", include("musanada.sso.urls")),
    path("reports/", include("musanada.reports.urls")),
    path("", include("musanada.api.urls")),
    path("", include("musanada.web.urls")),
]
