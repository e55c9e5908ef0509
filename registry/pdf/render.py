"""Render an agreement's values to PDF with WeasyPrint, fetching nothing from outside.

Plain values in, bytes out: the template is rendered by a Jinja environment of its own
(no Flask app needed), set up as the app's is for its HTML pages."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from jinja2 import ChainableUndefined, Environment, FileSystemLoader
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

TEMPLATE_DIR = Path(__file__).resolve().parent.parent.parent / "templates" / "pdf"

# As the app's environment (registry/__init__.py) treats an .html template: autoescaped,
# the same undefined and whitespace rules. The template uses no Flask globals or filters.
_templates = Environment(
    loader=FileSystemLoader(str(TEMPLATE_DIR)),
    autoescape=True,
    undefined=ChainableUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


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


def render_html(context: Mapping[str, Any]) -> str:
    """The agreement's HTML for `context` (see services/pdfs.py, `build`), every value
    escaped."""
    return _templates.get_template("agreement.html").render(**context)


def render_pdf(context: Mapping[str, Any], *, static_folder: str) -> bytes:
    """The agreement PDF for `context`. Nothing is fetched but files under
    `static_folder` (the app's static folder). The stylesheet is passed to WeasyPrint
    directly, never through an autoescaped template."""
    fetcher = LockedFetcher(static_folder)
    stylesheet = CSS(
        string=(TEMPLATE_DIR / "agreement.css").read_text(encoding="utf-8"), url_fetcher=fetcher
    )
    return HTML(
        string=render_html(context),
        base_url=Path(static_folder).as_uri() + "/",
        url_fetcher=fetcher,
    ).write_pdf(stylesheets=[stylesheet])
