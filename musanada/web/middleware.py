"""The signed-in user's stored language wins over the browser's, so that their choice follows them."""

from django.conf import settings
from django.utils import translation


class UserLanguageMiddleware:
    """Activate `user.language` for signed-in users (runs after LocaleMiddleware and authentication)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language in self.languages:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)
