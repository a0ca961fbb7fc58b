"""Every quiz page in real Chromium: right and wrong answers get the right feedback and explanations, the
score is correct, answers survive a reload and a page change, reset clears them, and a keyboard is enough."""

from __future__ import annotations

import json

import pytest

from tests.conftest import page_url, site_pages

pytestmark = [pytest.mark.browser, pytest.mark.build]

WRONG_SHORT_ANSWER = "zzz not an answer"


#: quiz.js marks a quiz ``data-ready`` once its answers are restored and its buttons wired; a quiz of a page
#: the reader has left is marked ``data-left`` by ``_follow_link`` (Material may swap the content a moment
#: after the address changes). Waiting for these by name replaces a quiet network (500 ms per wait).
QUIZ_READY = ".quiz[data-ready='true']:not([data-left])"


def _open(page, url: str) -> None:
    """Load ``url`` and wait until quiz.js has set up its quiz."""
    page.goto(url)
    page.wait_for_selector(QUIZ_READY)


def _reload(page) -> None:
    """Reload the page and wait until quiz.js has set up its quiz again."""
    page.reload()
    page.wait_for_selector(QUIZ_READY)


def _follow_link(page, url: str, *, quiz: bool) -> None:
    """Click a link to ``url`` as a reader would (instant navigation) and wait until the new page is in place."""
    page.evaluate("url => { document.querySelectorAll('.quiz').forEach(q => { q.dataset.left = 'true'; }); "
                  "const a = document.createElement('a'); a.href = url; document.body.append(a); a.click(); }", url)
    page.wait_for_url(url)
    page.wait_for_function("() => !document.querySelector('.quiz[data-left]')")
    if quiz:
        page.wait_for_selector(QUIZ_READY)


def _quiz_pages(site) -> list[str]:
    pages = [relative for relative in site_pages(site) if relative.startswith("quizzes/")]
    assert pages, "the site should have quiz pages"
    return pages


def _answer(form, right: bool) -> bool:
    """Answer one question right or wrong with the mouse; return whether the answer is right."""
    if form.get_attribute("data-type") == "short":
        field = form.locator("input.quiz-short")
        accepted = json.loads(field.get_attribute("data-answers") or "[]")
        right = right and bool(accepted)
        field.fill(accepted[0] if right else WRONG_SHORT_ANSWER)
    else:
        choices = form.locator(".quiz-choice").all()
        correct = [choice.get_attribute("data-correct") == "true" for choice in choices]
        wrong = [index for index, is_correct in enumerate(correct) if not is_correct]
        picks = [index for index, is_correct in enumerate(correct) if is_correct] if right else wrong[:1]
        for index in picks:
            choices[index].locator("input").check()
    form.locator("button[type=submit]").click()
    return right


def _state(page) -> list[tuple[str, str]]:
    return page.evaluate("""() => [...document.querySelectorAll('form.quiz-question')].map(form =>
        [form.className, form.querySelector('.quiz-feedback').textContent])""")


def _check_feedback(form, right: bool, where: str) -> list[str]:
    problems = []
    feedback = form.locator(".quiz-feedback").inner_text()
    question = form.get_attribute("data-question")
    if right != feedback.startswith("Correct"):
        problems.append(f"{where} question {question}: answered {'right' if right else 'wrong'}, feedback {feedback!r}")
    if form.get_attribute("data-type") == "short":
        if not form.locator(".quiz-model-answer").is_visible():
            problems.append(f"{where} question {question}: the model answer is not shown after an attempt")
    else:
        hidden = [index for index, node in enumerate(form.locator(".quiz-explanation").all()) if not node.is_visible()]
        if hidden:
            problems.append(f"{where} question {question}: explanations of choices {hidden} not shown after an answer")
        marked = form.locator(".quiz-choice-right").count()
        if marked != form.locator(".quiz-choice[data-correct='true']").count():
            problems.append(f"{where} question {question}: the right choices are not all marked")
    return problems


def test_every_quiz_grades_scores_persists_and_resets(page, server, built_site):
    failures = []
    for relative in _quiz_pages(built_site):
        url = page_url(server, relative)
        _open(page, url)
        forms = page.locator("form.quiz-question").all()
        rights = 0
        for index, form in enumerate(forms):
            right = _answer(form, right=index % 2 == 0)
            rights += right
            failures += _check_feedback(form, right, relative)
        score = page.locator(".quiz-score").inner_text()
        if not score.startswith(f"Score: {rights} of {len(forms)}"):
            failures.append(f"{relative}: {rights} of {len(forms)} answered right but the page says {score!r}")
        answered = _state(page)
        _reload(page)
        if _state(page) != answered:
            failures.append(f"{relative}: answers or feedback changed after a reload")
        _follow_link(page, f"{server}/syllabus/", quiz=False)
        _follow_link(page, url, quiz=True)
        if _state(page) != answered:
            failures.append(f"{relative}: answers or feedback lost after leaving the page and coming back")
        if not page.locator(".quiz-score").inner_text().startswith(f"Score: {rights} of"):
            failures.append(f"{relative}: score lost after a page change")
        page.locator(".quiz-reset").click()
        for when in ("after reset", "after reset and reload"):
            cleared = page.evaluate("""() => [...document.querySelectorAll('form.quiz-question')].every(form =>
                !form.classList.contains('quiz-answered') && form.querySelector('.quiz-feedback').textContent === ''
                && form.querySelectorAll('input:checked').length === 0)""")
            if not cleared or not page.locator(".quiz-score").inner_text().startswith("Score: 0 of"):
                failures.append(f"{relative}: answers not cleared {when}")
            if when == "after reset":
                _reload(page)
    assert not page.errors, page.errors[:3]
    assert not failures, "\n".join(failures)


def _tab_into(page, selector: str, limit: int = 400) -> None:
    """Press Tab until the focused element matches ``selector``, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}: it is not reachable with the keyboard")


def test_a_quiz_can_be_answered_with_the_keyboard_only(page, server, built_site):
    _open(page, page_url(server, _quiz_pages(built_site)[0]))
    single = page.locator("form.quiz-question[data-type='single']").first
    key = single.get_attribute("id")
    correct = [choice.get_attribute("data-correct") for choice in single.locator(".quiz-choice").all()].index("true")
    _tab_into(page, f"#{key} input")
    if correct == 0:
        page.keyboard.press("Space")
    for _ in range(correct):
        page.keyboard.press("ArrowDown")
    _tab_into(page, f"#{key} button[type=submit]", limit=10)
    page.keyboard.press("Enter")
    assert single.locator(".quiz-feedback").inner_text().startswith("Correct")
    assert single.locator(".quiz-choice-picked[data-correct='true']").count() == 1

    short = page.locator("form.quiz-question[data-type='short']")
    if short.count():
        form = short.first
        accepted = json.loads(form.locator("input.quiz-short").get_attribute("data-answers") or "[]")
        _tab_into(page, f"#{form.get_attribute('id')} input.quiz-short")
        page.keyboard.type(accepted[0])
        page.keyboard.press("Enter")
        assert form.locator(".quiz-feedback").inner_text().startswith("Correct")

    _tab_into(page, ".quiz-reset")
    page.keyboard.press("Enter")
    assert page.locator(".quiz-score").inner_text().startswith("Score: 0 of")


def test_always_picking_the_first_choice_fails_every_quiz(page, server, built_site):
    """The banks were written with the correct answer first; the page's order must not give it away."""
    failures = []
    for relative in _quiz_pages(built_site):
        _open(page, page_url(server, relative))
        page.locator(".quiz-reset").click()
        forms = page.locator("form.quiz-question:not([data-type='short'])").all()
        for form in forms:
            form.locator(".quiz-choice input").first.check()
            form.locator("button[type=submit]").click()
        right = page.locator("form.quiz-question.quiz-correct").count()
        if right > 0.4 * len(forms):
            failures.append(f"{relative}: always picking the first choice answers {right} of {len(forms)} right")
        page.locator(".quiz-reset").click()
    assert not page.errors, page.errors[:3]
    assert not failures, "\n".join(failures)


def test_short_answers_ignore_case_and_spacing_as_in_python(page, server, built_site):
    """quiz.js grades a short answer exactly as ``short_answer_is_right``: case and spacing ignored."""
    from coursekit.quizzes.bank import Question, normalise_answer, short_answer_is_right
    from tests.test_quizzes import SHORT, SHORT_CASES

    _open(page, page_url(server, _quiz_pages(built_site)[0]))
    form = page.locator("form.quiz-question[data-type='short']").first
    field = form.locator("input.quiz-short")
    failures = []
    for answers, pattern, typed, right in SHORT_CASES:
        field.evaluate("(input, data) => { input.dataset.answers = data[0]; input.dataset.pattern = data[1]; }",
                       [json.dumps([normalise_answer(answer) for answer in answers]), pattern or ""])
        field.fill(typed)
        form.locator("button[type=submit]").click()
        graded = form.locator(".quiz-feedback").inner_text().startswith("Correct")
        question = Question.model_validate({**SHORT, "answers": answers, "pattern": pattern})
        python = short_answer_is_right(question, typed)
        if graded != right or python != right:
            failures.append(f"{typed!r} against answers {answers} / pattern {pattern!r}: browser {graded}, "
                            f"Python {python}, expected {right}")
    page.locator(".quiz-reset").click()
    assert not failures, "\n".join(failures)
