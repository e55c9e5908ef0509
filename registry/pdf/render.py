"""Render an agreement's context to PDF with WeasyPrint, fetching nothing from outside."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from flask import current_app, render_template
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

TEMPLATE_DIR = Path(__file__).resolve().parent.parent.parent / "templates" / "pdf"


class LockedFetcher(URLFetcher):
    """Refuses every URL but a file inside the app's own static folder: an agreement's
    text can never make the renderer read local files or reach the network."""

    def __init__(self, static_folder: str) -> None:
        super().__init__(allowed_protocols={"file"}, allow_redirects=False)
        self.root = Path(static_folder).resolve()

    def fetch(self, url: str, headers=None):
        parsed = urlparse(url)
        if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
            raise ValueError(f"not fetched: {url[:80]}")
        path = Path(unquote(parsed.path)).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise ValueError(f"not fetched: {url[:80]}")
        return super().fetch(url, headers)


def render_pdf(context: dict[str, Any]) -> bytes:
    """The agreement PDF for `context` (see pdf/context.py). The stylesheet is passed to
    WeasyPrint directly, never through an autoescaped template."""
    html = render_template("pdf/agreement.html", **context)
    static = current_app.static_folder or str(TEMPLATE_DIR)
    fetcher = LockedFetcher(static)
    stylesheet = CSS(
        string=(TEMPLATE_DIR / "agreement.css").read_text(encoding="utf-8"), url_fetcher=fetcher
    )
    return HTML(string=html, base_url=Path(static).as_uri() + "/", url_fetcher=fetcher).write_pdf(
        stylesheets=[stylesheet]
    )
