"""Hostile PDFs. First, one for the verification's limits: a small file whose form fields
all sit in one compressed object stream, which makes reading its signature fields cost
time that grows with the square of the number of fields (issue 16: 2,000 fields held a
worker 17.5 s).

Written object by object here (no PDF library), so the shape is exactly what the attack
used: a catalog whose /AcroForm names every field, one page whose /Annots lists them as
widgets, the fields themselves packed into an /ObjStm, and a cross-reference stream.

Then a genuine sealed PDF tampered with where pyHanko takes the file's word (issue 16's
retest: a /ByteRange of fractions, references, strings or 20-digit numbers, and a page
tree 15,000 deep added after the seal, each made pyHanko raise)."""

from __future__ import annotations

import re
import zlib


def _xref_row(kind: int, field2: int, field3: int) -> bytes:
    return bytes([kind]) + field2.to_bytes(4, "big") + field3.to_bytes(2, "big")


def _compressed(data: bytes, padding_mb: int) -> bytes:
    """`data` and then `padding_mb` megabytes of spaces, deflated (about 1,000 to 1)."""
    packer = zlib.compressobj(9)
    out = [packer.compress(data)]
    spaces = b" " * (1024 * 1024)
    out += [packer.compress(spaces) for _ in range(padding_mb)]
    out.append(packer.flush())
    return b"".join(out)


def hostile_pdf(fields: int = 2000, *, padding_mb: int = 0) -> bytes:
    """A PDF of `fields` text fields (widgets on page one), all in one object stream;
    with `padding_mb`, the stream unpacks to that many more megabytes of spaces (a
    decompression bomb: a small file that takes a great deal of memory to read)."""
    first = 5  # objects 1-4: catalog, pages, page, the object stream
    numbers = list(range(first, first + fields))
    refs = b" ".join(b"%d 0 R" % n for n in numbers)
    bodies = [
        b"<</FT/Tx/T(f%d)/Type/Annot/Subtype/Widget/Rect[0 0 1 1]/P 3 0 R/V(x)>>" % i
        for i in range(fields)
    ]
    header, offset = [], 0
    for number, body in zip(numbers, bodies, strict=True):
        header.append(b"%d %d" % (number, offset))
        offset += len(body) + 1
    index = b" ".join(header) + b"\n"
    packed = _compressed(index + b"\n".join(bodies) + b"\n", padding_mb)

    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}

    def add(number: int, body: bytes) -> None:
        offsets[number] = len(out)
        out.extend(b"%d 0 obj\n" % number + body + b"\nendobj\n")

    add(1, b"<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[" + refs + b"]>>>>")
    add(2, b"<</Type/Pages/Kids[3 0 R]/Count 1>>")
    add(3, b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Annots[" + refs + b"]>>")
    add(
        4,
        b"<</Type/ObjStm/N %d/First %d/Filter/FlateDecode/Length %d>>\nstream\n"
        % (fields, len(index), len(packed))
        + packed
        + b"\nendstream",
    )
    xref_number = first + fields
    rows = [_xref_row(0, 0, 65535)]
    rows += [_xref_row(1, offsets[n], 0) for n in (1, 2, 3, 4)]
    rows += [_xref_row(2, 4, i) for i in range(fields)]
    xref_at = len(out)
    rows.append(_xref_row(1, xref_at, 0))
    table = zlib.compress(b"".join(rows))
    out.extend(
        b"%d 0 obj\n<</Type/XRef/Size %d/W[1 4 2]/Root 1 0 R/Filter/FlateDecode/Length %d>>\n"
        b"stream\n"
        % (xref_number, xref_number + 1, len(table))
        + table
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    )
    return bytes(out)


# Tampered seals: a genuine sealed PDF changed where pyHanko trusts the file's own words.


def with_byte_range(pdf: bytes, values: bytes) -> bytes:
    """`pdf` with its seal's /ByteRange array holding `values` instead of its four
    offsets, at the same length (the array is followed by spaces kept for it), so that
    nothing else in the file moves: `b"0 3752.5 7372 1103"`, `b"0 55 0 R 7 9"` and so on."""
    found = re.search(rb"/ByteRange (\[[^\]]*\] *)", pdf)
    assert found is not None, "no seal in this PDF"
    room = found.group(1)
    array = b"[" + values + b"]"
    assert len(array) <= len(room), "no room for that /ByteRange"
    return pdf[: found.start(1)] + array.ljust(len(room)) + pdf[found.end(1) :]


def byte_range(pdf: bytes) -> list[bytes]:
    """The four numbers of the seal's /ByteRange, as written."""
    found = re.search(rb"/ByteRange \[([^\]]*)\]", pdf)
    assert found is not None, "no seal in this PDF"
    return found.group(1).split()


def deep_page_tree(pdf: bytes, depth: int) -> bytes:
    """`pdf` with an incremental update after its seal that hangs its page tree under
    `depth` /Pages nodes, one inside the other (reading it recursively goes `depth`
    deep). The update's cross-reference is a stream, as pyHanko writes the seal's."""
    size = int(re.findall(rb"/Size (\d+)", pdf)[-1])
    previous = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    root = int(re.findall(rb"/Root (\d+) 0 R", pdf)[-1])
    # The catalog as last written (pyHanko writes it afresh, uncompressed, when sealing).
    at = [m.end() for m in re.finditer(rb"\n%d 0 obj" % root, pdf)][-1]
    catalog = pdf[at : pdf.index(b"endobj", at)]
    pages = re.search(rb"/Pages (\d+) 0 R", catalog)
    assert pages is not None
    first = size  # the new nodes' object numbers
    out = bytearray(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    offsets: dict[int, int] = {}

    def add(number: int, body: bytes) -> None:
        offsets[number] = len(out)
        out.extend(b"%d 0 obj\n" % number + body.strip() + b"\nendobj\n")

    add(root, catalog.replace(pages.group(0), b"/Pages %d 0 R" % first, 1))
    for level in range(depth):
        kid = first + level + 1 if level < depth - 1 else int(pages.group(1))
        add(first + level, b"<</Type/Pages/Kids[%d 0 R]/Count 1>>" % kid)
    xref_number = first + depth
    offsets[xref_number] = len(out)

    def row(offset: int) -> bytes:
        return b"\x01" + offset.to_bytes(8, "big") + b"\x00\x00"

    numbers = [root, *range(first, xref_number + 1)]
    table = zlib.compress(b"".join(row(offsets[n]) for n in numbers))
    out.extend(
        b"%d 0 obj\n<</Type/XRef/Size %d/W[1 8 2]/Index[%d 1 %d %d]/Root %d 0 R/Prev %d"
        b"/Filter/FlateDecode/Length %d>>\nstream\n"
        % (xref_number, xref_number + 1, root, first, depth + 1, root, previous, len(table))
        + table
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[xref_number]
    )
    return bytes(out)
