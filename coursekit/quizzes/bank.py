"""The quiz bank schema and loader. One bank per section: ``quizzes/section-NN.yml``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError, model_validator

from coursekit.frontmatter import load_yaml_node, yaml_problem
from coursekit.problems import Problem, display_path
from coursekit.quizzes.length import length_problems
from coursekit.quizzes.order import position_problems

BANK_NAME = re.compile(r"^section-(?P<number>\d{2})\.ya?ml$")
MIN_QUESTIONS, MAX_QUESTIONS = 5, 10
MIN_SHORT = 2
# "A. ...", "b) ...", "(C) ...", "1. ...": the page numbers nothing and shuffles the choices.
_LETTER_LABEL = re.compile(r"^\s*\(?([A-Za-z]|\d{1,2})[.)]\s")
_SPACE_IN_PATTERN = re.compile(r"\s|\\s")


def normalise_answer(text: str) -> str:
    """Normalise a short answer the way ``quiz.js`` does: lower case, every whitespace character removed.

    "Case and spacing ignored": ``SHA 256``, ``sha256`` and `` Sha 256 `` are the same answer.
    """
    return "".join(text.lower().split())


def short_answer_is_right(question: Question, text: str) -> bool:
    """Grade a short answer exactly as ``quiz.js`` does.

    The answer is right when its normalised form equals a normalised entry of ``answers``, or when
    ``pattern`` is found in the normalised form (``re.search``, case ignored). So a pattern sees the
    answer in lower case with no spaces at all, and must contain none itself.
    """
    answer = normalise_answer(text)
    if answer in {normalise_answer(accepted) for accepted in question.answers}:
        return True
    return bool(question.pattern) and re.search(question.pattern or "", answer, re.IGNORECASE) is not None


class Choice(BaseModel):
    """One choice of a multiple-choice question, with the explanation shown after answering."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: StrictStr = Field(min_length=1)
    correct: StrictBool = False
    explanation: StrictStr = Field(min_length=10)

    @model_validator(mode="after")
    def _no_letter_label(self) -> Choice:
        label = _LETTER_LABEL.match(self.text)
        if label:
            raise ValueError(f"the choice text starts with the label {label.group(0).strip()!r}; the page shuffles "
                             "the choices and labels nothing, so write the text without it (for a choice "
                             "that names an option, say e.g. 'Threshold A: ...')")
        return self


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
                if _SPACE_IN_PATTERN.search(self.pattern):
                    raise ValueError("'pattern' contains a space or \\s, but it is matched against the answer with "
                                     "every space removed (case and spacing are ignored), so it could never match "
                                     "there: write 'modelregistry', not 'model registry'")
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

    @model_validator(mode="after")
    def _enough_short_answers(self) -> Bank:
        short = sum(question.type == "short" for question in self.questions)
        if short < MIN_SHORT:
            raise ValueError(f"a bank needs at least {MIN_SHORT} short-answer questions (type: short) among its "
                             f"questions, so it checks recall of a term as well as recognition (has {short})")
        return self


class LoadedBank(BaseModel):
    """A valid bank together with where it came from.

    Attributes:
        lines: Question id to the 1-based line of the file where the question starts.
    """

    section: int
    path: Path
    bank: Bank
    lines: dict[str, int] = {}


def _line_of(node: yaml.Node | None, location: tuple[object, ...]) -> int | None:
    """The 1-based line of the deepest node of ``location`` that exists in the YAML tree."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in location:
        if isinstance(node, yaml.MappingNode):
            pair = next(((key, value) for key, value in node.value if key.value == part), None)
            if pair is None:
                break
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _field(data: object, location: tuple[object, ...]) -> str | None:
    """Name a location as a reader counts: ``question X choice 3 explanation`` (choices are 1-based)."""
    parts: list[str] = []
    rest = list(location)
    if len(rest) >= 2 and rest[0] == "questions" and isinstance(rest[1], int):
        try:
            question = data["questions"][rest[1]]  # type: ignore[index]
            parts.append(f"question {question.get('id', '#' + str(rest[1] + 1))!s}")
        except (KeyError, IndexError, TypeError, AttributeError):
            parts.append(f"question #{rest[1] + 1}")
        rest = rest[2:]
    while rest:
        part = rest.pop(0)
        if part == "choices" and rest and isinstance(rest[0], int):
            parts.append(f"choice {rest.pop(0) + 1}")
        elif isinstance(part, int):
            parts.append(f"item {part + 1}")
        else:
            parts.append(str(part))
    return " ".join(parts) or None


def _question_lines(node: yaml.Node | None, bank: Bank) -> dict[str, int]:
    lines: dict[str, int] = {}
    for index, question in enumerate(bank.questions):
        line = _line_of(node, ("questions", index))
        if line is not None:
            lines.setdefault(question.id, line)
    return lines


def load_bank(path: Path, root: Path | None = None) -> tuple[LoadedBank | None, list[Problem]]:
    """Read one bank; return it, or ``None`` and one problem per broken field, with its line.

    Args:
        path: The bank file.
        root: Directory that file names in problems are shown relative to (default: the working directory).
    """
    shown = display_path(path, root)
    name = BANK_NAME.match(path.name)
    if not name:
        return None, [Problem(shown, "a quiz bank must be named section-NN.yml, e.g. quizzes/section-07.yml")]
    text = path.read_text(encoding="utf-8")
    try:
        data, node = load_yaml_node(text)
    except yaml.YAMLError as error:
        return None, [yaml_problem(shown, error, text)]
    try:
        bank = Bank.model_validate(data)
    except ValidationError as error:
        problems = []
        for issue in error.errors():
            location = tuple(issue["loc"])
            message = re.sub(r"^Value error, ", "", issue["msg"])
            if issue["type"] == "extra_forbidden":
                message = "unknown field; see the schema in CONTRIBUTING.md"
            problems.append(Problem(shown, message, _line_of(node, location), field=_field(data, location)))
        return None, problems
    lines = _question_lines(node, bank)
    problems = []
    seen: set[str] = set()
    for index, question in enumerate(bank.questions):
        if question.id in seen:
            problems.append(Problem(shown, "duplicate question id; ids must be unique in a bank",
                                    _line_of(node, ("questions", index)), field=f"question {question.id}"))
        seen.add(question.id)
    problems.extend(position_problems(bank, shown, lines))
    problems.extend(length_problems(bank, shown, lines))
    if problems:
        return None, problems
    return LoadedBank(section=int(name.group("number")), path=path, bank=bank, lines=lines), []
