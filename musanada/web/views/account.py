"""The signed-in person's own settings."""

from django.conf import settings
from django.views import i18n
from django.views.decorators.http import require_POST

# Language --------------------------------------------------------------------------------------------


@require_POST
def set_language(request):
    """Django's set_language, and the choice kept on the account so that it follows the user."""
    response = i18n.set_language(request)
    language = request.POST.get("language")
    user = request.user
    if user.is_authenticated and language in dict(settings.LANGUAGES) and language != user.language:
        user.language = language
        user.save(update_fields=["language"])
    return response
