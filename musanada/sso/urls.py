from django.urls import path

from musanada.sso import views

urlpatterns = [
    path("login/", views.sign_in, name="sso-login"),
    path("callback/", views.callback, name="sso-callback"),
    path("logout/", views.sign_out, name="sso-logout"),
]
