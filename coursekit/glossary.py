"""The course glossary: terms and definitions in ``glossary.yml``, a generated glossary page, and the first
use of each term on every lecture page linked to its entry (the link's title shows the definition as a
tooltip, so a reader need not leave the page).

Authors write terms in plain prose; the build finds the first use. Code, headings, links, HTML and
diagram sources are never touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from coursekit.frontmatter import load_yaml_node, yaml_problem
from coursekit.problems import Problem, display_path

GLOSSARY_PAGE = "glossary.md"


class Term(BaseModel):
    """One glossary entry."""

    model_config = ConfigDict(extra="forbid")

    term: str = Field(min_length=2, max_length=60)
    definition: str = Field(min_length=20, max_length=320)
    aliases: list[str] = Field(default_factory=list)
    lecture: str | None = Field(default=None, pattern=r"^\d{1,2}\.\d{1,2}$")

    @field_validator("definition")
    @classmethod
    def _one_paragraph(cls, value: str) -> str:
        if "\n\n" in value.strip():
            raise ValueError("keep a definition to one paragraph of one or two sentences")
        return " ".join(value.split())

    @property
    def anchor(self) -> str:
        """The id of the term's heading on the glossary page."""
        return "term-" + re.sub(r"[^a-z0-9]+", "-", self.term.lower()).strip("-")

    @property
    def surfaces(self) -> list[str]:
        """The term and its aliases, as they may appear in prose."""
        return [self.term, *self.aliases]


@dataclass
class Glossary:
    """The validated glossary, terms in alphabetical order."""

    terms: list[Term]

    def __post_init__(self) -> None:
        self.terms.sort(key=lambda term: term.term.lower())
        surfaces = sorted(((surface, term) for term in self.terms for surface in term.surfaces),
                          key=lambda item: -len(item[0]))
        self._by_surface = {surface.lower(): (surface, term) for surface, term in surfaces}
        alternatives = _trie_pattern([surface.lower() for surface, _ in surfaces])
        self._pattern = re.compile(rf"(?<![\w/-])(?:{alternatives})(?![\w/-])", re.IGNORECASE) if surfaces else None

    def term_for(self, text: str) -> Term | None:
        """The entry whose term or alias is ``text``, or ``None``.

        Matching ignores case, except for acronyms (a term or alias starting with two capitals, such
        as ``SLOs``), which match only as written.
        """
        surface, term = self._by_surface.get(text.lower(), (None, None))
        if surface is None or (surface[:2].isupper() and text != surface):
            return None
        return term

    @property
    def pattern(self) -> re.Pattern[str] | None:
        """One regular expression matching every term and alias, longest first, as whole words."""
        return self._pattern


def _trie_pattern(words: list[str]) -> str:
    """A regular expression matching any of ``words``, factored by common prefixes.

    ``data contract|data drift|data lake`` becomes ``data (?:contract|drift|lake)``: the regex engine
    then tries a handful of branches at each position of a page instead of every term (about four
    times faster on a lecture page).
    """
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        optional = "" in node
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 and not optional else "(?:" + "|".join(branches) + ")"
        if optional:
            body = ("(?:" + "|".join(branches) + ")") + "?"
        return body

    return build(trie)


def load_glossary(path: Path, root: Path, lecture_ids: set[str]) -> tuple[Glossary | None, list[Problem]]:
    """Read and check ``glossary.yml``: one problem per broken entry, with its line and field."""
    shown = display_path(path, root)
    if not path.exists():
        return Glossary([]), []
    text = path.read_text(encoding="utf-8")
    try:
        data, node = load_yaml_node(text)
    except yaml.YAMLError as error:
        return None, [yaml_problem(shown, error, text)]
    if not isinstance(data, dict) or not isinstance(data.get("terms"), list):
        return None, [Problem(shown, "expected a mapping with a 'terms:' list of {term, definition, aliases, lecture}",
                              1)]
    items = node.value[[key.value for key, _ in node.value].index("terms")][1].value
    problems: list[Problem] = []
    terms: list[Term] = []
    seen: dict[str, str] = {}
    for item, item_node in zip(data["terms"], items, strict=True):
        line = item_node.start_mark.line + 1
        try:
            term = Term.model_validate(item)
        except ValidationError as error:
            for detail in error.errors():
                where = ".".join(str(part) for part in detail["loc"]) or "entry"
                name = item.get("term", "?") if isinstance(item, dict) else "?"
                problems.append(Problem(shown, f"{detail['msg']} (term {name!r})", line, where))
            continue
        for surface in term.surfaces:
            if surface.lower() in seen:
                problems.append(Problem(shown, f"{surface!r} is already used by the term {seen[surface.lower()]!r}; "
                                               "each term and alias may appear once", line, "term"))
            seen[surface.lower()] = term.term
        if term.lecture and term.lecture not in lecture_ids:
            problems.append(Problem(shown, f"lecture {term.lecture!r} does not exist; name the lecture that teaches "
                                           f"{term.term!r}, or leave 'lecture' out", line, "lecture"))
        terms.append(term)
    return (None if problems else Glossary(terms)), problems


# Inline Markdown that must stay as it is: code spans, links and images, HTML tags, URLs,
# attribute lists, footnote references, emoji shortcodes.
_PROTECTED = re.compile(r"`[^`\n]*`|!?\[[^\]\n]*\]\([^)\n]*\)|!?\[[^\]\n]*\]\[[^\]\n]*\]|<[^>\n]*>"
                        r"|https?://\S+|\{[^}\n]*\}|\[\^[^\]\n]*\]|:[a-z0-9_-]+:")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_SKIPPED_LINE = re.compile(r"^\s*(#|!!!|\?\?\?|--8<--|\*\[|\[[^\]]+\]:|<|\|?\s*:?-{3,})")


def _link(match_text: str, term: Term, glossary_url: str) -> str:
    title = term.definition.replace('"', "'").replace("|", "/")
    return f'[{match_text}]({glossary_url}#{term.anchor} "{title}")'


def link_first_uses(markdown: str, glossary: Glossary, glossary_url: str) -> str:
    """Link the first use of every glossary term in the prose of ``markdown`` to its entry.

    Args:
        markdown: A lecture page's Markdown (front matter removed).
        glossary: The glossary.
        glossary_url: Link from this page to the glossary page, e.g. ``../../glossary.md``.

    Returns:
        The Markdown with at most one link per term; acronyms (``CI/CD``) match only as written.
    """
    pattern = glossary.pattern
    if pattern is None:
        return markdown
    linked: set[str] = set()
    out: list[str] = []
    fence: str | None = None
    in_comment = False
    for line in markdown.split("\n"):
        fence_match = _FENCE.match(line)
        if fence is not None:
            if fence_match and fence_match.group(1)[0] == fence[0] and len(fence_match.group(1)) >= len(fence):
                fence = None
            out.append(line)
            continue
        if fence_match:
            fence = fence_match.group(1)
            out.append(line)
            continue
        if in_comment or line.lstrip().startswith("<!--"):
            in_comment = "-->" not in line
            out.append(line)
            continue
        if _SKIPPED_LINE.match(line) or not pattern.search(line):
            out.append(line)
            continue
        out.append(_link_line(line, glossary, pattern, glossary_url, linked))
    return "\n".join(out)


def _link_line(line: str, glossary: Glossary, pattern: re.Pattern[str], url: str, linked: set[str]) -> str:
    pieces: list[str] = []
    position = 0
    for protected in [*_PROTECTED.finditer(line), None]:
        end = protected.start() if protected else len(line)
        pieces.append(_link_text(line[position:end], glossary, pattern, url, linked))
        if protected:
            pieces.append(protected.group(0))
            position = protected.end()
    return "".join(pieces)


def _link_text(text: str, glossary: Glossary, pattern: re.Pattern[str], url: str, linked: set[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        found = match.group(0)
        term = glossary.term_for(found)
        if term is None or term.term in linked:
            return found
        linked.add(term.term)
        return _link(found, term, url)

    return pattern.sub(replace, text)


def glossary_page(glossary: Glossary, lecture_links: dict[str, str]) -> str:
    """Markdown of the glossary page: terms grouped by initial letter, each with its lecture.

    Args:
        glossary: The glossary.
        lecture_links: Markdown link to each lecture by id, relative to the glossary page.
    """
    lines = [
        "# Glossary",
        "",
        "The terms this course uses, defined in a sentence or two. On every lecture page the first use of",
        "a term links here; hover over or focus the link to read the definition without leaving the page.",
        "",
    ]
    letters = sorted({term.term[0].upper() for term in glossary.terms})
    lines += [" · ".join(f"[{letter}](#letter-{letter.lower()})" for letter in letters), ""]
    for letter in letters:
        lines += [f"## {letter} {{#letter-{letter.lower()}}}", ""]
        for term in (term for term in glossary.terms if term.term[0].upper() == letter):
            lines += [f"### {term.term} {{#{term.anchor}}}", "", term.definition]
            extras = []
            if term.aliases:
                extras.append("Also: " + ", ".join(term.aliases) + ".")
            if term.lecture and term.lecture in lecture_links:
                extras.append(f"Taught in {lecture_links[term.lecture]}.")
            if extras:
                lines += ["", " ".join(extras)]
            lines.append("")
    return "\n".join(lines)
