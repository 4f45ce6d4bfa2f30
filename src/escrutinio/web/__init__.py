"""The web pages: server-rendered HTML over the application package, served by ``escrutinio serve``.

A skin like the CLI and the API: each page asks :mod:`escrutinio.app` for its figures (the same
calls the API answers with) and renders them with Jinja2 in Spanish or English (gettext catalogs
through Babel). Pages read fully without JavaScript; a small script served by the app
(``static/live.js``) refreshes the figures when the server's event stream says the log moved.
Every script and style is served by the app itself, none from a CDN.

``web.app.install`` adds the pages to the API's FastAPI application (one line in
``api/app.py``).
"""
