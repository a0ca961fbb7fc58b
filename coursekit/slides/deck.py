"""Turn a lecture into a Marp deck: structure on the slides, prose in the presenter notes.

The deck is built from the slides view of the lecture body (see :mod:`coursekit.slides.markers`):

- a title slide with the id, title, duration, section and objectives; the opening prose as notes;
- one slide per ``##`` or ``###`` heading (and per ``<!-- slides: break -->``) carrying the
  section's lists, tables, diagrams and trimmed code; its paragraphs become presenter notes;
- the ``Key takeaways`` section as the closing slide; ``Further reading`` goes into its notes.
"""

from __future__ import annotations

import html
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.blocks import FENCE_OPEN, LIST_ITEM, Block, split_blocks
from coursekit.lectures import Lecture
from coursekit.slides.code import fit_code
from coursekit.slides.notes import note_text, plain_text
from coursekit.snippets import REFERENCE, find_references, read_region

MAX_CODE_LINES = 14
# Decks sit two folders below the site root (slides/<id>/), like their fonts in the theme.
DECK_SCRIPTS = "../../assets/javascripts/"
LINK = re.compile(r"(!?)\[(?P<text>[^\]]*)\]\((?P<url>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
TAKEAWAYS = "key takeaways"
NOTES_ONLY_SECTIONS = ("further reading",)


@dataclass
class Slide:
    """One slide under construction."""

    heading: str
    css_class: str = ""
    content: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        """Return the slide as Marp Markdown."""
        parts = []
        if self.css_class:
            parts.append(f"<!-- _class: {self.css_class} -->")
        if self.heading:
            parts.append(self.heading)
        parts.extend(self.content)
        if self.notes:
            text = "\n\n".join(self.notes).replace("-->", "→")
            parts.append(f"<!--\n{text}\n-->")
        return "\n\n".join(parts)


def _plain_links(text: str) -> str:
    """Keep external links, turn site-relative links into their text (decks live elsewhere)."""
    def replace(match: re.Match[str]) -> str:
        if match.group(1) == "!" or match.group("url").startswith(("http://", "https://")):
            return match.group(0)
        return match.group("text")
    return LINK.sub(replace, text)


def _note_text(lines: list[str] | tuple[str, ...]) -> str:
    return note_text(lines)


SHELL_LANGUAGES = ("bash", "sh", "shell", "console", "zsh")
INLINE_COMMAND = 70  # a lab step's single command up to this length stays on the step's line
# Room for a list on a slide below its heading, in pixels of the 1280x720 theme (26 px text, 1.5 line
# height; 18 px code at 1.35). A longer list goes on "continued" slides; the browser test measures the result.
LIST_HEIGHT = 500
TEXT_LINE, TEXT_CHARS, CODE_LINE, CODE_BLOCK = 39, 80, 24.3, 44


@dataclass
class ListItem:
    """One item of a list on a slide, with the lab commands of its fenced shell blocks and its notes."""

    text: str
    commands: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        """Return the item as Markdown; commands inline when there is one short one, else a code block."""
        if not self.commands:
            return self.text
        if len(self.commands) == 1 and "`" not in self.commands[0] and len(self.commands[0]) <= INLINE_COMMAND:
            return f"{self.text} `{self.commands[0]}`"
        marker = LIST_ITEM.match(self.text)
        indent = " " * (marker.end() if marker else 3)
        lines = [f"{indent}```bash", *(indent + command for command in self.commands), f"{indent}```"]
        return "\n".join([self.text, *lines])

    def height(self) -> float:
        """Rough height of the rendered item on a slide, in pixels."""
        text = len(self.text) + sum(len(command) + 3 for command in self.commands if len(self.commands) == 1)
        rows = -(-text // TEXT_CHARS) * TEXT_LINE
        if len(self.commands) > 1 or any(len(command) > INLINE_COMMAND or "`" in command
                                         for command in self.commands):
            rows += len(self.commands) * CODE_LINE + CODE_BLOCK
        return rows


def _trim_list(block: Block) -> tuple[list[ListItem], list[str]]:
    """Keep list items (joined) with every command of their shell blocks; move their prose to notes.

    Returns the items and the notes that come before the first item.
    """
    items: list[ListItem] = []
    notes: list[str] = []
    lines = list(block.lines)
    index, previous_blank, in_note = 0, False, False

    def note_list() -> list[str]:
        return items[-1].notes if items else notes

    while index < len(lines):
        line = lines[index]
        fence = FENCE_OPEN.match(line)
        if LIST_ITEM.match(line):
            items.append(ListItem(_plain_links(line.rstrip())))
            in_note = False
        elif fence:
            marker = fence.group("fence")
            closing = next((j for j in range(index + 1, len(lines)) if lines[j].strip().startswith(marker)), len(lines))
            language = (fence.group("info").split() or [""])[0]
            if items and language in SHELL_LANGUAGES:
                code = textwrap.dedent("\n".join(lines[index + 1:closing])).splitlines()
                items[-1].commands.extend(command.rstrip() for command in code if command.strip())
            index, previous_blank, in_note = closing + 1, False, False
            continue
        elif line.strip() == "":
            previous_blank = True
            index += 1
            continue
        elif in_note and not previous_blank:
            # the next line of a paragraph already moved to the notes
            note_list()[-1] += "\n" + line
        elif items and not previous_blank and not in_note:
            items[-1].text += " " + _plain_links(line.strip())
        else:
            note_list().append(line)
            in_note = True
        previous_blank = False
        index += 1
    for item in items:
        item.notes = [text for text in map(_paragraph_note, item.notes) if text]
    return items, [text for text in map(_paragraph_note, notes) if text]


def _paragraph_note(paragraph: str) -> str:
    """A paragraph of a list item as one plain-text note (a code span may run over two lines)."""
    return plain_text(" ".join(line.strip() for line in paragraph.splitlines()))


def _chunks(items: list[ListItem], first_room: float) -> list[list[ListItem]]:
    """Split list items into slides' worth: ``first_room`` pixels on the first, LIST_HEIGHT on the others."""
    chunks: list[list[ListItem]] = [[]]
    room = first_room
    for item in items:
        if chunks[-1] and item.height() > room:
            chunks.append([])
            room = LIST_HEIGHT
        chunks[-1].append(item)
        room -= item.height()
    return chunks


def _content_height(content: list[str]) -> float:
    """Rough height of a slide's content so far, in pixels."""
    return sum(len(part.splitlines()) * TEXT_LINE + 16 for part in content)


TITLE = re.compile(r'title="(?P<title>[^"]*)"')


def _code(block: Block, root: Path) -> str:
    """A fenced block for a slide: a diagram as Mermaid's ``<pre>``, code fitted and captioned with its file."""
    lines = list(block.lines[1:-1]) if len(block.lines) > 1 else []
    language = block.info.split()[0] if block.info else ""
    if language == "mermaid":
        return '<pre class="mermaid">\n' + html.escape("\n".join(lines), quote=False) + "\n</pre>"
    text = "\n".join(lines)
    refs = find_references(text)
    if refs:
        text = "\n\n".join(read_region(root, ref) for ref in refs)
    text = "\n".join(line for line in text.splitlines() if not REFERENCE.match(line))
    kept = fit_code(text, language, MAX_CODE_LINES)
    title = TITLE.search(block.info)
    caption = title.group("title") if title else ", ".join(dict.fromkeys(ref.file for ref in refs))
    fence = "```"
    code = f"{fence}{language}\n" + "\n".join(kept) + f"\n{fence}"
    if not caption:
        return code
    return f'<p class="code-caption">{html.escape(caption)}</p>\n\n{code}'


def _admonition_note(block: Block) -> str:
    header = block.lines[0]
    title = re.search(r'"([^"]*)"', header)
    kind = header.split()[1] if len(header.split()) > 1 else "note"
    label = title.group(1) if title else kind.capitalize()
    return f"{label}: {_note_text(block.lines[1:])}"


def _tabs(block: Block, root: Path) -> tuple[list[str], list[str]]:
    labels = [re.sub(r'^===\+?\s+"?|"\s*$', "", line) for line in block.lines if line.startswith("===")]
    body: list[str] = []
    for line in block.lines[1:]:
        if line.startswith("==="):
            break
        body.append(line[4:] if line.startswith("    ") else line.lstrip("\t"))
    content = [f"**{labels[0]}**"] if labels else []
    for inner in split_blocks("\n".join(body)):
        if inner.kind == "fence":
            content.append(_code(inner, root))
        elif inner.kind in ("list", "table"):
            content.append("\n".join(inner.lines))
    notes = [f"The page also shows: {', '.join(labels[1:])}."] if len(labels) > 1 else []
    return content, notes


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    return match.group(1) if match else text


def build_deck(lecture: Lecture, slides_markdown: str, section_title: str, root: Path) -> str:
    """Return the Marp Markdown deck of one lecture.

    Args:
        lecture: The lecture (front matter gives the title slide).
        slides_markdown: The lecture body after the slide markers were applied.
        section_title: Title of the lecture's section, shown on the title slide.
        root: Repository root, to resolve snippet includes.
    """
    meta = lecture.meta
    title = Slide(f"# {meta.title}", "title")
    title.content.append(f"**Lecture {meta.id}** · {meta.duration} min · Section {lecture.section_number}: "
                         f"{section_title}")
    title.content.append("\n".join(f"- {objective}" for objective in meta.objectives))
    slides = [title]
    current = title
    heading_text = ""
    has_diagram = False
    for block in split_blocks(slides_markdown):
        if block.kind == "heading" and block.level in (2, 3):
            heading_text = block.lines[0]
            lowered = heading_text.lower()
            if lowered in NOTES_ONLY_SECTIONS:
                current.notes.append(f"{heading_text}:")
                continue
            css = "takeaways" if lowered == TAKEAWAYS else ""
            current = Slide(f"## {heading_text}", css)
            slides.append(current)
            continue
        if block.kind == "break":
            current = Slide(f"## {heading_text} (continued)" if heading_text else "")
            slides.append(current)
            continue
        if current.heading.lower().endswith(NOTES_ONLY_SECTIONS) or (
                current is not title and heading_text.lower() in NOTES_ONLY_SECTIONS):
            current.notes.append(_note_text(block.lines))
            continue
        if block.kind == "paragraph":
            if block.lines[0].lstrip().startswith("!["):
                current.content.append("\n".join(block.lines))
            else:
                current.notes.append(_note_text(block.lines))
        elif block.kind == "list":
            items, notes = _trim_list(block)
            current.notes.extend(notes)
            for number, chunk in enumerate(_chunks(items, LIST_HEIGHT - _content_height(current.content))):
                if number:
                    current = Slide(f"## {heading_text} (continued)" if heading_text else "")
                    slides.append(current)
                current.content.append("\n".join(item.render() for item in chunk))
                current.notes.extend(note for item in chunk for note in item.notes)
        elif block.kind == "fence":
            has_diagram = has_diagram or block.info.startswith("mermaid")
            current.content.append(_code(block, root))
        elif block.kind in ("table", "quote", "html"):
            current.content.append(_plain_links("\n".join(block.lines)))
        elif block.kind == "admonition":
            current.notes.append(_admonition_note(block))
        elif block.kind == "tabs":
            content, notes = _tabs(block, root)
            current.content.extend(content)
            current.notes.extend(notes)
    for slide in slides[1:]:
        if not slide.content and slide.notes and slide.css_class == "":
            slide.css_class = "lead"
            slide.content.append(_first_sentence(slide.notes[0]))
    slides = [slide for slide in slides if slide.content or slide.notes or slide is title]
    header = "\n".join([
        "---",
        "marp: true",
        "theme: course",
        "paginate: true",
        "lang: en",
        "size: 16:9",
        f"title: {_yaml_string(f'{meta.id} {meta.title}')}",
        f"footer: {_yaml_string(f'MLOps course · Lecture {meta.id}')}",
        "---",
    ])
    body = "\n\n---\n\n".join(slide.render() for slide in slides)
    if has_diagram:
        body += (f'\n\n<script src="{DECK_SCRIPTS}mermaid.min.js"></script>\n'
                 f'<script src="{DECK_SCRIPTS}mermaid-theme.js"></script>\n'
                 f'<script src="{DECK_SCRIPTS}deck-mermaid.js"></script>')
    return f"{header}\n\n{body}\n"


def _yaml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
