"""Render a quiz bank as an HTML fragment that ``quiz.js`` grades in the browser.

The fragment is plain HTML (forms, radio buttons, checkboxes, a text field), so it works with the
keyboard and screen readers without any script; the script adds grading, explanations, the score
and persistence in local storage.
"""

from __future__ import annotations

import html
import json
import re

import markdown

from coursekit.quizzes.bank import LoadedBank, Question, normalise_answer
from coursekit.quizzes.order import display_order

__all__ = ["normalise_answer", "render_bank", "render_question"]

MARKDOWN_EXTENSIONS = ["attr_list", "tables", "pymdownx.inlinehilite", "pymdownx.superfences"]
_converter = markdown.Markdown(extensions=MARKDOWN_EXTENSIONS)


# One line of text with nothing Markdown or HTML would act on: rendering it is wrapping it in <p>.
# Most choices and explanations are like that, and a Markdown call costs about 0.3 ms each.
_PLAIN_LINE = re.compile(r"[^\s\d\-+=`*_\[\]{}<>&#|!~\\:][^\n`*_\[\]{}<>&#|!~\\:]*")


def _md(text: str, *, inline: bool = False) -> str:
    stripped = text.rstrip("\n")
    if _PLAIN_LINE.fullmatch(stripped) and not stripped.endswith((" ", "\t")):
        return stripped if inline else f"<p>{stripped}</p>"
    rendered = _converter.reset().convert(text)
    if inline:
        rendered = re.sub(r"^<p>(.*)</p>$", r"\1", rendered.strip(), flags=re.S)
    return rendered


def _choices(question: Question, key: str) -> list[str]:
    """The choices in their displayed (shuffled) order; each input's value is its index in the file.

    ``quiz.js`` grades by ``data-correct`` and stores the values, so saved answers name the same
    choices whatever order the page shows.
    """
    kind = "radio" if question.type == "single" else "checkbox"
    parts = []
    for index in display_order(question):
        choice = question.choices[index]
        field_id = f"{key}-c{index}"
        parts.append(
            f'<div class="quiz-choice" data-correct="{str(choice.correct).lower()}">'
            f'<input type="{kind}" id="{field_id}" name="{key}" value="{index}">'
            f'<label for="{field_id}">{_md(choice.text, inline=True)}</label>'
            f'<div class="quiz-explanation" hidden>{_md(choice.explanation)}</div>'
            "</div>"
        )
    return parts


def _short(question: Question, key: str) -> list[str]:
    answers = html.escape(json.dumps([normalise_answer(answer) for answer in question.answers]))
    pattern = html.escape(question.pattern or "")
    return [
        f'<label class="quiz-short-label" for="{key}-text">Your answer</label>',
        f'<input class="quiz-short" type="text" id="{key}-text" name="{key}" autocomplete="off" '
        f'data-answers="{answers}" data-pattern="{pattern}">',
        f'<div class="quiz-model-answer" hidden><p><strong>Model answer:</strong></p>'
        f"{_md(question.model_answer or '')}</div>",
    ]


def render_question(question: Question, number: int, quiz_id: str, lecture_link: str) -> str:
    """Return one question as an HTML ``<form>``."""
    key = f"{quiz_id}-{question.id}"
    kind = {"single": "Choose one", "multiple": "Choose all that apply", "short": "Short answer"}[question.type]
    body = _short(question, key) if question.type == "short" else _choices(question, key)
    return "\n".join([
        f'<form class="quiz-question" id="{key}" data-question="{question.id}" data-type="{question.type}">',
        "<fieldset>",
        f'<legend>Question {number} <span class="quiz-kind">({kind})</span></legend>',
        f'<div class="quiz-prompt">{_md(question.prompt)}</div>',
        *body,
        '<div class="quiz-actions"><button type="submit" class="md-button">Check answer</button></div>',
        '<p class="quiz-feedback" role="status" aria-live="polite"></p>',
        f'<p class="quiz-source">Revisit: {lecture_link}</p>',
        "</fieldset>",
        "</form>",
    ])


def render_bank(loaded: LoadedBank, lecture_links: dict[str, str], gift_url: str) -> str:
    """Return the whole quiz as an HTML fragment for a Markdown page.

    Args:
        loaded: The validated bank.
        lecture_links: Lecture id to an HTML link to that lecture, for the "Revisit" lines.
        gift_url: Relative URL of the bank's Moodle GIFT export.
    """
    quiz_id = f"section-{loaded.section:02d}"
    questions = [
        render_question(question, number, quiz_id, lecture_links.get(question.lecture, f"lecture {question.lecture}"))
        for number, question in enumerate(loaded.bank.questions, start=1)
    ]
    total = len(questions)
    return "\n".join([
        f'<div class="quiz" data-quiz="{quiz_id}" data-total="{total}">',
        f'<p class="quiz-score" role="status" aria-live="polite">Score: 0 of {total} '
        "(your answers are kept in this browser)</p>",
        *questions,
        '<p class="quiz-tools"><button type="button" class="md-button quiz-reset">Reset my answers</button> '
        f'<a class="md-button" href="{gift_url}" download>Download for Moodle (GIFT)</a></p>',
        "</div>",
    ])
