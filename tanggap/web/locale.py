"""Bahasa Indonesia is the desk's language unless the reader picked English.

Pages ignore the browser's Accept-Language (a city's phones and PCs are often set to English, and
the desk should still speak Indonesian); only the language switch (a cookie) changes it. The REST
API honours Accept-Language, so scripts can ask for English error messages.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class DeskLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request):
        if request.path.startswith("/api/"):
            return super().process_request(request)
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
