"""Copy GOV.UK Frontend's compiled CSS and JS out of node_modules into registry/static/govuk,
and accessible-autocomplete's (which turns a long list of agencies into a box to type in)
into registry/static/autocomplete.

The registry is not a GOV.UK service, so the GDS Transport font is removed from
the stylesheet (the text falls back to Arial) and no crown or crest images are copied.
"""

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"
TARGET = ROOT / "registry" / "static" / "govuk"
AUTOCOMPLETE = ROOT / "node_modules" / "accessible-autocomplete" / "dist"
AUTOCOMPLETE_TARGET = ROOT / "registry" / "static" / "autocomplete"


def strip_gds_transport(css: str) -> str:
    css = re.sub(r"@font-face\{font-family:GDS Transport;[^}]*\}", "", css)
    return css.replace("font-family:GDS Transport,arial,", "font-family:arial,")


def main() -> int:
    css_path = SOURCE / "govuk-frontend.min.css"
    if not css_path.exists():
        print(f"GOV.UK Frontend is not installed at {SOURCE}: run `npm ci` first.", file=sys.stderr)
        return 1
    if TARGET.exists():
        shutil.rmtree(TARGET)
    TARGET.mkdir(parents=True)
    css = strip_gds_transport(css_path.read_text(encoding="utf-8"))
    if "GDS Transport" in css:
        print("The stylesheet still names GDS Transport; its layout has changed.", file=sys.stderr)
        return 1
    (TARGET / "govuk-frontend.min.css").write_text(css, encoding="utf-8")
    shutil.copy2(SOURCE / "govuk-frontend.min.js", TARGET / "govuk-frontend.min.js")
    # No images or fonts are copied: the crown, crest and GDS Transport are GOV.UK's own.
    print(f"GOV.UK Frontend assets copied to {TARGET.relative_to(ROOT)}")
    if not (AUTOCOMPLETE / "accessible-autocomplete.min.js").exists():
        print(
            f"accessible-autocomplete is not installed at {AUTOCOMPLETE}: run `npm ci` first.",
            file=sys.stderr,
        )
        return 1
    if AUTOCOMPLETE_TARGET.exists():
        shutil.rmtree(AUTOCOMPLETE_TARGET)
    AUTOCOMPLETE_TARGET.mkdir(parents=True)
    for name in ("accessible-autocomplete.min.js", "accessible-autocomplete.min.css"):
        shutil.copyfile(AUTOCOMPLETE / name, AUTOCOMPLETE_TARGET / name)  # dated now, for make
    print(f"accessible-autocomplete copied to {AUTOCOMPLETE_TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
