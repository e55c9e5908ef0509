"""Render an agreement's values to PDF with WeasyPrint, fetching nothing from outside.

Plain values in, bytes out: the template is rendered by a Jinja environment of its own
(no Flask app needed), set up as the app's is for its HTML pages.

The PDF is PDF/A-3a: archival (every font embedded, an sRGB output intent, XMP metadata
declaring part 3) and tagged (a structure tree of headings, tables and lists, the
document's language and title), so it stays readable for the decade an agreement is
kept, by a screen reader too. PDF/A-3 is the part that allows an embedded file: the
agreement's terms as JSON-LD (services/terms.py) travel inside it."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from jinja2 import ChainableUndefined, Environment, FileSystemLoader
from weasyprint import CSS, HTML, Attachment
from weasyprint.css import ColorProfile
from weasyprint.urls import URLFetcher

TEMPLATE_DIR = Path(__file__).resolve().parent.parent.parent / "templates" / "pdf"

# Level A of PDF/A-3 rather than U plus tags: WeasyPrint tags the same structure either
# way, but only level A says so in the XMP (pdfaid:conformance A), which is what an
# archive's validator and a reader's accessibility check look for.
VARIANT = "pdf/a-3a"
TERMS_NAME = "terms.jsonld"
TERMS_DESCRIPTION = (
    "The agreement's terms as data: parties and their direction, purposes, data categories, "
    "data subjects and lawful bases, in W3C DPV and ODRL terms (JSON-LD)"
)
# /Data: the file holds the data the pages' tables and lists are drawn from. Not /Source
# (the document was not rendered from this file) nor /Alternative (it does not carry the
# whole agreement: no prose, signatures or amendment history).
TERMS_RELATIONSHIP = "Data"
# The output intent PDF/A needs: the sRGB profile WeasyPrint ships, read here and handed
# in. (Asked for by its own name, "srgb", WeasyPrint 70 opens the file and never closes
# it: a ResourceWarning on every render.)
OUTPUT_INTENT = "registry-srgb"


@cache
def _srgb() -> bytes:
    return (files("weasyprint.pdf") / "sRGB2014.icc").read_bytes()


def _color_profiles() -> dict[str, ColorProfile]:
    """A fresh profile for each render: WeasyPrint writes the PDF object's number into it."""
    profile = ColorProfile(
        io.BytesIO(_srgb()), "sRGB2014.icc", "relative-colorimetric", (["r"], ["g"], ["b"])
    )
    return {OUTPUT_INTENT: profile}


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


def css_string(text: str) -> str:
    """`text` as a quoted CSS string that can only ever be that text: every character but
    a letter or digit written as a six-digit escape (the space after each escape ends it,
    and is part of it)."""
    return (
        '"' + "".join(c if c.isascii() and c.isalnum() else f"\\{ord(c):06x} " for c in text) + '"'
    )


def footer_css(context: Mapping[str, Any]) -> str:
    """The page footer's words for this agreement. Written into the page's margin boxes
    rather than carried by hidden elements of the body (string-set), which a screen
    reader would read out at the top of the first page."""
    reference = f"{context['reference']} version {context['version']}"
    review = f"Review date: {context['review_date']}"
    return (
        f"@page {{ @bottom-left {{ content: {css_string(reference)}; }}"
        f" @bottom-center {{ content: {css_string(review)}; }} }}"
    )


def _terms_attachment(terms: bytes, modified: datetime | None) -> Attachment:
    when = {}
    if modified is not None:
        utc = modified.astimezone(UTC).replace(tzinfo=None)  # WeasyPrint writes it as Z
        when = {"created": utc, "modified": utc}
    return Attachment(
        file_obj=io.BytesIO(terms),
        name=TERMS_NAME,
        description=TERMS_DESCRIPTION,
        relationship=TERMS_RELATIONSHIP,
        **when,
    )


def _finish(document, pdf) -> None:
    """Two corrections to WeasyPrint 70's PDF/A.

    It lists an attachment in the catalog's /AF twice (once from the embedded files' name
    tree, once from the file specification itself): once is right.

    PDF/A wants the document information dictionary to say what the XMP says. When the
    seal is added, pyHanko writes its own name as the XMP's producer but appends it to
    the dictionary's ("WeasyPrint 70.0; pyHanko 0.38.0"), and the two then disagree. The
    dictionary's producer is optional: without one, pyHanko writes the same name in both."""
    listed = pdf.catalog.get("AF")
    if listed:
        unique = list(dict.fromkeys(listed))
        listed.clear()
        listed.extend(unique)
    pdf.info.pop("Producer", None)


def render_pdf(
    context: Mapping[str, Any],
    *,
    static_folder: str,
    terms: bytes | None = None,
    terms_modified: datetime | None = None,
) -> bytes:
    """The agreement PDF for `context`, PDF/A-3a. Nothing is fetched but files under
    `static_folder` (the app's static folder). The stylesheets are passed to WeasyPrint
    directly, never through an autoescaped template.

    `terms` (services/terms.py, `terms_bytes`) is embedded as the associated file
    terms.jsonld; `terms_modified` is the date its file entry gives (the moment the
    version's content was fixed), by default the time of rendering."""
    fetcher = LockedFetcher(static_folder)
    stylesheets = [
        CSS(
            string=(TEMPLATE_DIR / "agreement.css").read_text(encoding="utf-8"),
            url_fetcher=fetcher,
        ),
        CSS(string=footer_css(context), url_fetcher=fetcher),
    ]
    attachments = [] if terms is None else [_terms_attachment(terms, terms_modified)]
    return HTML(
        string=render_html(context),
        base_url=Path(static_folder).as_uri() + "/",
        url_fetcher=fetcher,
    ).write_pdf(
        stylesheets=stylesheets,
        pdf_variant=VARIANT,
        color_profiles=_color_profiles(),
        output_intent=OUTPUT_INTENT,
        attachments=attachments,
        finisher=_finish,
    )
