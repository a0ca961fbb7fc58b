"""Export a quiz bank to Moodle GIFT, the plain-text question format most LMSs import.

Choices are exported in the bank file's order, not the page's shuffled order: Moodle shuffles the
choices of every attempt itself ("Shuffle within questions", on by default), so the order in the file
does not reach students.
"""

from __future__ import annotations

import re

from coursekit.quizzes.bank import LoadedBank, Question

_SPECIAL = re.compile(r"([~=#{}:\\])")


def escape(text: str) -> str:
    """Escape GIFT's control characters and fold newlines (GIFT questions are line-oriented)."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def question_to_gift(question: Question, section: int) -> str:
    """Return one question in GIFT syntax, with per-choice feedback and a category-like title."""
    title = f"::{escape(f'{section}/{question.lecture} {question.id}')}::"
    prompt = f"[markdown]{escape(question.prompt)}"
    if question.type == "short":
        if question.answers:
            answers = " ".join(f"={escape(answer)}" for answer in question.answers)
            return f"{title}{prompt} {{{answers} ####{escape(question.model_answer or '')}}}"
        return f"{title}{prompt} {{####{escape(question.model_answer or '')}}}"
    lines = [f"{title}{prompt} {{"]
    if question.type == "single":
        for choice in question.choices:
            mark = "=" if choice.correct else "~"
            lines.append(f"  {mark}{escape(choice.text)} #{escape(choice.explanation)}")
    else:
        right = sum(choice.correct for choice in question.choices)
        wrong = len(question.choices) - right
        for choice in question.choices:
            weight = _weight(100 / right) if choice.correct else _weight(-100 / wrong)
            lines.append(f"  ~%{weight}%{escape(choice.text)} #{escape(choice.explanation)}")
    lines.append("}")
    return "\n".join(lines)


def _weight(value: float) -> str:
    """Moodle accepts only certain percentages; round to the 5 decimals it stores."""
    return f"{value:.5f}".rstrip("0").rstrip(".")


def bank_to_gift(loaded: LoadedBank, title: str) -> str:
    """Return a whole bank as a GIFT file, questions in a category named after the section."""
    header = [f"// {title}", f"$CATEGORY: MLOps course/Section {loaded.section}", ""]
    return "\n".join(header + [question_to_gift(q, loaded.section) + "\n" for q in loaded.bank.questions])
