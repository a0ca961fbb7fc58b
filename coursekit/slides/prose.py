"""The check for slides that would carry nothing but prose.

The deck generator puts a section's lists, tables, diagrams and code on its slide and its prose in
the presenter notes. A ``##`` or ``###`` section with prose and none of those would show a lone
sentence of its prose on the slide (a "lead" slide). The author should give it something to show
instead: a list, a table, a diagram, code, or a ``<!-- slides: only`` summary of the section.
"""

from __future__ import annotations

from coursekit.blocks import Block, split_blocks
from coursekit.problems import Problem
from coursekit.slides.markers import Views

#: Blocks that appear on a slide (the rest, paragraphs and admonitions, goes to the notes).
SLIDE_KINDS = ("list", "table", "fence", "quote", "html", "tabs")
PROSE_KINDS = ("paragraph", "admonition")
#: Sections that become notes or the closing slide, never a slide of their own to check.
NOTES_SECTIONS = ("further reading",)
HINT = ("add a list, table, diagram or code, or a '<!-- slides: only' summary of 3-5 bullets "
        "(closed by '-->' on its own line)")


def shows_on_slide(block: Block) -> bool:
    """Whether the deck generator puts this block on the slide (not only in the notes)."""
    if block.kind == "paragraph":
        return block.lines[0].lstrip().startswith("![")
    return block.kind in SLIDE_KINDS


def prose_only_sections(view: Views, path: str) -> list[Problem]:
    """Report every slide heading (``##``, ``###``) or slide break whose slide would hold only prose.

    Args:
        view: The lecture's two views (the slides view and its line numbers in the file).
        path: File name used in problem reports.
    """
    problems: list[Problem] = []
    lines = view.slide_lines

    def line_of(block: Block) -> int | None:
        return lines[block.start] if block.start < len(lines) else None

    opened: tuple[str, Block] | None = None  # the slide being collected: its title and its first block
    shown = prose = False

    def close() -> None:
        if opened is not None and prose and not shown:
            title, where = opened
            problems.append(Problem(path, f"section {title!r} has only prose, which would go on its slide; "
                                    + HINT, line_of(where), "slides"))

    in_notes = False
    for block in split_blocks(view.slides):
        if block.kind == "heading" and block.level in (2, 3):
            close()
            in_notes = block.lines[0].lower() in NOTES_SECTIONS
            opened = None if in_notes else (block.lines[0], block)
            shown = prose = False
        elif block.kind == "break" and not in_notes:
            close()
            opened = (f"{opened[0]} (after the slide break)" if opened else "(slide break)", block)
            shown = prose = False
        elif opened is not None:
            shown = shown or shows_on_slide(block)
            prose = prose or block.kind in PROSE_KINDS
    close()
    return problems
