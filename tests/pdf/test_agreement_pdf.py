"""Agreement PDFs, read back as text (pypdf): sections, footer, DRAFT, nothing fetched."""

import io
import socket
import threading

import flask
import pypdf

from registry.pdf.render import render_html, render_pdf
from registry.services import pdfs, vocabularies

from ..factories import ADMIN, FIXED_NOW, activate, make_agency, make_draft, make_user, party


def text_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def test_an_active_agreement_has_every_section_and_the_footer_on_every_page(client, session):
    council = make_agency(session, name="Council")
    police = make_agency(session, name="Police", kind="police")
    protocol = activate(
        session,
        make_draft(
            session,
            tier=1,
            owner=council,
            parties=[party(council), party(police)],
            title="Northshire Protocol",
            retention="Six years",
        ),
    )
    client.sign_in(make_user(session, agency=council))
    response = client.get(f"/agreements/{protocol.id}/pdf")
    assert response.mimetype == "application/pdf"
    pages = text_of(response.data)
    whole = "\n".join(pages)
    for heading in (
        "1. Parties",
        "2. Purposes",
        "3. Data categories",
        "4. Data subjects",
        "5. Lawful bases",
        "6. Retention",
        "7. Security",
        "8. Subject rights and complaints",
        "9. Review and termination",
        "10. Amendment history",
        "11. Signatures",
        "Signature evidence",
    ):
        assert heading in whole, heading
    assert "Signed by Signer for Police, Director" in whole
    assert protocol.latest.content_sha256 in whole.replace("\n", "")
    for number, page in enumerate(pages, start=1):
        assert f"{protocol.reference} version 1" in page
        assert "Review date: 16 May 2027" in page
        assert f"Page {number} of {len(pages)}" in page
    assert "DRAFT" not in whole


def test_a_version_not_signed_by_every_party_says_draft(client, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    draft = make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    client.sign_in(make_user(session, agency=council))
    whole = "\n".join(text_of(client.get(f"/agreements/{draft.id}/pdf").data))
    assert "DRAFT" in whole and "Not yet signed." in whole
    assert client.get(f"/agreements/{draft.id}/pdf?version=9").status_code == 404


def test_the_html_is_what_the_app_would_render(app, session):
    """registry/pdf renders the template with a Jinja environment of its own: for the same
    values it makes what the app's environment (its globals, filters, settings) makes."""
    council, police = make_agency(session, name="Council & Co"), make_agency(session, name="Police")
    signed = activate(
        session,
        make_draft(
            session,
            tier=1,
            owner=council,
            parties=[party(council), party(police)],
            title="Protocol <b>one</b> & more",
            retention="Six years",
        ),
    )
    draft = make_draft(session, tier=1, owner=police, parties=[party(council), party(police)])
    for agreement in (signed, draft):
        context = pdfs.build(session, agreement)
        with app.test_request_context():
            in_the_app = flask.render_template("pdf/agreement.html", **context)
        assert render_html(context) == in_the_app, agreement.reference
    assert "Protocol &lt;b&gt;one&lt;/b&gt; &amp; more" in render_html(pdfs.build(session, signed))


def test_the_renderer_fetches_nothing_and_shows_the_text_literally(app, session):
    listener = Listener()
    port = listener.port
    hostile = (
        f'<img src="http://127.0.0.1:{port}/x"> <a href="file:///etc/hostname" '
        f'rel="attachment">f</a> <link rel="stylesheet" href="http://127.0.0.1:{port}/s">'
    )
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    # A purpose whose label (an administrator's words) holds the markup too.
    vocabularies.save_entry(
        session,
        ADMIN,
        "purposes",
        code="hostile_purpose",
        label="Purpose " + hostile[:250],
        now=FIXED_NOW,
    )
    agreement = make_draft(
        session,
        tier=1,
        owner=council,
        parties=[party(council), party(police)],
        title="Hostile " + hostile[:150],
        data_subjects=hostile,
        purposes=["hostile_purpose"],
        security=f"<style>@import url(http://127.0.0.1:{port}/i);</style>",
    )
    rendered = threading.Event()

    def watch():
        while not rendered.is_set():
            listener.drain(1)
        listener.drain(2)  # and any connection still waiting to be accepted

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        pdf = render_pdf(pdfs.build(session, agreement), static_folder=app.static_folder)
    finally:
        rendered.set()
        watcher.join(timeout=10)
        listener.sock.close()
    assert not watcher.is_alive()
    assert listener.hits == 0
    whole = "\n".join(text_of(pdf)).replace("\n", " ")
    assert f"http://127.0.0.1:{port}/x" in whole  # shown as text, not fetched
    assert "Purpose <img" in whole and "file:///etc/hostname" in whole
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert "/EmbeddedFiles" not in str(reader.trailer["/Root"].get("/Names", {}))
    assert not any(_images(page) for page in reader.pages)


def _images(node, seen=None) -> bool:
    """Whether any XObject under this page (or inside its forms) is an image."""
    seen = seen if seen is not None else set()
    resources = node.get("/Resources") or {}
    for ref in (resources.get("/XObject") or {}).values():
        obj = ref.get_object()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if obj.get("/Subtype") == "/Image" or _images(obj, seen):
            return True
    return False


class Listener:
    """A loopback socket that counts the connections made to it, for a bounded time."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.hits = 0

    def drain(self, rounds=10):
        for _ in range(rounds):
            try:
                conn, _ = self.sock.accept()
                self.hits += 1
                conn.close()
            except OSError:
                continue
        return self.hits


def test_the_locked_fetcher_refuses_what_the_default_fetcher_would_fetch(app, tmp_path):
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    from registry.pdf.render import LockedFetcher

    listener = Listener()
    html = (
        f'<img src="http://127.0.0.1:{listener.port}/x">'
        f'<link rel="stylesheet" href="http://127.0.0.1:{listener.port}/s">'
    )
    fetcher = LockedFetcher(app.static_folder)
    locked = threading.Thread(target=HTML(string=html, url_fetcher=fetcher).write_pdf, daemon=True)
    # The same document with WeasyPrint's own fetcher does reach out: the test can fail.
    opened = threading.Thread(
        target=HTML(string=html, url_fetcher=URLFetcher(timeout=1)).write_pdf, daemon=True
    )
    try:
        locked.start()
        locked.join(timeout=30)  # then whatever it connected to waits to be accepted
        assert listener.drain() == 0
        opened.start()
        assert listener.drain(30) >= 1
    finally:
        listener.sock.close()  # refuses what is still to come, so the renders end
        for thread in (locked, opened):
            if thread.ident is not None:  # started
                thread.join(timeout=30)
    assert not locked.is_alive() and not opened.is_alive()
    for url in (
        "file:///etc/hostname",
        f"http://127.0.0.1:{listener.port}/",
        "data:text/plain,hi",
        "file:///" + app.static_folder + "/../../pyproject.toml",
    ):
        try:
            fetcher.fetch(url)
            raise AssertionError(f"fetched {url}")
        except ValueError:
            pass
    allowed = fetcher.fetch("file://" + app.static_folder + "/registry.css")
    assert b".registry-" in allowed.read()  # the app's own static files are allowed
    allowed.close()


def test_the_amendment_history_and_evidence_read_as_people_read_them(client, session):
    """Issue 15: 'In force from' showed the activation time for a version taking effect
    later, 'Parties: added 12' showed an id, the hash wrapped over three lines, and
    nothing said who sealed the document."""
    from datetime import date

    from registry.services import agreement_lifecycle, agreements

    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    school = make_agency(session, name="St Aidan's School")
    protocol = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    )
    agreement_lifecycle.amend(session, ADMIN, protocol.id, now=FIXED_NOW)
    agreements.update_draft(
        session,
        ADMIN,
        protocol.id,
        {
            "parties": [party(council), party(police, receive=False), party(school)],
            "effective_from": date(2027, 1, 5),
            "review_date": date(2028, 1, 5),
        },
        now=FIXED_NOW,
    )
    activate(session, protocol)
    client.sign_in(make_user(session, agency=council))
    pages = text_of(client.get(f"/agreements/{protocol.id}/pdf").data)
    whole = " ".join(" ".join(pages).split())
    assert "Parties: added St Aidan's School" in whole
    assert "Police: may disclose and receive, now may disclose only" in whole
    # Version 2 takes effect on 5 January 2027; it was signed by all on 15 June 2026.
    assert "5 January 2027 signed by all 15 June 2026 at 12:00" in whole
    assert "sealed by the Northshire Safeguarding Partnership agreement registry" in whole
    evidence = pages[-1]
    fingerprint = protocol.latest.content_sha256
    lines = [line for line in evidence.splitlines() if fingerprint in line]
    assert len(lines) == 4  # the version's, and each of the 3 signers', each on one line
