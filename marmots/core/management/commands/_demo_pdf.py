"""Small real PDFs for the demo's documents, made with WeasyPrint."""

from functools import lru_cache

from django.utils.html import escape


def demo_pdf(title, lines):
    """A one-page A4 PDF with a title and a paragraph per line (empty lines are skipped)."""
    return _render(title, tuple(lines))


@lru_cache(maxsize=32)
def _render(title, lines):
    from weasyprint import HTML

    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in lines if line.strip())
    html = (
        '<html lang="fr"><head><meta charset="utf-8"><style>'
        "@page { size: A4; margin: 2cm } body { font-family: sans-serif; font-size: 11pt }"
        f"</style></head><body><h1>{escape(title)}</h1>{paragraphs}</body></html>"
    )
    return HTML(string=html).write_pdf()
