from django.urls import path

from musanada.api import views
from musanada.api.main import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("account/tokens/", views.tokens, name="api-tokens"),
    path("account/tokens/<int:token_id>/revoke/", views.token_revoke, name="api-token-revoke"),
]
