"""A hostile PDF for the verification's limits: a small file whose form fields all sit in one
compressed object stream, which makes reading its signature fields cost time that grows
with the square of the number of fields (issue 16: 2,000 fields held a worker 17.5 s).

Written object by object here (no PDF library), so the shape is exactly what the attack
used: a catalog whose /AcroForm names every field, one page whose /Annots lists them as
widgets, the fields themselves packed into an /ObjStm, and a cross-reference stream."""

from __future__ import annotations

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
