"""Pages sent gzip-compressed (issue 21, "less to send"): a project list of 100 rows was 761 kB of
HTML, 533 kB of it unfold's class attributes, which compress about tenfold.

Django's GZipMiddleware, for text only. Since Django 4.2 it adds up to 100 random bytes to the
gzip header of each response, which mitigates BREACH (a secret guessed from the compressed size
of a page that reflects what the attacker sends); Django's CSRF token is also masked anew on
every page. It skips responses that already carry a Content-Encoding (whitenoise's compressed
static files, and whitenoise answers before this middleware anyway). What is not text — the
.xlsx downloads (already zip files), images — is left as it is: compressing it again costs the
worker CPU for nothing and takes away the download's Content-Length.
"""

from __future__ import annotations

from django.middleware.gzip import GZipMiddleware

#: Content types worth compressing (their start; parameters such as charset follow).
TEXT = ("text/", "application/json", "application/javascript", "image/svg+xml")


class TextGZipMiddleware(GZipMiddleware):
    def process_response(self, request, response):
        if not response.get("Content-Type", "").startswith(TEXT):
            return response
        return super().process_response(request, response)
