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
SHORT2 = {**SHORT, "id": "say-more", "objectives": [1], "answers": [], "pattern": "^sha-?256$",
          "prompt": "Name the hash of the data fingerprint."}


def bank(questions) -> str:
    return yaml.safe_dump({"questions": questions}, sort_keys=False)


def good_questions():
    """A valid bank written "correct first", as authors do; the shuffled page spreads it."""
    questions = [SINGLE, MULTIPLE, SHORT] + [{**SINGLE, "id": f"more-{n}"} for n in range(2)] + [SHORT2]
    return [copy.deepcopy(question) for question in questions]


def good_bank() -> str:
    """The text of a valid bank for lecture 1.1 of ``GOOD_FRONT_MATTER``."""
    return bank(good_questions())


def write(tmp_path, text, name="section-01.yml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_good_bank_loads(tmp_path):
    loaded, problems = load_bank(write(tmp_path, bank(good_questions())))
    assert problems == []
    assert loaded.section == 1 and len(loaded.bank.questions) == 6


@pytest.mark.parametrize("change, field, words", [
    (lambda q: q[0]["choices"][0].update(correct=False), "question pick-one", "exactly one"),
    (lambda q: q[1]["choices"][1].update(correct=False), "question pick-two", "at least two correct"),
    (lambda q: q[2].pop("model_answer"), "question say-it", "model_answer"),
    (lambda q: q[2].update(pattern="(["), "question say-it", "not a valid regular expression"),
    (lambda q: q[0]["choices"][2].pop("explanation"), "question pick-one choice 3 explanation", "Field required"),
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
    _, dupes = load_bank(write(tmp_path, bank([*good_questions(), SINGLE])))
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
    questions = [{**question, "objectives": [1]} for question in copy.deepcopy(good_questions())]
    root = course_tree({"docs/course/01-big-picture/1.1-a.md": GOOD_FRONT_MATTER,
                        "quizzes/section-01.yml": bank(questions)})
    with pytest.raises(CourseError) as caught:
        load_course(root)
    [problem] = caught.value.problems
    assert "objective 2 of lecture 1.1 ('Compare two ways of doing it') is checked by no question" in str(problem)


def test_render_has_one_form_per_question_and_accessible_inputs(tmp_path):
    loaded, _ = load_bank(write(tmp_path, bank(good_questions())))
    html = render_bank(loaded, {"1.1": '<a href="x">1.1</a>'}, "section-01.gift")
    assert html.count('<form class="quiz-question"') == 6
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


# --- Answer positions: the page's shuffled order must not give the answers away -------------------

def _correct_at(question: dict, position: int) -> dict:
    """Reorder a choice question's choices in the file so that the page shows a correct one at ``position``
    (single choice) or all the correct ones first (multiple choice)."""
    from coursekit.quizzes.bank import Question
    from coursekit.quizzes.order import display_order

    question = copy.deepcopy(question)
    right = [choice for choice in question["choices"] if choice.get("correct")]
    wrong = [choice for choice in question["choices"] if not choice.get("correct")]
    order = display_order(Question.model_validate(question))
    wanted = (right + wrong) if question["type"] == "multiple" else (
        wrong[:position] + right + wrong[position:])
    choices = [None] * len(order)
    for shown, source in enumerate(order):
        choices[source] = wanted[shown]
    question["choices"] = choices
    return question


def test_choices_are_shown_in_a_stable_order_unrelated_to_the_file(tmp_path):
    loaded, _ = load_bank(write(tmp_path, bank(good_questions())))
    links = {"1.1": '<a href="x">1.1</a>'}
    html = render_bank(loaded, links, "section-01.gift")
    assert html == render_bank(loaded, links, "section-01.gift"), "the page must be the same on every build"
    first = re.search(r'id="section-01-pick-one".*?</form>', html, re.S).group(0)
    shown = re.findall(r'data-correct="(true|false)"><input type="radio" id="section-01-pick-one-c(\d)" '
                       r'name="section-01-pick-one" value="(\d)"', first)
    assert [(correct, value) for correct, _, value in shown] != [("true", "0"), ("false", "1"), ("false", "2")]
    assert all(field_id == value for _, field_id, value in shown), "an input's value is its index in the file"
    assert {value for _, _, value in shown} == {"0", "1", "2"}
    assert ("true", "0") in [(correct, value) for correct, _, value in shown]


def test_a_bank_written_correct_first_still_passes_after_the_shuffle(tmp_path):
    questions = good_questions()
    assert all(q["choices"][0]["correct"] for q in questions if q["type"] != "short"), "the fixture is correct-first"
    loaded, problems = load_bank(write(tmp_path, bank(questions)))
    assert problems == [] and loaded is not None


def test_a_bank_whose_page_shows_the_answer_first_fails(tmp_path):
    questions = good_questions()
    concentrated = [_correct_at(q, 0) if q["type"] == "single" else q for q in questions]
    text = bank(concentrated)
    loaded, problems = load_bank(write(tmp_path, text))
    assert loaded is None
    messages = [str(problem) for problem in problems]
    assert any("3 of the bank's 3 single-choice questions show their correct answer as choice 1" in m
               for m in messages), messages
    assert any("always picking the first choice answers 3 of the bank's 4 choice questions right" in m
               for m in messages), messages
    assert all("move the correct choice to another place" in m for m in messages)
    line = text.splitlines().index("- id: more-1") + 1
    assert any(problem.line == line and problem.field == "question more-1" for problem in problems), problems


def test_a_multiple_choice_question_showing_its_correct_choices_first_fails(tmp_path):
    questions = good_questions()
    questions[1] = _correct_at(questions[1], 0)
    _, problems = load_bank(write(tmp_path, bank(questions)))
    [problem] = problems
    assert problem.field == "question pick-two" and "shows all the correct choices first" in problem.message
    assert "swap a correct and a wrong choice" in problem.message


@pytest.mark.parametrize("text", ["A. It costs less", "b) Because", "(C) Neither", "1. First", "D) x"])
def test_a_choice_text_with_a_letter_label_is_refused(tmp_path, text):
    questions = copy.deepcopy(good_questions())
    questions[0]["choices"][1]["text"] = text
    _, problems = load_bank(write(tmp_path, bank(questions)))
    assert [problem.field for problem in problems] == ["question pick-one choice 2"]
    assert "starts with the label" in problems[0].message


def test_a_choice_naming_an_option_is_fine(tmp_path):
    questions = copy.deepcopy(good_questions())
    questions[0]["choices"][1]["text"] = "Threshold A: it costs less. A, because it is cheaper."
    assert load_bank(write(tmp_path, bank(questions)))[1] == []


# --- Short answers: case and spacing ignored, the same in Python and quiz.js -----------------------

SHORT_CASES = [  # answers, pattern, typed, right
    (["sha256"], None, "SHA 256", True), (["sha256"], None, "  sha256 ", True), (["SHA 256"], None, "sha256", True),
    (["model registry"], None, "Model  Registry", True), (["model registry"], None, "modelregistry", True),
    (["sha256"], None, "sha 512", False), ([], "^sha-?256$", "SHA 256", True), ([], "^sha-?256$", "sha-256", True),
    ([], "^sha-?256$", "sha 2566", False), ([], "^ttl$", " T T L ", True), (["champion"], "^champ", "Champ ion", True),
]


@pytest.mark.parametrize("answers, pattern, typed, right", SHORT_CASES)
def test_short_answers_ignore_case_and_spacing(answers, pattern, typed, right):
    from coursekit.quizzes.bank import Question, short_answer_is_right

    question = Question.model_validate({**SHORT, "answers": answers, "pattern": pattern})
    assert short_answer_is_right(question, typed) is right


@pytest.mark.parametrize("pattern", ["^model registry$", r"^model\sregistry$"])
def test_a_pattern_with_a_space_is_refused(tmp_path, pattern):
    questions = copy.deepcopy(good_questions())
    questions[2]["pattern"] = pattern
    _, problems = load_bank(write(tmp_path, bank(questions)))
    assert [problem.field for problem in problems] == ["question say-it"]
    assert "every space removed" in problems[0].message


def test_a_bank_needs_two_short_answer_questions(tmp_path):
    questions = [question for question in good_questions() if question["id"] != "say-more"]
    _, problems = load_bank(write(tmp_path, bank(questions)))
    assert [problem.message[:40] for problem in problems] == ["a bank needs at least 2 short-answer que"]


# --- Problems name the line -----------------------------------------------------------------------

def test_a_bank_problem_names_its_line_and_a_one_based_choice(tmp_path):
    questions = copy.deepcopy(good_questions())
    questions[1]["choices"][2]["explanation"] = "short"
    text = bank(questions)
    _, problems = load_bank(write(tmp_path, text))
    [problem] = problems
    assert problem.field == "question pick-two choice 3 explanation"
    assert problem.line == text.splitlines().index("    explanation: short") + 1
    assert str(problem).endswith(f"section-01.yml:{problem.line}: question pick-two choice 3 explanation: "
                                 "String should have at least 10 characters")


def test_a_missing_field_names_the_line_of_its_question(tmp_path):
    questions = copy.deepcopy(good_questions())
    del questions[3]["prompt"]
    text = bank(questions)
    _, problems = load_bank(write(tmp_path, text))
    [problem] = problems
    assert problem.field == "question more-0 prompt"
    assert problem.line == text.splitlines().index("- id: more-0") + 1


def test_an_unclosed_quote_is_reported_on_its_own_line(tmp_path):
    lines = bank(good_questions()).splitlines()
    broken = lines.index("  lecture: '1.1'")
    lines[broken] = '  lecture: "1.1'
    _, problems = load_bank(write(tmp_path, "\n".join(lines) + "\n"))
    [problem] = problems
    assert problem.line == broken + 1, problem
    assert "not valid YAML" in problem.message and "not closed" in problem.message


def test_a_yaml_error_without_quotes_keeps_the_parser_line(tmp_path):
    lines = bank(good_questions()).splitlines()
    broken = lines.index("  type: single")
    lines[broken] = "  type: single: again"
    _, problems = load_bank(write(tmp_path, "\n".join(lines) + "\n"))
    assert [problem.line for problem in problems] == [broken + 1]


def test_a_lecture_with_broken_front_matter_yields_one_problem(course_tree):
    broken = GOOD_FRONT_MATTER.replace("duration: 10", "duration: [10")
    root = course_tree({"docs/course/01-big-picture/1.1-a.md": broken, "quizzes/section-01.yml": good_bank()})
    with pytest.raises(CourseError) as caught:
        load_course(root)
    [problem] = caught.value.problems
    assert problem.path.endswith("1.1-a.md") and "not valid YAML" in problem.message


def test_a_question_on_a_missing_lecture_names_its_line(course_tree):
    questions = copy.deepcopy(good_questions())
    questions[3]["lecture"] = "1.7"
    text = bank(questions)
    root = course_tree({"docs/course/01-big-picture/1.1-a.md": GOOD_FRONT_MATTER, "quizzes/section-01.yml": text})
    with pytest.raises(CourseError) as caught:
        load_course(root)
    [problem] = caught.value.problems
    assert problem.field == "question more-0 lecture" and problem.line == text.splitlines().index("- id: more-0") + 1


# --- Every published section has a bank -----------------------------------------------------------

def test_course_check_fails_a_published_section_without_a_bank(course_tree, capsys):
    from coursekit.cli import main

    root = course_tree({"docs/course/01-big-picture/1.1-a.md": GOOD_FRONT_MATTER})
    assert main(["--root", str(root), "check"]) == 1
    err = capsys.readouterr().err
    assert "quizzes/section-01.yml: section 1 has published lectures (1.1) but no quiz bank" in err
    assert "5 to 10 questions" in err


def test_the_course_has_a_bank_for_every_published_section(root):
    from coursekit.quizzes.coverage import missing_banks

    assert missing_banks(load_course(root)) == []


def test_contributing_shows_the_bank_schema_as_it_is(root):
    """The YAML example in CONTRIBUTING uses the schema's field names and every required field."""
    from coursekit.quizzes.bank import Choice, Question

    text = (root / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text[text.index("## Add or fix a quiz"):]
    example = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))
    required = {name for name, field in Question.model_fields.items() if field.is_required()}
    for question in example["questions"]:
        assert set(question) <= set(Question.model_fields), set(question) - set(Question.model_fields)
        assert required <= set(question), required - set(question)
        for choice in question.get("choices", []):
            assert set(choice) <= set(Choice.model_fields)


def test_an_unclosed_quote_in_front_matter_is_reported_on_its_line():
    """The parser stops where the quoted text happens to end, lines later; the problem names the line it opens."""
    from coursekit.frontmatter import FrontMatterError, split_front_matter

    text = GOOD_FRONT_MATTER.replace('title: "A lecture"', 'title: "A lecture')
    with pytest.raises(FrontMatterError) as caught:
        split_front_matter(text)
    assert caught.value.line == text.splitlines().index('title: "A lecture') + 1
    assert "not closed" in str(caught.value)


# --- Length and count: the right choices must not be guessable without reading -------------------

def _right_longest(question: dict) -> dict:
    """Rewrite a choice question so each right choice is a little longer than every wrong one (ratio about 1.1)."""
    question = copy.deepcopy(question)
    for choice in question.get("choices", []):
        choice["text"] = "Right, a bit longer" if choice.get("correct") else "Wrong, but shorter"
    return question


def test_a_bank_answered_by_always_picking_the_longest_choice_fails(tmp_path):
    questions = [_right_longest(question) for question in good_questions()]
    text = bank(questions)
    loaded, problems = load_bank(write(tmp_path, text))
    assert loaded is None
    [problem] = problems
    assert "always picking the longest choice" in problem.message
    assert "answers 4 of the bank's 4 choice questions right (at most 40% may be)" in problem.message
    assert "pick-one, pick-two, more-0, more-1" in problem.message and "shorten the right choice" in problem.message
    assert problem.field == "question more-1" and problem.line == text.splitlines().index("- id: more-1") + 1


def test_a_bank_where_the_longest_choice_is_right_only_sometimes_passes(tmp_path):
    questions = good_questions()
    questions[0] = _right_longest(questions[0])  # 1 of 4 choice questions: 25%
    assert load_bank(write(tmp_path, bank(questions)))[1] == []


def test_a_single_choice_answer_much_longer_than_every_wrong_one_fails(tmp_path):
    questions = good_questions()
    questions[0]["choices"][0]["text"] = "Right, with the careful detail only the right answer has"
    text = bank(questions)
    _, problems = load_bank(write(tmp_path, text))
    [problem] = problems
    assert problem.field == "question pick-one" and problem.line == text.splitlines().index("- id: pick-one") + 1
    assert "the right choice is 5.6 times as long as the longest wrong one (at most 1.5 may be)" in problem.message
    assert "give the wrong ones the same specific detail" in problem.message


def test_backticks_do_not_count_towards_a_choice_length(tmp_path):
    questions = good_questions()
    questions[0]["choices"][0]["text"] = "`Right`, and so"  # 13 visible characters against 10
    assert load_bank(write(tmp_path, bank(questions)))[1] == []


def _multiples(counts: list[int]) -> list[dict]:
    """Multiple-choice questions with the given numbers of right choices among four."""
    questions = []
    for number, count in enumerate(counts):
        question = copy.deepcopy(MULTIPLE)
        question["id"] = f"tick-{number}"
        question["choices"] = [{"text": f"Choice {n}", "correct": n < count, "explanation": "Because it is so."}
                               for n in range(4)]
        questions.append(question)
    return questions


@pytest.mark.parametrize("counts, fails", [([2, 2, 2], True), ([3, 3, 3], True), ([2, 3, 2], False), ([2, 2], False)])
def test_multiple_choice_questions_must_not_all_have_the_same_number_of_right_choices(tmp_path, counts, fails):
    questions = [SINGLE, SHORT, SHORT2, *_multiples(counts)]
    _, problems = load_bank(write(tmp_path, bank(questions)))
    same = [problem for problem in problems if "multiple-choice questions have exactly" in problem.message]
    assert bool(same) is fails, problems
    if fails:
        assert same[0].field == f"question tick-{len(counts) - 1}"
        assert f"all {len(counts)} multiple-choice questions have exactly {counts[0]} right choices" in same[0].message


def test_the_course_banks_cannot_be_passed_by_length_or_position(root):
    """The real banks: "always longest" and "always first" each answer at most 40% of a bank's choice questions."""
    from coursekit.quizzes.length import MAX_LONGEST_CHOICE_SCORE, longest_guess_is_right
    from coursekit.quizzes.order import display_order

    for path in sorted((root / "quizzes").glob("section-*.yml")):
        loaded, problems = load_bank(path, root)
        assert problems == [], problems
        questions = [question for question in loaded.bank.questions if question.type != "short"]
        longest = sum(longest_guess_is_right(question) for question in questions)
        first = sum(all(question.choices[index].correct
                        for index in display_order(question)[:sum(c.correct for c in question.choices)])
                    for question in questions)
        assert longest <= MAX_LONGEST_CHOICE_SCORE * len(questions), (path.name, longest)
        assert first <= MAX_LONGEST_CHOICE_SCORE * len(questions), (path.name, first)


# --- The course's short-answer patterns: answers a reviewer typed, and the verdict they must get ---

SHORT_ANSWER_VERDICTS = [  # bank, question id, typed answer, right
    # 1.4: the registry, by any of its names
    ("01", "architecture-registry-handoff", "the registry", True),
    ("01", "architecture-registry-handoff", "a model registry", True),
    ("01", "architecture-registry-handoff", "MLflow tracking", False),
    # 1.4: the uncalled comparison group, by any of its names
    ("01", "architecture-feedback-loop-guard", "holdout customers", True),
    ("01", "architecture-feedback-loop-guard", "control cohort", True),
    ("01", "architecture-feedback-loop-guard", "randomised control group", True),
    ("01", "architecture-feedback-loop-guard", "uncalled group", True),
    ("01", "architecture-feedback-loop-guard", "not-contacted group", True),
    ("01", "architecture-feedback-loop-guard", "the called group", False),
    ("01", "architecture-feedback-loop-guard", "treatment group", False),
    # 2.1: the command line, however it is called; not Python
    ("02", "prepare-the-missing-skill", "using the terminal", True),
    ("02", "prepare-the-missing-skill", "working in a terminal", True),
    ("02", "prepare-the-missing-skill", "Linux command line", True),
    ("02", "prepare-the-missing-skill", "unix shell", True),
    ("02", "prepare-the-missing-skill", "the command line (terminal)", True),
    ("02", "prepare-the-missing-skill", "Python", False),
    ("02", "prepare-the-missing-skill", "Kubernetes", False),
    ("02", "prepare-the-missing-skill", "not the terminal", False),
    # 2.3: the install stamp, with any make target that depends on it; not a bare `make` or the project stamp
    ("02", "force-reinstall-after-manual-change", ".venv/.installed", True),
    ("02", "force-reinstall-after-manual-change", "rm .venv/.installed && make check", True),
    ("02", "force-reinstall-after-manual-change", "rm -rf .venv/.installed && make test", True),
    ("02", "force-reinstall-after-manual-change", "the install stamp .venv/.installed", True),
    ("02", "force-reinstall-after-manual-change", "rm .venv/.installed && make", False),
    ("02", "force-reinstall-after-manual-change", "rm -rf .venv node_modules", False),
    ("02", "force-reinstall-after-manual-change", "examples/.venv/.installed", False),
    # 3.1: left out of the population; never "labelled Yes" or "not dropped"
    ("03", "framing-label-on-the-scoring-date", "ignored", True),
    ("03", "framing-label-on-the-scoring-date", "filtered out", True),
    ("03", "framing-label-on-the-scoring-date", "not in the training data", True),
    ("03", "framing-label-on-the-scoring-date", "excluded", True),
    ("03", "framing-label-on-the-scoring-date", "It is left out: not scored and not labelled.", True),
    ("03", "framing-label-on-the-scoring-date", "labelled Yes, not dropped", False),
    ("03", "framing-label-on-the-scoring-date", "it stays in with Churn=Yes; nothing is dropped", False),
    ("03", "framing-label-on-the-scoring-date", "not excluded", False),
    ("03", "framing-label-on-the-scoring-date", "it is not dropped", False),
    ("03", "framing-label-on-the-scoring-date", "labelled Yes", False),
    # 3.5: batch scoring, also by the lecture's synonym, offline inference
    ("03", "serving-style-for-a-mailing", "offline", True),
    ("03", "serving-style-for-a-mailing", "offline inference", True),
    ("03", "serving-style-for-a-mailing", "batch inference", True),
    ("03", "serving-style-for-a-mailing", "batch processing", True),
    ("03", "serving-style-for-a-mailing", "monthly batch", True),
    ("03", "serving-style-for-a-mailing", "scheduled batch", True),
    ("03", "serving-style-for-a-mailing", "Batch scoring (offline inference)", True),
    ("03", "serving-style-for-a-mailing", "online", False),
    ("03", "serving-style-for-a-mailing", "streaming", False),
    # 4.1: 50 in any currency; not a ratio, a range or 50,000
    ("04", "use-case-what-a-wasted-offer-costs", "$50", True),
    ("04", "use-case-what-a-wasted-offer-costs", "€50", True),
    ("04", "use-case-what-a-wasted-offer-costs", "50 euros", True),
    ("04", "use-case-what-a-wasted-offer-costs", "50 (a wasted offer)", True),
    ("04", "use-case-what-a-wasted-offer-costs", "50/550", False),
    ("04", "use-case-what-a-wasted-offer-costs", "50-500", False),
    ("04", "use-case-what-a-wasted-offer-costs", "50,000", False),
    ("04", "use-case-what-a-wasted-offer-costs", "500", False),
    # 4.4: the root's own mlflow.db; not the scratch folder's
    ("04", "architecture-lab-where-to-serve", "mlflow.db", True),
    ("04", "architecture-lab-where-to-serve", "sqlite:///mlflow.db", True),
    ("04", "architecture-lab-where-to-serve", "an empty mlflow.db", True),
    ("04", "architecture-lab-where-to-serve", "the scratch folder", False),
    ("04", "architecture-lab-where-to-serve", "the scratch folder's mlflow.db", False),
    ("04", "architecture-lab-where-to-serve", "mlruns", False),
    # 5.2: the partition of the date the data describes, not the day the retry runs
    ("05", "ingestion-retry-must-change-nothing", "snapshot_date=2026-11-02", True),
    ("05", "ingestion-retry-must-change-nothing", "2026-11-02", True),
    ("05", "ingestion-retry-must-change-nothing", "the snapshot_date=2026-11-02 folder", True),
    ("05", "ingestion-retry-must-change-nothing", "2 November", True),
    ("05", "ingestion-retry-must-change-nothing", "snapshot_date=2026-11-03", False),
    ("05", "ingestion-retry-must-change-nothing", "idempotent", False),
    # 5.5: ttl of 14 days, in the model answer's own wording too
    ("05", "feast-ttl-name", "ttl=timedelta(days=14)", True),
    ("05", "feast-ttl-name", "TTL (time to live) = timedelta(days=14)", True),
    ("05", "feast-ttl-name", "ttl 14 days", True),
    ("05", "feast-ttl-name", "tolerance=14 days", False),
    ("05", "feast-ttl-name", "ttl=timedelta(days=40)", False),
]


def _course_question(root, section: str, question_id: str):
    loaded, problems = load_bank(root / "quizzes" / f"section-{section}.yml", root)
    assert problems == [], problems
    return next(question for question in loaded.bank.questions if question.id == question_id)


@pytest.mark.parametrize("section, question_id, typed, right", SHORT_ANSWER_VERDICTS)
def test_course_short_answers_get_the_right_verdict(root, section, question_id, typed, right):
    from coursekit.quizzes.bank import short_answer_is_right

    question = _course_question(root, section, question_id)
    assert question.type == "short"
    assert short_answer_is_right(question, typed) is right, f"{question_id}: {typed!r} should be {right}"


def test_every_course_short_answer_accepts_its_listed_answers(root):
    from coursekit.quizzes.bank import short_answer_is_right

    for path in sorted((root / "quizzes").glob("section-*.yml")):
        loaded, _ = load_bank(path, root)
        for question in loaded.bank.questions:
            for answer in question.answers:
                assert short_answer_is_right(question, answer), (path.name, question.id, answer)
