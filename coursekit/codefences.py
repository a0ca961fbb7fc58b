"""The rule that pages never paste Python: a Python fence must only include code from examples/."""

from __future__ import annotations

from coursekit.blocks import split_blocks
from coursekit.problems import Problem
from coursekit.snippets import REFERENCE

PYTHON_LANGUAGES = {"python", "py", "python3", "pycon"}
PSEUDO_CODE_MARK = "# pseudo-code"


def check_python_fences(markdown: str, page: str, first_line: int = 1) -> list[Problem]:
    """Report Python fences whose content is not only snippet includes.

    A fence whose first line is exactly ``# pseudo-code`` is allowed: it is an explicit opt-out for
    code that is not meant to run.
    """
    problems = []
    for block in split_blocks(markdown):
        if block.kind != "fence" or not block.info:
            continue
        language = block.info.split()[0].lstrip(".{").rstrip("}")
        if language not in PYTHON_LANGUAGES:
            continue
        content = [line for line in block.lines[1:-1] if line.strip()]
        if content and content[0].strip() == PSEUDO_CODE_MARK:
            continue
        if not content or not all(REFERENCE.match(line) for line in content):
            problems.append(Problem(
                page,
                "Python code is pasted into the page; move it to a file under examples/, mark a region "
                "and include it with --8<-- \"examples/...py:region\" (or start the fence with "
                f"'{PSEUDO_CODE_MARK}' if it is not meant to run)",
                first_line + block.start,
                "code fence",
            ))
    return problems

