"""Quiz banks: schema errors name the file, the question and the field; rendering and GIFT export."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from coursekit.course import load_course
from coursekit.problems import CourseError
from coursekit.quizzes.bank import load_bank
from coursekit.quizzes.gift import bank_to_gift, escape
from coursekit.quizzes.render import render_bank
from tests.conftest import GOOD_FRONT_MATTER

SINGLE = {
    "id": "pick-one", "lecture": "1.1", "objectives": [1], "type": "single", "prompt": "Which one is right?",
    "choices": [
        {"text": "Right", "correct": True, "explanation": "Because it is right."},
        {"text": "Wrong", "explanation": "Because it is wrong."},
        {"text": "Also wrong", "explanation": "Because it is wrong too."},
    ],
}
MULTIPLE = {**copy.deepcopy(SINGLE), "id": "pick-two", "type": "multiple"}
MULTIPLE["choices"][1]["correct"] = True
SHORT = {"id": "say-it", "lecture": "1.1", "objectives": [2], "type": "short",
         "prompt": "Name the alias of the live model.", "answers": ["champion"],
         "model_answer": "The champion alias points at the live version."}


def bank(questions) -> str:
    return yaml.safe_dump({"questions": questions}, sort_keys=False)


def good_questions():
    return [SINGLE, MULTIPLE, SHORT] + [{**SINGLE, "id": f"more-{n}"} for n in range(2)]


def write(tmp_path, text, name="section-01.yml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_good_bank_loads(tmp_path):
    loaded, problems = load_bank(write(tmp_path, bank(good_questions())))
    assert problems == []
    assert loaded.section == 1 and len(loaded.bank.questions) == 5


@pytest.mark.parametrize("change, field, words", [
    (lambda q: q[0]["choices"][0].update(correct=False), "question pick-one", "exactly one"),
    (lambda q: q[1]["choices"][1].update(correct=False), "question pick-two", "at least two correct"),
    (lambda q: q[2].pop("model_answer"), "question say-it", "model_answer"),
    (lambda q: q[2].update(pattern="(["), "question say-it", "not a valid regular expression"),
    (lambda q: q[0]["choices"][2].pop("explanation"), "question pick-one choices.2.explanation", "Field required"),
    (lambda q: q[0].update(type="essay"), "question pick-one type", "single"),
    (lambda q: q[0].update(colour="red"), "question pick-one colour", "unknown field"),
    (lambda q: q[0].update(objectives=[]), "question pick-one objectives", "at least 1 item"),
])
def test_bad_question_names_question_and_field(tmp_path, change, field, words):
    questions = copy.deepcopy(good_questions())
    change(questions)
    loaded, problems = load_bank(write(tmp_path, bank(questions)))
    assert loaded is None
    assert any(problem.field == field and words in problem.message for problem in problems), problems


def test_bank_size_duplicates_and_name(tmp_path):
    _, few = load_bank(write(tmp_path, bank(good_questions()[:3])))
    assert "at least 5" in few[0].message
    _, dupes = load_bank(write(tmp_path, bank([*good_questions()[:4], SINGLE])))
    assert dupes[0].field == "question pick-one" and "duplicate" in dupes[0].message
    _, named = load_bank(write(tmp_path, bank(good_questions()), name="quiz1.yml"))
    assert "section-NN.yml" in named[0].message


def test_bank_must_point_at_existing_lectures(course_tree):
    questions = copy.deepcopy(good_questions())
    questions[0]["lecture"] = "1.7"
    questions[1]["objectives"] = [4]
    root = course_tree({"docs/course/01-big-picture/1.1-a.md": GOOD_FRONT_MATTER,
                        "quizzes/section-01.yml": bank(questions)})
    with pytest.raises(CourseError) as caught:
        load_course(root)
    messages = [str(problem) for problem in caught.value.problems]
    assert any("question pick-one lecture: lecture '1.7' does not exist" in m for m in messages)
    assert any("question pick-two objectives: lecture 1.1 has only 2 objectives" in m for m in messages)


def test_every_objective_must_be_checked(course_tree):
    questions = [question for question in copy.deepcopy(good_questions()) if question["id"] != "say-it"]
    questions.append({**SINGLE, "id": "extra"})
    root = course_tree({"docs/course/01-big-picture/1.1-a.md": GOOD_FRONT_MATTER,
                        "quizzes/section-01.yml": bank(questions)})
    with pytest.raises(CourseError) as caught:
        load_course(root)
    [problem] = caught.value.problems
    assert "objective 2 of lecture 1.1 ('Compare two ways of doing it') is checked by no question" in str(problem)


def test_render_has_one_form_per_question_and_accessible_inputs(tmp_path):
    loaded, _ = load_bank(write(tmp_path, bank(good_questions())))
    html = render_bank(loaded, {"1.1": '<a href="x">1.1</a>'}, "section-01.gift")
    assert html.count('<form class="quiz-question"') == 5
    ids = re.findall(r'<input[^>]* id="([^"]+)"', html)
    assert ids and all(f'for="{field_id}"' in html for field_id in ids)
    assert 'data-answers="[&quot;champion&quot;]"' in html
    assert html.count('data-correct="true"') == 1 + 2 + 2


def test_gift_export(tmp_path):
    loaded, _ = load_bank(write(tmp_path, bank(good_questions())))
    gift = bank_to_gift(loaded, "Section 1 quiz")
    assert "$CATEGORY: MLOps course/Section 1" in gift
    assert "=Right #Because it is right." in gift
    assert "~%50%Right" in gift and "~%-100%Also wrong" in gift
    assert "{=champion ####The champion alias" in gift
    assert escape("a=b {c} #d: ~e") == r"a\=b \{c\} \#d\: \~e"


def _bank_texts(root) -> list[str]:
    texts = []
    for path in sorted((root / "quizzes").glob("section-*.yml")):
        for question in yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]:
            texts += [question["prompt"], question.get("model_answer") or ""]
            for choice in question.get("choices", []):
                texts += [choice["text"], choice["explanation"]]
    return texts


TRICKY_TEXTS = [
    "Plain sentence, with a comma.", "1. A numbered line", "- a bullet", "# heading", "a `code` span",
    "x < y & z", "see [docs](https://example.com)", "**bold**", "snake_case_name", "a: b", "two\nlines",
    "para one\n\npara two", "    indented code", "=== tab", "{: .class}", "line  ", "line  \n", "ends\n",
    " leading space",
    "ends with backslash \\", "a | table | row", "!!! note", "~~strike~~", "It's \"quoted\".", "10,000 rows",
]


@pytest.mark.parametrize("inline", [False, True])
def test_fast_path_renders_exactly_like_markdown(inline):
    from pathlib import Path

    from coursekit.quizzes import render

    root = Path(__file__).resolve().parent.parent
    texts = _bank_texts(root) + TRICKY_TEXTS
    plain = [text for text in texts if render._PLAIN_LINE.fullmatch(text.rstrip())]
    assert len(plain) > len(TRICKY_TEXTS) // 4, "the fast path never applies"
    for text in texts:
        slow = render._converter.reset().convert(text)
        if inline:
            slow = re.sub(r"^<p>(.*)</p>$", r"\1", slow.strip(), flags=re.S)
        assert render._md(text, inline=inline) == slow, text
