"""The public register: open to anyone, holding nothing private."""

import hashlib
import os
from datetime import UTC, datetime, time
from pathlib import Path

from flask import Response, abort, current_app, render_template, request
from werkzeug.wsgi import ClosingIterator, wrap_file

from ...clock import LONDON, now, today
from ...extensions import db, limiter
from ...services import pdfs, register, register_copies, reviews
from ...services.spreadsheet import with_bom
from ..forms_util import page_args, search_arg
from ..http import accepts_gzip, gzipped_already, revalidating
from ..permissions import public
from ..settings import status_settings
from . import bp
from .forms import VerifyForm


def _tier() -> int | None:
    raw = request.args.get("tier", "")
    return int(raw) if raw in ("1", "2", "3") else None


def _everything():
    """Every agreement in force that the filters select: the whole register, streamed (a
    page of the register is at most paging.MAX_PER_PAGE, which a download must not be).
    Everything taken from the request is read now: the rows are read as the response is
    sent, on a connection of their own, outside the request's context."""
    return register.every_entry(
        db.engine, today=today(), settings=status_settings(), search=search_arg(), tier=_tier()
    )


@bp.get("/calendar/<token>.ics")
@public
def review_feed(token: str):
    """An agency's review dates as iCalendar; the secret token in the address is the key."""
    agency = reviews.agency_for_token(db.session, token)
    if agency is None:
        abort(404)
    items = reviews.upcoming(db.session, agency.id, today=today(), settings=status_settings())
    return Response(
        reviews.ical(agency, items, now=now()),
        mimetype="text/calendar",
        headers={"Cache-Control": "no-store"},
    )


VERIFY_BUSY = (
    "The registry is busy checking other PDFs. Wait a few seconds, then check this one again."
)
VERIFY_BUSY_SECONDS = 5


def _verify_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(_verify_limit, methods=["POST"])
@public
def verify_pdf():
    """Anyone can check that an agreement PDF came from the registry unchanged. The check
    runs in a process of its own within time and memory limits; this worker waits for it,
    so at most VERIFY_AT_ONCE run at once on the server, and one more is refused at once
    (503, Retry-After) rather than queued behind them."""
    from ...pdf.isolated import slot  # no pyHanko: the check itself runs in a child

    form = VerifyForm()
    check = None
    headers = {}
    if form.validate_on_submit():
        data = form.pdf.data.read()
        slots = Path(current_app.instance_path) / "verify-slots"
        with slot(slots, current_app.config["VERIFY_AT_ONCE"]) as free:
            if free:
                check = pdfs.check_pdf(db.session, data, today=today(), settings=status_settings())
        if check is None:
            form.pdf.errors.append(VERIFY_BUSY)
            headers["Retry-After"] = str(VERIFY_BUSY_SECONDS)
        elif not check.checked:
            # Not a verdict on the seal: the file was refused unchecked.
            form.pdf.errors.append(check.message)
            check = None
    status = (503 if headers else 422) if form.errors else 200
    return render_template("public/verify.html", form=form, verdict=check), status, headers


@bp.get("/register")
@public
def show_register():
    search = search_arg()
    page = register.in_force(
        db.session,
        today=today(),
        settings=status_settings(),
        search=search,
        tier=_tier(),
        **page_args(),
    )
    return render_template(
        "public/register.html", page=page, items=page.items, search=search, tier=_tier()
    )


def _copies() -> Path:
    """Where this server keeps its copies of the register's files (services/register_copies)."""
    configured = current_app.config.get("REGISTER_COPIES")
    return Path(configured) if configured else Path(current_app.instance_path) / "register-copies"


def _register_download(kind: str, chunks, mimetype: str, headers: dict | None = None):
    """A register file that revalidates. What is in force changes with the day as well as
    with the data, so the validators are the newest audited change, the day and the
    filters: a cheap read, where the file itself is the whole register.

    The whole register, or one tier of it, is sent from this server's copy at this version
    when there is one, and otherwise streamed and copied as it goes (register_copies): the
    first byte at once either way, and the rows read and written once per change, not
    once per reader. A search's answer is streamed and not kept (there is no end to them)."""
    version, changed = register.last_change(db.session)
    day = today()
    search, tier = search_arg().strip(), _tier()  # " " searches for nothing, as "" does
    key = f"{kind}|{version}|{day}|{search}|{tier}|{status_settings()}"
    etag = hashlib.sha256(key.encode()).hexdigest()[:40]
    midnight = datetime.combine(day, time(), tzinfo=LONDON).astimezone(UTC)
    last_modified: datetime | None = max(changed, midnight) if changed else midnight
    name = f"{kind}-tier-{tier or 'any'}"
    copies = _copies()
    earlier = None
    # A reader who already has this version (from another server, which kept it) is told
    # so (304), not sent an older one.
    if not search and not request.if_none_match.contains_weak(etag):
        # One copy written at a time: meanwhile the newest kept, as it is (its own tag;
        # its time of change is not known here, so no Last-Modified).
        earlier = register_copies.while_writing(copies, name, etag)
        if earlier is not None:
            etag, last_modified = earlier[1], None
    packed = []

    def body():
        if search:
            return chunks()
        copy = earlier[0] if earlier else register_copies.open_copy(copies, name, etag)
        if copy is None:
            return register_copies.keeping(copies, name, etag, chunks())
        if accepts_gzip():
            packed.append(copy)
            return wrap_file(request.environ, copy, register_copies.READ_SIZE)
        # Closed when the server is done with the body, even one never read (a HEAD).
        return ClosingIterator(register_copies.unpacked(copy), copy.close)

    response = revalidating(
        body,
        etag=etag,
        last_modified=last_modified,
        mimetype=mimetype,
        headers=headers,
        cache_control="no-cache",  # public: any cache may keep it, checking each time
    )
    if earlier and response.status_code in (304, 412):
        earlier[0].close()  # the body was not wanted
    if packed:
        gzipped_already(response, os.fstat(packed[0].fileno()).st_size)
    return response


@bp.get("/register.json")
@public
def register_json():
    return _register_download(
        "json", lambda: register.json_chunks(_everything()), "application/json"
    )


@bp.get("/register.csv")
@public
def register_csv():
    return _register_download(
        "csv",
        lambda: with_bom(register.csv_lines(_everything())),
        "text/csv",
        {"Content-Disposition": "attachment; filename=register.csv"},
    )


# The seal CA's certificate and CRL, where the registry's certificates say they are
# (keys.py: AIA caIssuers and CRL distribution point): a partner fetches the trust root
# here, and a validator the revocation list. Both DER, as RFC 5280 asks over HTTP.
PKI_MAX_AGE = 3600


def _pki_file(body: bytes, mimetype: str, name: str):
    return revalidating(
        lambda: body,
        etag=hashlib.sha256(body).hexdigest()[:40],
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename={name}"},
        cache_control=f"public, max-age={PKI_MAX_AGE}",
    )


@bp.get("/pki/ca.crt")
@public
def show_ca_certificate():
    from ...pdf.trust import published_ca_der

    try:
        der = published_ca_der(current_app.config)
    except (OSError, ValueError):
        current_app.logger.exception("the seal CA certificate could not be read")
        abort(503)
    return _pki_file(der, "application/pkix-cert", "ca.crt")


@bp.get("/pki/ca.crl")
@public
def show_ca_crl():
    from ...pdf.trust import published_crl

    try:
        crl = published_crl(current_app.config)
    except OSError:
        current_app.logger.exception("the seal CA's CRL (SEAL_CRL) could not be read")
        abort(503)
    if crl is None:
        abort(404)  # production without SEAL_CRL: the CA publishes its own
    return _pki_file(crl, "application/pkix-crl", "ca.crl")
