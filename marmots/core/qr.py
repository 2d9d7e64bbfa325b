"""QR codes drawn on the server as inline SVG (segno), for the kiosk pairing and family cards."""

import segno
from django.utils.safestring import mark_safe


def qr_svg(content, title, scale=4):
    """`content` as an accessible inline SVG image (no XML declaration, sized by CSS)."""
    svg = segno.make(content, error="m", micro=False).svg_inline(
        scale=scale, border=4, omitsize=True, svgclass="qr", title=title
    )
    # segno escapes the title; the rest is its own markup.
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308
