"""HTML primitives of the lab report: escaped text, inline Markdown, tables of formatted cells, notes, the page.

Everything that reaches the page goes through `esc` or `markdown_inline`, so text from results files (a method name,
a claim) can never inject markup. Table cells are strings already formatted by `n2n_lib.lab.report.units`; a cell that
starts with a number is right-aligned; text cells may hold inline Markdown (`code` for file names).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

STYLE = """
body { font-family: Georgia, 'Times New Roman', serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #222; }
h1 { font-size: 1.8rem; margin-bottom: 0.2rem; } .subtitle { color: #555; margin-top: 0; }
h2 { border-bottom: 1px solid #bbb; margin-top: 2.2rem; font-size: 1.35rem; } h3 { font-size: 1.1rem; }
.abstract { background: #f6f6f6; padding: 0.6rem 1rem; border-left: 4px solid #888; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.88rem; font-family: system-ui, sans-serif; }
caption { caption-side: top; text-align: left; font-style: italic; padding: 0.2rem 0; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #eee; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 1.2rem 0; break-inside: avoid; } figure img { max-width: 100%; }
figcaption { font-size: 0.9rem; color: #333; } figcaption b { color: #000; }
.note { background: #fff4e0; border-left: 4px solid #e0a000; padding: 0.4rem 0.8rem; }
code { background: #f4f4f4; padding: 0 0.2rem; font-size: 0.9em; }
@media print { body { max-width: none; margin: 0; font-size: 10.5pt; } h2 { break-after: avoid; }
               table, figure { break-inside: avoid; } }
"""

Cell = str | tuple[str, str]  # text, or (html already safe, "html") for a cell holding a link or markup
_NUMERIC = re.compile(r"^[−+\-]?[\d.,–]+( |$)")  # "27.59 dB", "134,787", "64–72 px"


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def markdown_inline(text: str) -> str:
    """Escape `text` and render the inline Markdown the notebooks use: `code`, **bold**, *italic*, [text](url)."""
    out = html.escape(text, quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)
    out = re.sub(r"(?<![*\w])\*([^*]+)\*(?![*\w])", r"<em>\1</em>", out)
    return re.sub(r"\[([^\]]+)\]\(([^)\s\"]+)\)", r'<a href="\2">\1</a>', out)


def paragraph(text: str) -> str:
    """A paragraph of plain text with inline Markdown (`code` for file names)."""
    return f"<p>{markdown_inline(text)}</p>"


def note(text: str) -> str:
    """A visible note: something missing, and how to produce it."""
    return f'<p class="note">{markdown_inline(text)}</p>'


def bullets(items: Sequence[str]) -> str:
    return "<ul>" + "".join(f"<li>{markdown_inline(item)}</li>" for item in items) + "</ul>"


def _cell(cell: Cell) -> str:
    if isinstance(cell, tuple):
        return f"<td>{cell[0]}</td>"
    css = ' class="num"' if _NUMERIC.match(cell) else ""
    return f"<td{css}>{markdown_inline(cell)}</td>"


def table(columns: Sequence[str], rows: Sequence[Sequence[Cell]], caption: str = "") -> str:
    """A table with human column names; every row has one formatted cell per column."""
    for row in rows:
        if len(row) != len(columns):
            raise ValueError(f"table {caption!r}: row {row!r} has {len(row)} cells for {len(columns)} columns")
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in rows)
    cap = f"<caption>{markdown_inline(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def key_values(
    rows: Sequence[tuple[str, str]], caption: str = "", header: tuple[str, str] = ("setting", "value")
) -> str:
    """A two-column table of readable labels and formatted values."""
    return table(header, [list(r) for r in rows], caption)


def heading(anchor: str, title: str, level: int = 2) -> str:
    return f'<h{level} id="{esc(anchor)}">{esc(title)}</h{level}>'


def page(title: str, subtitle: str, body: Sequence[str]) -> str:
    """The whole self-contained document."""
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
        f"<style>{STYLE}</style></head><body>\n<h1>{esc(title)}</h1>\n"
        f'<p class="subtitle">{markdown_inline(subtitle)}</p>\n' + "\n".join(body) + "\n</body></html>\n"
    )
