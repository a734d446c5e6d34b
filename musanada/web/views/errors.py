"""A form sent without a valid CSRF token (a page left open past the session, a second tab): the product's
own page, in the user's language, with a way back, instead of Django's technical one. The other error
pages are the templates 400.html, 403.html, 404.html and 500.html, which Django's handlers render."""

from django.shortcuts import render


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: 403, nothing recorded, and what to do."""
    return render(request, "403_csrf.html", status=403)
