"""The quiz bank schema and loader. One bank per section: ``quizzes/section-NN.yml``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError, model_validator

from coursekit.frontmatter import load_yaml, yaml_problem
from coursekit.problems import Problem, display_path

BANK_NAME = re.compile(r"^section-(?P<number>\d{2})\.ya?ml$")
MIN_QUESTIONS, MAX_QUESTIONS = 5, 10


class Choice(BaseModel):
    """One choice of a multiple-choice question, with the explanation shown after answering."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: StrictStr = Field(min_length=1)
    correct: StrictBool = False
    explanation: StrictStr = Field(min_length=10)


class Question(BaseModel):
    """One question of a bank."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: StrictStr = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    lecture: StrictStr = Field(pattern=r"^[1-9][0-9]?\.[1-9][0-9]?$")
    objectives: list[Annotated[StrictInt, Field(ge=1, le=4)]] = Field(min_length=1)
    type: Literal["single", "multiple", "short"]
    prompt: StrictStr = Field(min_length=10)
    choices: list[Choice] = []
    answers: list[StrictStr] = []
    pattern: StrictStr | None = None
    model_answer: StrictStr | None = None

    @model_validator(mode="after")
    def _check_shape(self) -> Question:
        correct = sum(choice.correct for choice in self.choices)
        if self.type == "short":
            if self.choices:
                raise ValueError("a short-answer question has no 'choices'; give 'answers' and/or 'pattern'")
            if not self.answers and not self.pattern:
                raise ValueError("a short-answer question needs 'answers' (a list) or a 'pattern' (a regex)")
            if not self.model_answer:
                raise ValueError("a short-answer question needs a 'model_answer', shown after every attempt")
            if self.pattern:
                try:
                    re.compile(self.pattern)
                except re.error as error:
                    raise ValueError(f"'pattern' is not a valid regular expression: {error}") from None
            return self
        if not 3 <= len(self.choices) <= 6:
            raise ValueError(f"a {self.type}-choice question needs 3 to 6 'choices' (has {len(self.choices)})")
        if self.type == "single" and correct != 1:
            raise ValueError(f"a single-choice question needs exactly one choice with 'correct: true' (has {correct})")
        if self.type == "multiple" and not 2 <= correct < len(self.choices):
            raise ValueError("a multiple-choice question needs at least two correct choices and one wrong one "
                             f"(has {correct} correct of {len(self.choices)})")
        if self.answers or self.pattern:
            raise ValueError("'answers' and 'pattern' belong to short-answer questions only")
        return self


class Bank(BaseModel):
    """A section's question bank."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    questions: list[Question] = Field(min_length=MIN_QUESTIONS, max_length=MAX_QUESTIONS)


class LoadedBank(BaseModel):
    """A valid bank together with where it came from."""

    section: int
    path: Path
    bank: Bank


def _question_id(data: object, location: tuple[object, ...]) -> str | None:
    if len(location) >= 2 and location[0] == "questions" and isinstance(location[1], int):
        try:
            question = data["questions"][location[1]]  # type: ignore[index]
            return f"question {question.get('id', '#' + str(location[1] + 1))!s}"
        except (KeyError, IndexError, TypeError, AttributeError):
            return f"question #{location[1] + 1}"
    return None


def load_bank(path: Path, root: Path | None = None) -> tuple[LoadedBank | None, list[Problem]]:
    """Read one bank; return it, or ``None`` and one problem per broken field.

    Args:
        path: The bank file.
        root: Directory that file names in problems are shown relative to (default: the working directory).
    """
    shown = display_path(path, root)
    name = BANK_NAME.match(path.name)
    if not name:
        return None, [Problem(shown, "a quiz bank must be named section-NN.yml, e.g. quizzes/section-07.yml")]
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        return None, [yaml_problem(shown, error)]
    try:
        bank = Bank.model_validate(data)
    except ValidationError as error:
        problems = []
        for issue in error.errors():
            location = tuple(issue["loc"])
            question = _question_id(data, location)
            rest = [str(part) for part in (location[2:] if question else location)]
            field = " ".join(part for part in [question, ".".join(rest)] if part) or None
            message = re.sub(r"^Value error, ", "", issue["msg"])
            if issue["type"] == "extra_forbidden":
                message = "unknown field; see the schema in CONTRIBUTING.md"
            problems.append(Problem(shown, message, field=field))
        return None, problems
    problems = []
    seen: set[str] = set()
    for question in bank.questions:
        if question.id in seen:
            problems.append(Problem(shown, "duplicate question id; ids must be unique in a bank",
                                    field=f"question {question.id}"))
        seen.add(question.id)
    if problems:
        return None, problems
    return LoadedBank(section=int(name.group("number")), path=path, bank=bank), []
