"""The check that a bank's answers cannot be guessed from the choices' length or count.

Authors tend to make the right choice the careful, qualified, longest one and to give every
select-all question three right choices. A student who notices can pass without reading. This
module measures the "pick the longest" strategy over a bank (single choice: the longest choice;
multiple choice: the k longest, k being the number of right choices) and fails a bank it answers
too often, a single-choice question whose right choice stands out by length, and a bank whose
multiple-choice questions all have the same number of right choices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coursekit.problems import Problem

if TYPE_CHECKING:
    from coursekit.quizzes.bank import Bank, Question

# "Always pick the longest choice(s)" may answer at most this share of a bank's choice questions.
MAX_LONGEST_CHOICE_SCORE = 0.4
# A single-choice question's right choice may be at most this many times as long as its longest wrong one.
MAX_LENGTH_RATIO = 1.5
# From this many multiple-choice questions on, they must not all have the same number of right choices.
MIN_MULTIPLE_FOR_VARIETY = 3

FIX_LENGTH = ("shorten the right choice or give the wrong ones the same specific detail (numbers, names, a "
              "reason), so that length says nothing, then run the check again")


def visible_length(text: str) -> int:
    """The length a reader sees: the choice text without Markdown backticks and surrounding spaces."""
    return len(text.replace("`", "").strip())


def longest_choices(question: Question) -> set[int]:
    """Source indices of the k longest choices, k being the number of right ones.

    Ties are broken in the file's order, so the result does not depend on the page's shuffle.
    """
    k = sum(choice.correct for choice in question.choices)
    by_length = sorted(range(len(question.choices)), key=lambda index: -visible_length(question.choices[index].text))
    return set(by_length[:k])


def longest_guess_is_right(question: Question) -> bool:
    """Whether "pick the longest choice(s)" answers this choice question fully right."""
    right = {index for index, choice in enumerate(question.choices) if choice.correct}
    return longest_choices(question) == right


def length_ratio(question: Question) -> float:
    """A single-choice question's right-choice length divided by the length of its longest wrong choice."""
    right = max(visible_length(choice.text) for choice in question.choices if choice.correct)
    wrong = max(visible_length(choice.text) for choice in question.choices if not choice.correct)
    return right / max(wrong, 1)


def length_problems(bank: Bank, shown: str, lines: dict[str, int]) -> list[Problem]:
    """Problems when the length or the number of a bank's right choices gives the answers away.

    Rules:

    - "pick the longest choice(s)" answers at most ``MAX_LONGEST_CHOICE_SCORE`` of the bank's choice
      questions fully right;
    - a single-choice question's right choice is at most ``MAX_LENGTH_RATIO`` times as long as its
      longest wrong choice;
    - from ``MIN_MULTIPLE_FOR_VARIETY`` multiple-choice questions on, not all of them have the same
      number of right choices.

    Args:
        bank: The validated bank.
        shown: The bank's file name as reported.
        lines: Question id to the 1-based line where the question starts.
    """
    problems: list[Problem] = []
    choice_questions = [question for question in bank.questions if question.type != "short"]
    guessed = [question for question in choice_questions if longest_guess_is_right(question)]
    if choice_questions and len(guessed) > MAX_LONGEST_CHOICE_SCORE * len(choice_questions):
        ids = ", ".join(question.id for question in guessed)
        problems.append(Problem(
            shown, f"always picking the longest choice (in a multiple-choice question, the k longest, k being the "
            f"number of right choices) answers {len(guessed)} of the bank's {len(choice_questions)} choice "
            f"questions right (at most {MAX_LONGEST_CHOICE_SCORE:.0%} may be). In one of {ids}, {FIX_LENGTH}",
            lines.get(guessed[-1].id), field=f"question {guessed[-1].id}"))
    for question in choice_questions:
        if question.type == "single" and length_ratio(question) > MAX_LENGTH_RATIO:
            problems.append(Problem(
                shown, f"the right choice is {length_ratio(question):.1f} times as long as the longest wrong one "
                f"(at most {MAX_LENGTH_RATIO} may be), which gives it away; {FIX_LENGTH}",
                lines.get(question.id), field=f"question {question.id}"))
    multiples = [question for question in choice_questions if question.type == "multiple"]
    counts = {sum(choice.correct for choice in question.choices) for question in multiples}
    if len(multiples) >= MIN_MULTIPLE_FOR_VARIETY and len(counts) == 1:
        problems.append(Problem(
            shown, f"all {len(multiples)} multiple-choice questions have exactly {counts.pop()} right choices, so a "
            "student learns to tick that many; give some of them another number of right choices (turn a right "
            "choice into a plausible wrong one, or the other way round), then run the check again",
            lines.get(multiples[-1].id), field=f"question {multiples[-1].id}"))
    return problems
