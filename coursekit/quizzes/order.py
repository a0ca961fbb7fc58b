"""The order a quiz page shows a question's choices in, and the check that it gives no answer away.

Authors tend to write the correct choice first. The page therefore shows the choices in a shuffled
order seeded by the question id: the same on every build and every machine, unrelated to the source
order. The check then looks at the *displayed* positions of a whole bank, so a student who always
picks the same position cannot pass.
"""

from __future__ import annotations

import hashlib
import math
import random
from typing import TYPE_CHECKING

from coursekit.problems import Problem

if TYPE_CHECKING:
    from coursekit.quizzes.bank import Bank, Question

# "Always pick the first choice" may score at most this share of a bank's choice questions.
MAX_FIRST_CHOICE_SCORE = 0.4


def display_order(question: Question) -> list[int]:
    """Source indices (0-based) of the question's choices, in the order the page shows them.

    A Fisher-Yates shuffle (``random.Random.shuffle``) seeded by the SHA-256 of the question id:
    stable between builds, different from question to question, independent of the source order.
    """
    order = list(range(len(question.choices)))
    seed = int.from_bytes(hashlib.sha256(question.id.encode("utf-8")).digest(), "big")
    random.Random(seed).shuffle(order)
    return order


def displayed_correct(question: Question) -> list[int]:
    """The 0-based displayed positions of the question's correct choices."""
    return [position for position, source in enumerate(display_order(question))
            if question.choices[source].correct]


FIX = ("move the correct choice to another place in the question's list of choices in the file (the page's "
       "order follows from the question id and the file's order), then run the check again")
FIX_MULTIPLE = ("swap a correct and a wrong choice in the question's list of choices in the file (the page's order "
                "follows from the question id and the file's order), then run the check again")


def position_problems(bank: Bank, shown: str, lines: dict[str, int]) -> list[Problem]:
    """Problems when the displayed positions of a bank's correct answers give the answers away.

    Rules, on the order the page shows:

    - single choice: no position holds the correct answer of more than half (rounded up) of the
      bank's single-choice questions, and "always pick the first choice" answers at most
      ``MAX_FIRST_CHOICE_SCORE`` of all choice questions right;
    - multiple choice: the correct choices of a question are not all shown before every wrong one.

    Args:
        bank: The validated bank.
        shown: The bank's file name as reported.
        lines: Question id to the 1-based line where the question starts.
    """
    problems: list[Problem] = []
    singles = [question for question in bank.questions if question.type == "single"]
    choice_questions = [question for question in bank.questions if question.type != "short"]
    by_position: dict[int, list[Question]] = {}
    for question in singles:
        by_position.setdefault(displayed_correct(question)[0], []).append(question)
    limit = math.ceil(len(singles) / 2)
    for position, questions in sorted(by_position.items()):
        if len(singles) >= 2 and len(questions) > limit:
            ids = ", ".join(question.id for question in questions)
            problems.append(Problem(
                shown, f"{len(questions)} of the bank's {len(singles)} single-choice questions show their correct "
                f"answer as choice {position + 1} on the page (at most {limit} may): a student who always picks "
                f"choice {position + 1} gets them all right. For one of {ids}, {FIX}",
                lines.get(questions[-1].id), field=f"question {questions[-1].id}"))
    first = by_position.get(0, [])
    if choice_questions and len(first) > MAX_FIRST_CHOICE_SCORE * len(choice_questions):
        ids = ", ".join(question.id for question in first)
        problems.append(Problem(
            shown, f"always picking the first choice answers {len(first)} of the bank's {len(choice_questions)} "
            f"choice questions right (at most {MAX_FIRST_CHOICE_SCORE:.0%} may be). For one of {ids}, {FIX}",
            lines.get(first[-1].id), field=f"question {first[-1].id}"))
    for question in bank.questions:
        if question.type == "multiple" and displayed_correct(question) == list(range(len(displayed_correct(question)))):
            problems.append(Problem(
                shown, "the page shows all the correct choices first, before every wrong one, which gives them "
                f"away; {FIX_MULTIPLE}", lines.get(question.id), field=f"question {question.id}"))
    return problems
