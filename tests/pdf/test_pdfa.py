"""The agreement PDF is PDF/A-3 and tagged, and carries the version's terms as JSON-LD:
read back with pypdf (the structure, the catalog, the embedded file) and poppler."""

import io
import json
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter

import pypdf
import tinycss2
from pypdf.generic import ArrayObject, BooleanObject, DictionaryObject, IndirectObject

from registry.pdf.render import css_string, render_pdf
from registry.services import pdfs, terms

from ..factories import activate, chain, make_agency, make_draft, party

PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
DC = "{http://purl.org/dc/elements/1.1/}"


def mash_with_terms(session, app):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    _, mash = chain(session, council, police)
    version = mash.latest
    data = terms.terms_bytes(session, mash, version)
    pdf = render_pdf(
        pdfs.build(session, mash),
        static_folder=app.static_folder,
        terms=data,
        terms_modified=version.submitted_at,
    )
    return mash, data, pdf


def structure(reader) -> Counter:
    """How many structure elements of each type the structure tree holds."""
    found: Counter = Counter()
    seen = set()

    def walk(node):
        if isinstance(node, IndirectObject):
            if node.idnum in seen:
                return
            seen.add(node.idnum)
        node = node.get_object()
        if not isinstance(node, DictionaryObject):
            return  # a marked-content number
        if node.get("/Type") in ("/MCR", "/OBJR"):
            return
        if "/S" in node:
            found[node["/S"]] += 1
        kids = node.get("/K")
        for kid in kids if isinstance(kids, ArrayObject) else [kids] if kids is not None else []:
            walk(kid)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return found


def xmp(reader) -> ET.Element:
    return ET.fromstring(reader.trailer["/Root"]["/Metadata"].get_object().get_data())


def test_the_pdf_declares_pdf_a_3a_with_its_output_intent_and_embedded_fonts(app, session):
    mash, _, pdf = mash_with_terms(session, app)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    descriptions = xmp(reader).iter(f"{RDF}Description")
    identification = {
        key: value
        for description in descriptions
        for key, value in description.attrib.items()
        if key.startswith(PDFAID)
    }
    assert identification == {f"{PDFAID}part": "3", f"{PDFAID}conformance": "A"}
    [intent] = root["/OutputIntents"]
    assert intent["/S"] == "/GTS_PDFA1"
    assert "sRGB" in intent["/OutputConditionIdentifier"]
    profile = intent["/DestOutputProfile"].get_object().get_data()
    assert profile[16:20] == b"RGB " and profile[36:40] == b"acsp"  # an ICC RGB profile
    # The header and the catalog agree on the version (the catalog does not raise it).
    assert reader.pdf_header == "%PDF-1.7"
    assert root.get("/Version") in (None, "/1.7")
    # Every font is embedded (PDF/A refuses one that is not): poppler's own list.
    fonts = subprocess.run(
        ["pdffonts", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    rows = fonts.splitlines()[2:]
    assert rows and all(row.split()[-5] == "yes" for row in rows), fonts
    # The title in the metadata, as a reader's window shows it.
    title = f"{mash.reference} version 1: MASH"
    assert reader.metadata.title == title
    assert xmp(reader).find(f".//{DC}title//{RDF}li").text == title


def test_the_pdf_is_tagged_with_headings_tables_and_lists_in_british_english(app, session):
    _, _, pdf = mash_with_terms(session, app)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert root["/MarkInfo"]["/Marked"] == BooleanObject(True)
    found = structure(reader)
    assert found["/H1"] == 1
    assert found["/H2"] == 12  # sections 1 to 11 and the signature evidence
    # One signature block per party, and the Controllers and DPIA subsections (issue 19)
    assert found["/H3"] == 4
    assert found["/Table"] == 4 and found["/TH"] > 0 and found["/TD"] > 0
    assert found["/L"] >= 3 and found["/LI"] >= 3
    # No hidden text at the top of the document: the footer's words live in the margins.
    first = reader.trailer["/Root"]["/StructTreeRoot"]["/K"]
    first = (first[0] if isinstance(first, ArrayObject) else first).get_object()
    assert [k.get_object()["/S"] for k in first["/K"][:2]] == ["/P", "/H1"]


def test_the_terms_are_embedded_as_an_associated_file(app, session, tmp_path):
    mash, data, pdf = mash_with_terms(session, app)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    [spec] = [ref.get_object() for ref in root["/AF"]]  # listed once, as PDF/A-3 asks
    assert spec["/AFRelationship"] == "/Data"
    assert spec["/UF"] == "terms.jsonld"
    stream = spec["/EF"]["/F"].get_object()
    assert stream["/Subtype"] == "/application/ld+json"
    assert stream["/Params"]["/ModDate"] == "D:20260615110000Z"  # when it was submitted
    assert reader.attachments == {"terms.jsonld": [data]}
    document = json.loads(reader.attachments["terms.jsonld"][0])
    assert document["schema:sha256"] == mash.latest.content_sha256
    assert document["registry"]["content_sha256"] == mash.latest.content_sha256
    assert document["registry"]["reference"] == mash.reference
    # poppler finds it too, and saves it as it was.
    path = tmp_path / "agreement.pdf"
    path.write_bytes(pdf)
    listed = subprocess.run(["pdfdetach", "-list", str(path)], capture_output=True, check=True)
    assert b"1: terms.jsonld" in listed.stdout
    saved = tmp_path / "saved.jsonld"
    subprocess.run(["pdfdetach", "-save", "1", "-o", str(saved), str(path)], check=True)
    assert saved.read_bytes() == data


def self_signed(folder):
    """A throwaway ECDSA key and certificate for pyHanko (the registry's own seal is
    tests/pdf/test_seal.py's business; this is only the signature's incremental update)."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test seal")])
    start = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return folder / "key.pem", folder / "cert.pem"


def test_a_signature_added_by_pyhanko_keeps_the_pdf_a_declaration(app, session, tmp_path):
    """pyHanko rewrites the XMP when it signs: the declaration, the output intent and the
    attachment survive, and the information dictionary still says what the XMP says."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    _, data, pdf = mash_with_terms(session, app)
    key, cert = self_signed(tmp_path)
    signer = signers.SimpleSigner.load(str(key), str(cert))
    signed = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)),
        signers.PdfSignatureMetadata(field_name="Seal"),
        signer=signer,
    ).getvalue()
    reader = pypdf.PdfReader(io.BytesIO(signed))
    metadata = xmp(reader)
    assert metadata.find(f".//*[@{PDFAID}part]").get(f"{PDFAID}part") == "3"
    producer = metadata.find(".//*[@{http://ns.adobe.com/pdf/1.3/}Producer]").get(
        "{http://ns.adobe.com/pdf/1.3/}Producer"
    )
    assert reader.metadata.producer == producer  # one name in both
    assert "/OutputIntents" in reader.trailer["/Root"]
    assert reader.attachments == {"terms.jsonld": [data]}


def test_without_terms_nothing_is_attached(app, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    draft = make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    reader = pypdf.PdfReader(
        io.BytesIO(render_pdf(pdfs.build(session, draft), static_folder=app.static_folder))
    )
    assert "/AF" not in reader.trailer["/Root"] and not reader.attachments


def test_the_footer_words_are_one_css_string_whatever_they_hold():
    for text in (
        "ISA-2026-0001 version 1",
        '"; } @page { content: url(http://x/) } x',
        "a\\b\n’ ü",
    ):
        tokens = [
            t
            for t in tinycss2.parse_component_value_list(css_string(text))
            if t.type != "whitespace"
        ]
        assert [(t.type, t.value) for t in tokens] == [("string", text)]


def test_an_activated_version_renders_the_same_pages_as_before(app, session):
    """The footer moved from hidden body text to the margin boxes: every page still says
    which agreement, version and review date it belongs to."""
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    )
    pdf = render_pdf(pdfs.build(session, protocol), static_folder=app.static_folder)
    pages = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    for number, page in enumerate(pages, start=1):
        assert f"{protocol.reference} version 1" in page
        assert "Review date: 16 May 2027" in page
        assert f"Page {number} of {len(pages)}" in page
