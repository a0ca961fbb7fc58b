"""Deck generation: structure on slides, prose in notes, markers honoured, code resolved."""

from __future__ import annotations

import re

from coursekit.course import load_course
from coursekit.slides.build import deck_sources
from tests.conftest import GOOD_FRONT_MATTER

BODY = """
The opening story of the lecture.

## First idea

The prose of the first idea, which becomes the notes. See [the syllabus](../../syllabus.md).

- Point one
- Point two, which wraps
  onto a second line

!!! tip "Remember"
    An aside for the notes.

## A diagram

```mermaid
flowchart LR
    accTitle: Tiny
    accDescr: Two boxes.
    a[A & B] --> b
```

<!-- slides: break -->

| a | b |
|---|---|
| 1 | 2 |

## Code

```python title="examples/churn/contract.py"
--8<-- "examples/churn/contract.py:check_record"
```

## Only prose here

<!-- slides: only
- The summary the slide shows
-->

A section without a visual. It has two sentences.

<!-- slides: skip -->
## Hidden on slides

Never on a slide.
<!-- slides: end -->

## Lab

1. Run the script:

    ```bash
    python examples/lectures/s01/peek_contract.py
    ```

    You should see 21 lines,
    one per column of the contract.

2. Read the last line.

## Key takeaways

- Takeaway one

## Further reading

- [Docs](https://example.org/docs): the docs.
"""


def deck(course_tree) -> str:
    root = course_tree({"docs/course/01-big-picture/1.1-a.md": GOOD_FRONT_MATTER + BODY})
    return deck_sources(load_course(root))["1.1"]


def slides_of(text: str) -> list[str]:
    return text.split("\n\n---\n\n")


def test_title_slide_and_front_matter(course_tree):
    text = deck(course_tree)
    assert text.startswith("---\nmarp: true\ntheme: course\n")
    title = slides_of(text)[0]
    assert "# A lecture" in title and "**Lecture 1.1** · 10 min" in title
    assert "- Explain what the lecture is about" in title
    assert "<!--\nThe opening story of the lecture.\n-->" in title


def test_prose_goes_to_notes_and_lists_stay(course_tree):
    first = slides_of(deck(course_tree))[1]
    assert first.startswith("## First idea")
    assert "- Point two, which wraps onto a second line" in first
    notes = first.split("<!--", 1)[1]
    assert "The prose of the first idea" in notes and "the syllabus" in notes and "(../../syllabus.md)" not in notes
    assert "Remember: An aside for the notes." in notes


def test_mermaid_break_and_script(course_tree):
    text = deck(course_tree)
    slides = slides_of(text)
    diagram = next(slide for slide in slides if slide.startswith("## A diagram\n"))
    assert '<pre class="mermaid">' in diagram and "a[A &amp; B] --&gt; b" in diagram
    assert any(slide.startswith("## A diagram (continued)") and "| 1 | 2 |" in slide for slide in slides)
    assert text.rstrip().endswith('<script src="../../assets/javascripts/mermaid-theme.js"></script>\n'
                                  '<script src="../../assets/javascripts/deck-mermaid.js"></script>')


def test_snippet_is_resolved_and_trimmed(course_tree):
    code = next(slide for slide in slides_of(deck(course_tree)) if slide.startswith("## Code"))
    assert "def check_record(" in code and "--8<--" not in code
    assert "Check one customer record" not in code, "the docstring goes first when the code is too long"
    assert "return violations" in code and "full code on the lecture page" not in code
    assert code.startswith('## Code\n\n<p class="code-caption">examples/churn/contract.py</p>\n\n```python')


def test_lead_slide_skip_lab_takeaways_and_reading(course_tree):
    slides = slides_of(deck(course_tree))
    summary = next(slide for slide in slides if "## Only prose here" in slide)
    assert "_class: lead" not in summary and "- The summary the slide shows" in summary
    assert "A section without a visual." in summary.split("<!--", 1)[1]
    assert not any("Hidden on slides" in slide for slide in slides)
    lab = next(slide for slide in slides if slide.startswith("## Lab"))
    assert "1. Run the script: `python examples/lectures/s01/peek_contract.py`" in lab
    slide_part, notes_part = lab.split("<!--", 1)
    assert "You should see 21 lines, one per column of the contract." in notes_part
    assert "one per column" not in slide_part, "a paragraph moved to the notes stays whole in the notes"
    assert "2. Read the last line." in slide_part
    last = slides[-1]
    assert "_class: takeaways" in last and "- Takeaway one" in last
    assert "Further reading" in last.split("<!--", 1)[1]


def test_only_changed_decks_are_reconverted(course_tree, root, tmp_path):
    """One Marp run converts every deck; afterwards only an edited lecture's deck is converted again."""
    from coursekit.slides.build import build_decks

    second = "docs/course/01-big-picture/1.2-b.md"
    tree = course_tree({"docs/course/01-big-picture/1.1-a.md": GOOD_FRONT_MATTER + BODY,
                        second: GOOD_FRONT_MATTER.replace('"1.1"', '"1.2"') + "\n## Idea\n\n- one\n"})
    (tree / "node_modules").symlink_to(root / "node_modules")
    theme, cache = root / "slides" / "theme" / "course.css", tmp_path / "decks"
    first = build_decks(load_course(tree), cache, theme)
    assert sorted(first.converted) == ["1.1", "1.2"]
    assert all(path.exists() and "<section" in path.read_text() for path in first.html.values())
    assert build_decks(load_course(tree), cache, theme).converted == []
    (tree / second).write_text((tree / second).read_text() + "- two\n")
    again = build_decks(load_course(tree), cache, theme)
    assert again.converted == ["1.2"]
    assert "two" in again.html["1.2"].read_text()


def test_the_theme_ships_its_fonts_with_their_licences(root):
    from coursekit.slides.fonts import deck_fonts, theme_fonts

    theme = root / "slides" / "theme" / "course.css"
    names = theme_fonts(theme)
    assert {name.split("-")[0] for name in names} == {"arimo", "cousine"}, names
    files = deck_fonts(root, theme)
    assert all(path.is_file() for path in files.values())
    assert files["assets/fonts/arimo-LICENSE.txt"].read_text().count("Open Font License") >= 1
    assert len(files) == len(names) + 2


def test_a_missing_font_names_the_file_and_the_fix(tmp_path):
    import pytest

    from coursekit.slides.fonts import FontError, deck_fonts

    theme = tmp_path / "course.css"
    theme.write_text('@font-face { src: url("../../assets/fonts/arimo-latin-400-normal.woff2"); }')
    with pytest.raises(FontError, match=r"arimo-latin-400-normal\.woff2 not found .*run 'npm ci'"):
        deck_fonts(tmp_path, theme)


SHELL_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<language>bash|sh|shell|console|zsh)\b")
STEP = re.compile(r"^\s*(?P<number>\d+)[.)]\s")


def lab_commands(text: str) -> list[tuple[int, str]]:
    """Every command line of the fenced shell blocks under the ``## Lab`` heading, with its step number."""
    found: list[tuple[int, str]] = []
    in_lab, step, fence = False, 0, ""
    for line in text.splitlines():
        if fence:
            if line.strip().startswith(fence) and line.strip().strip(fence[0]) == "":
                fence = ""
            elif line.strip() and not line.strip().startswith("#"):
                found.append((step, line.strip()))
            continue
        if line.startswith("## "):
            in_lab = line.startswith("## Lab")
        if not in_lab:
            continue
        opening = SHELL_FENCE.match(line)
        if opening:
            fence = opening.group("fence")
        elif STEP.match(line):
            step = int(STEP.match(line).group("number"))
    return found


def test_every_lab_command_reaches_a_slide_of_every_deck(root):
    """Rule: a deck never drops a lab command (a "continued" slide is fine)."""
    course = load_course(root)
    sources = deck_sources(course)
    missing, counted = [], 0
    for lecture in course.lectures:
        for step, command in lab_commands(lecture.path.read_text(encoding="utf-8")):
            counted += 1
            if command not in sources[lecture.id]:
                missing.append(f"lecture {lecture.id} ({lecture.src_uri}) lab step {step}: {command!r} is on no slide")
    assert counted > 50, "the lab command extraction found almost nothing"
    assert not missing, "\n".join(missing)


def test_a_long_lab_step_keeps_every_command_and_continues_on_a_new_slide(course_tree):
    steps = "\n".join(f"{n}. Step {n} runs three commands:\n\n    ```bash\n    cd /tmp/{n}\n"
                      f"    churn train --seed {n}\n    churn promote\n    ```\n\n    It prints a line.\n"
                      for n in range(1, 7))
    root = course_tree({"docs/course/01-big-picture/1.1-a.md": GOOD_FRONT_MATTER + "\n## Lab\n\n" + steps})
    text = deck_sources(load_course(root))["1.1"]
    for n in range(1, 7):
        assert f"cd /tmp/{n}" in text and f"churn train --seed {n}" in text
    labs = [slide for slide in slides_of(text) if slide.startswith("## Lab")]
    assert len(labs) >= 2 and labs[1].startswith("## Lab (continued)")


def test_code_loses_docstrings_and_comments_before_it_is_cut():
    from coursekit.slides.code import fit_code

    body = "\n".join(f"    total += {n}  # add {n}" for n in range(8))
    code = ('def add():\n    """Add the numbers.\n\n    Args:\n        none.\n\n    Returns:\n'
            '        the sum.\n    """\n'
            f"    # start at zero\n    total = 0\n{body}\n    return total")
    kept = fit_code(code, "python", 14)
    assert kept[0] == "def add():" and kept[-1] == "    return total" and len(kept) == 11, kept
    assert not any('"""' in line or "#" in line for line in kept)
    assert fit_code("a = 1  # kept when it fits", "python", 14) == ["a = 1  # kept when it fits"]
    fields = "\n".join(f"    field_{n}: int = {n}" for n in range(4))
    documented = 'class Quality:\n    """Shares.\n\n' + "\n".join(f"    line {n}" for n in range(9)) + '\n    """\n\n'
    assert fit_code(documented + fields, "python", 14) == ["class Quality:", *fields.splitlines()]
    long = [f"step_{n}()" for n in range(20)]
    assert fit_code("\n".join(long), "python", 14) == [*long[:14], "# … (full code on the lecture page)"]
    shell = "#!/bin/sh\n" + "\n".join(f"# note {n}\necho {n}" for n in range(10))
    assert fit_code(shell, "bash", 14) == ["#!/bin/sh", *(f"echo {n}" for n in range(10))]


def test_a_code_slide_is_captioned_with_its_fence_title(course_tree):
    body = '\n## Output\n\n```text title="Output of step 1"\nok\n```\n\n## Plain\n\n```bash\nls\n```\n'
    root = course_tree({"docs/course/01-big-picture/1.1-a.md": GOOD_FRONT_MATTER + body})
    slides = slides_of(deck_sources(load_course(root))["1.1"])
    output = next(slide for slide in slides if slide.startswith("## Output"))
    assert '<p class="code-caption">Output of step 1</p>' in output
    plain = next(slide for slide in slides if slide.startswith("## Plain"))
    assert "code-caption" not in plain, "a block with neither a title nor an include has no caption"


def test_presenter_notes_are_plain_text():
    from coursekit.slides.notes import note_text, plain_text

    text = ("Run `churn train` with **care**, *then* read [the docs](https://example.org) and "
            "![a chart](x.png); press <kbd>Ctrl</kbd>+<kbd>C</kbd>, keep 2 * 3 and snake_case_names.")
    assert plain_text(text) == ("Run churn train with care, then read the docs and a chart; press Ctrl+C, "
                                "keep 2 * 3 and snake_case_names.")
    assert plain_text("`**kept**` and __strong _inner_ text__") == "**kept** and strong inner text"
    assert note_text(["- [One](a.md): first", "  wrapped", "- **Two**"]) == "- One: first wrapped\n- Two"


def test_no_deck_of_the_course_has_markdown_in_its_notes(root):
    notes = re.compile(r"^<!--\n(?P<text>.*?)\n-->$", re.MULTILINE | re.DOTALL)
    # ** opening a word is emphasis; a literal *** (a masked password) or examples/** (a glob) is not
    marks = re.compile(r"`|\*\*(?=[^\s*,.;:)])|\]\(|</?(a|kbd|br|span|code|em|strong|img)\b")
    found = []
    for lecture_id, source in deck_sources(load_course(root)).items():
        for match in notes.finditer(source):
            for line in match.group("text").splitlines():
                if marks.search(line):
                    found.append(f"deck {lecture_id}: {line[:100]!r}")
    assert not found, "\n".join(found[:20])


def test_the_check_asks_for_a_visual_where_a_section_has_only_prose(course_tree):
    import pytest

    from coursekit.problems import CourseError

    body = ("\nOpening.\n\n## Has a list\n\nProse.\n\n- item\n\n## Prose only\n\nJust prose.\n\n"
            "### Code only\n\n```bash\nls\n```\n\n## Key takeaways\n\n- one\n\n## Further reading\n\nProse.\n")
    root = course_tree({"docs/course/01-big-picture/1.1-a.md": GOOD_FRONT_MATTER + body})
    with pytest.raises(CourseError) as caught:
        load_course(root)
    problems = [str(problem) for problem in caught.value.problems]
    line = (GOOD_FRONT_MATTER + body).splitlines().index("## Prose only") + 1
    assert problems == [f"docs/course/01-big-picture/1.1-a.md:{line}: slides: section 'Prose only' has only prose, "
                        "which would go on its slide; add a list, table, diagram or code, or a '<!-- slides: only' "
                        "summary of 3-5 bullets (closed by '-->' on its own line)"]


def test_no_deck_of_the_course_has_a_slide_of_prose_alone(root):
    """The check and the generator agree: the real course passes the check, so no deck has a lead slide."""
    leads = [f"deck {lecture_id} slide {number}" for lecture_id, source in deck_sources(load_course(root)).items()
             for number, slide in enumerate(slides_of(source.split("\n---\n", 1)[1]), start=1)
             if "_class: lead" in slide]
    assert not leads, leads
