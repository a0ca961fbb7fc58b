"""Every lecture states the churn case's facts as the case card of lecture 4.1 and the config do.

The numbers of the case (threshold, costs, promotion gate) live in ``examples/configs/default.yaml``;
lecture 4.1's case card states them for people. This test reads every lecture as text (no build,
no training: it runs in well under a second) and fails, naming the file and the line, when a page
quotes another threshold, other costs or another gate, describes the scoring cadence or the
decision rule in a way the case does not have (nightly, every morning, "the top 500"), or gives a
timing that was not measured ("a few seconds", "10 to 30 seconds"). The lecture scripts under
``examples/lectures/`` are read too: what they print is quoted in the lectures' output blocks.
This module holds every banned phrase of the case, and ``EXCEPTIONS`` is the one list of the places
allowed to use one.
"""

from __future__ import annotations

import bisect
import re
from pathlib import Path

import pytest
from churn.config import load_config

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "docs" / "course"
LECTURES = sorted(path for path in COURSE.glob("*/*.md") if path.name != "index.md")
QUIZ_BANKS = sorted((ROOT / "quizzes").glob("*.yml"))
SCRIPTS = sorted((ROOT / "examples" / "lectures").glob("*/*.py"))
CASE_CARD_PAGE = next(COURSE.glob("04-*/4.1-*.md"))
CASE_CARD = f"{CASE_CARD_PAGE.relative_to(ROOT)}#the-case-card"
CONFIG = load_config(ROOT / "examples" / "configs" / "default.yaml")
NUMBER = r"(\d[\d,]*(?:\.\d+)?)"
FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([\w-]*)")

# A figure quoted as the project's threshold: "the threshold of 0.35", "configured threshold, 0.35",
# "`threshold: 0.35`", "the 0.35 threshold", "a threshold, 0.35 by default", "configured (0.35)".
THRESHOLD_QUOTES = [re.compile(pattern, re.IGNORECASE) for pattern in (
    r"(?:configured|default|project's|version's|model's|call|decision|chosen)\s+threshold\s*(?:of|is|,|:|=)?\s*\(?`?(0\.\d+)",
    r"\bthe\s+threshold\s+(?:of\s+)?(0\.\d+)",
    r"\bthreshold\s*(?::|=)\s*`?(0\.\d+)",
    r"\bthreshold,\s*(0\.\d+)",
    r"\bthe\s+(0\.\d+)\s+threshold",
    r"\bconfigured\s+\(?(0\.\d+)",
)]
COST_QUOTES = {
    "missed_churner": [re.compile(p, re.IGNORECASE) for p in (
        rf"missed[ _]churners?\b(?:\s+(?:at|costs?|of|is))?\s*[:=]?\s*{NUMBER}",
        rf"prices? a missed churner at {NUMBER}",
        rf"{NUMBER} for a missed churner",
    )],
    "wasted_offer": [re.compile(p, re.IGNORECASE) for p in (
        rf"wasted[ _]offers?\b(?:\s+(?:at|costs?|of|is))?\s*[:=]?\s*{NUMBER}",
        rf"{NUMBER} for a wasted offer",
    )],
}
GATE_QUOTES = {
    "min_roc_auc": re.compile(r"\bROC AUC (?:is |of )?(?:at least|>=|≥) (0\.\d+)", re.IGNORECASE),
    "min_pr_auc": re.compile(r"\bPR AUC (?:is |of )?(?:at least|>=|≥) (0\.\d+)", re.IGNORECASE),
    "margin": re.compile(r"(?:margin|champion)[^.\n]{0,60}?\b(0\.\d{3})\b(?!\d)", re.IGNORECASE),
}
# Phrases the case does not have: the call list is scored weekly, the CRM screen on demand, and the
# rule is "at or above the threshold", not a fixed number of customers.
# A line about ingestion may say "nightly": the data platform refreshes its sources every night.
INGESTION = re.compile(r"\b(?:exports?|extracts?|ingest\w*|refresh\w*|cop(?:y|ies)|load\w*|materiali[sz]\w*)\b",
                       re.IGNORECASE)
CADENCE, RULE, TIMING = "cadence", "rule", "timing"
# Patterns are matched across line breaks (a phrase may wrap), so a space in them is `\s+`.
BANNED = [(re.compile(pattern.replace(" ", r"\s+"), re.IGNORECASE), kind, why) for pattern, kind, why in (
    (r"\bevery (?:morning|night)\b", CADENCE, "the call list is scored weekly, not every morning or night"),
    (r"\beach (?:morning|night)\b", CADENCE, "the call list is scored weekly, not each morning or night"),
    (r"\bnightly[ -](?:churn[ -])?(?:scor\w*|list|call list|batch(?:es)?|run|job|schedule|predictions?)\b",
     CADENCE, "scoring is weekly (nightly is at most the data platform's ingestion)"),
    (r"\b(?:scor\w*|predictions? (?:are|is) made)\s+(?:all customers\s+)?nightly\b", CADENCE,
     "scoring is weekly, not nightly"),
    (r"\bbatch \(nightly\)|\bnightly `churn predict`|\blast night's (?:batch )?scores?\b", CADENCE,
     "scoring is weekly, not nightly"),
    (r"\b(?:scor\w*|predict\w*|call list|list|batch|run) tonight\b"
     r"|\btonight's (?:scor\w*|call list|list|batch|run|predictions?)\b",
     CADENCE, "scoring is weekly (Monday's call list), not tonight"),
    (r"\btop[ -]500\b|\bprecision in the top\b|\b500 riskiest\b|\briskiest 500\b|\bweekly 500\b|\blist of 500\b"
     r"|\b500 customers a week\b",
     RULE, "the rule is a threshold (call when p >= threshold), not a fixed list of 500"),
    (r"\bhighest scores?\b|\bhighest-scor\w+|\branked (?:call )?list\b", RULE,
     "the call list is every customer at or above the threshold, not a ranking cut somewhere"),
    (r"\bdrift (?:alerts?|detection)\b[^.]{0,80}?\b(?:starts?|triggers?|kicks? off|launch\w*)"
     r" (?:the )?(?:re)?training\b",
     RULE, "a drift alert opens a ticket; retraining starts once a person confirms it (lecture 4.6's decisions)"),
    (r"\ba few seconds\b|\b(?:after|takes?|took) (?:about )?\d+ to \d+ seconds\b|\b10 to 15 s(?:econds)?\b",
     TIMING, "state a timing as measured, with the command and the machine (e.g. on the course's 2-core machine "
     "`time churn train` took 10.2 s the first time and 8.4 s after)"),
)]
# The one list of places allowed a banned phrase: (file name, `##` heading it sits under, phrase, why).
# Each entry must still be needed (a test fails on one that excuses nothing), so none outlives its text.
EXCEPTIONS = [
    ("1.2-what-is-mlops.md", re.compile(r"^Act [1-4]\b"), re.compile(r"top 500|list of 500|500 customers a week"),
     "the notebook era's story: Acts 1-4 use the fixed list of 500 that Act 5 replaces with the threshold"),
]


def script_lines(path: Path) -> list[tuple[int, str]]:
    """The lines of a lecture script: its text, since what it prints and says is quoted by a lecture."""
    return list(enumerate(path.read_text(encoding="utf-8").splitlines(), start=1))


def claim_lines(path: Path) -> list[tuple[int, str]]:
    """The lines of a lecture that state facts: everything but its front matter and shell commands.

    Shell fences are left out on purpose: a lab may run a *variation* of the config (lecture 4.2's
    step 3 prices offers at 200 with ``sed``), which is not a claim about the case.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("---", 1) + 1 if lines and lines[0] == "---" else 0
    kept, fence, shell = [], None, False
    for number, line in enumerate(lines[start:], start=start + 1):
        match = FENCE.match(line)
        if fence is None and match:
            fence, shell = match.group(1), match.group(2) in {"bash", "sh", "shell", "console"}
            continue
        if fence is not None and match and line.strip() == fence:
            fence = None
            continue
        if not shell or fence is None:
            kept.append((number, line))
    return kept


def _where(path: Path, number: int) -> str:
    return f"{path.relative_to(ROOT)}:{number}"


def _as_float(text: str) -> float:
    return float(text.replace(",", ""))


def disagreements(path: Path) -> list[str]:
    """Every quote on one page that disagrees with the config or the case card, as 'file:line: why'."""
    problems: list[str] = []
    lines = script_lines(path) if path.suffix == ".py" else claim_lines(path)
    for number, line in lines:
        for pattern in THRESHOLD_QUOTES:
            for match in pattern.finditer(line):
                if _as_float(match.group(1)) != CONFIG.threshold:
                    problems.append(f"{_where(path, number)}: quotes the project's threshold as {match.group(1)}, "
                                    f"but examples/configs/default.yaml says {CONFIG.threshold} (see {CASE_CARD})")
        for key, patterns in COST_QUOTES.items():
            expected = getattr(CONFIG.costs, key)
            for pattern in patterns:
                for match in pattern.finditer(line):
                    if _as_float(match.group(1)) != expected:
                        problems.append(f"{_where(path, number)}: quotes costs.{key} as {match.group(1)}, but "
                                        f"examples/configs/default.yaml says {expected:g} (see {CASE_CARD})")
        for key, pattern in GATE_QUOTES.items():
            expected = getattr(CONFIG.promotion, key)
            for match in pattern.finditer(line):
                if _as_float(match.group(1)) != expected:
                    problems.append(f"{_where(path, number)}: quotes the promotion gate's {key} as {match.group(1)}, "
                                    f"but examples/configs/default.yaml says {expected:g} (see {CASE_CARD})")
    for number, phrase, why in banned_phrases(path, lines):
        problems.append(f"{_where(path, number)}: {phrase!r}: {why} (see {CASE_CARD})")
    return list(dict.fromkeys(problems))  # two patterns may find the same quote


def headings(lines: list[tuple[int, str]]) -> dict[int, str]:
    """The `##` heading each line sits under (empty before the first one)."""
    current, result = "", {}
    for number, line in lines:
        if line.startswith("## "):
            current = line[3:].strip()
        result[number] = current
    return result


def excused(path: Path, heading: str, phrase: str) -> tuple | None:
    """The entry of ``EXCEPTIONS`` that allows ``phrase`` under ``heading`` of ``path``, if any."""
    for entry in EXCEPTIONS:
        name, section, allowed, _ = entry
        if path.name == name and section.search(heading) and allowed.fullmatch(phrase.lower()):
            return entry
    return None


def banned_phrases(path: Path, lines: list[tuple[int, str]],
                   used: set | None = None) -> list[tuple[int, str, str]]:
    """(line, phrase, why) for each banned phrase in ``lines``, matched across line breaks.

    A cadence phrase on a line about ingestion is allowed; an excused phrase is recorded in ``used``.
    """
    text = "\n".join(line for _, line in lines)
    starts = [0]
    for _, line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    under = headings(lines)
    found = []
    for pattern, kind, why in BANNED:
        for match in pattern.finditer(text):
            first = bisect.bisect_right(starts, match.start()) - 1
            last = bisect.bisect_right(starts, max(match.end() - 1, match.start())) - 1
            if kind == CADENCE and any(INGESTION.search(lines[i][1]) for i in range(first, last + 1)):
                continue
            number, phrase = lines[first][0], " ".join(match.group(0).split())
            entry = excused(path, under[number], phrase)
            if entry is not None:
                if used is not None:
                    used.add(entry)
                continue
            found.append((number, phrase, why))
    return found


def test_the_config_file_and_the_code_defaults_agree():
    """`load_config()` without a file and the default YAML describe the same case."""
    defaults = load_config()
    assert (defaults.threshold, defaults.costs, defaults.promotion) == (CONFIG.threshold, CONFIG.costs,
                                                                        CONFIG.promotion)


def test_the_case_card_states_the_config():
    text = CASE_CARD_PAGE.read_text(encoding="utf-8")
    assert "\n## The case card\n" in text, f"{CASE_CARD_PAGE.relative_to(ROOT)} has no '## The case card' section"
    card = text.split("\n## The case card\n", 1)[1].split("\n## ", 1)[0]
    rows = {cells[1].strip(): cells[2] for cells in (line.split("|") for line in card.splitlines())
            if len(cells) > 3 and cells[1].strip() not in {"Fact", ""} and not cells[1].startswith("-")}
    assert set(rows) == {"Who acts", "Cadence", "Decision rule", "Threshold", "Costs", "Label", "Promotion gate"}

    def figures(cell: str) -> list[float]:
        return [_as_float(figure) for figure in re.findall(r"\d+(?:\.\d+)?", cell)]

    assert figures(rows["Threshold"]) == [CONFIG.threshold]
    costs = CONFIG.costs
    assert figures(rows["Costs"]) == [costs.missed_churner, costs.wasted_offer,
                                      round(costs.wasted_offer / (costs.missed_churner + costs.wasted_offer), 3)]
    gate = CONFIG.promotion
    assert figures(rows["Promotion gate"]) == [gate.min_roc_auc, gate.min_pr_auc, gate.margin]
    assert "weekly" in rows["Cadence"].lower() and "at or above the threshold" in rows["Decision rule"]
    assert "monthly" in rows["Label"]


@pytest.mark.parametrize("path", LECTURES + QUIZ_BANKS + SCRIPTS, ids=lambda path: path.stem.split("-", 1)[0]
                         if path.suffix == ".md" else path.stem)
def test_the_page_agrees_with_the_case(path):
    """A lecture, a quiz bank (its questions and explanations state the case too) or a lecture script."""
    problems = disagreements(path)
    assert not problems, "\n".join(problems)


def test_the_checks_catch_what_they_are_for(tmp_path):
    """Each kind of disagreement is reported with its file and line; the right figures are not."""
    page = tmp_path / "page.md"
    page.write_text("---\nid: '9.9'\n---\n"
                    "The configured threshold, 0.5, and the threshold of 0.35.\n"
                    "A missed churner costs 400; a wasted offer costs 50.\n"
                    "Promote at ROC AUC at least 0.8 when it beats the champion by 0.002.\n"
                    "The call list is built every morning from the top 500.\n"
                    "Training takes 10 to 30 seconds.\n"
                    "```bash\nsed 's/wasted_offer: 50.0/wasted_offer: 200.0/' default.yaml\n```\n",
                    encoding="utf-8")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        problems = disagreements(page)
    finally:
        ROOT = saved
    assert [problem.split(":")[1] for problem in problems] == ["4", "5", "6", "7", "7", "8"]
    assert "threshold as 0.5" in problems[0] and "costs.missed_churner as 400" in problems[1]
    assert "min_roc_auc as 0.8" in problems[2] and "every morning" in problems[3] and "top 500" in problems[4]


def test_every_exception_is_still_needed():
    """An entry of EXCEPTIONS that excuses no phrase any more is stale: remove it."""
    used: set = set()
    for path in LECTURES:
        banned_phrases(path, claim_lines(path), used)
    stale = [f"{name} under '{section.pattern}': {allowed.pattern}"
             for name, section, allowed, _ in (entry for entry in EXCEPTIONS if entry not in used)]
    assert not stale, "EXCEPTIONS entries that excuse nothing (remove them):\n" + "\n".join(stale)


def test_the_banned_phrases_wrap_lines_and_the_story_exception_is_narrow(tmp_path):
    """A phrase split over two lines is found; 1.2 may say "top 500" in Acts 1-4 only; ingestion may be nightly."""
    story = tmp_path / "1.2-what-is-mlops.md"
    story.write_text("---\nid: '1.2'\n---\n## Act 2: the Monday list\n\nShe writes the top 500 to a CSV.\n"
                     "## Act 5: doing it again\n\nNo more top\n500: the highest scores are not the rule.\n"
                     "A ranked list goes out; we score tonight, and it takes a few\nseconds.\n"
                     "The export is refreshed every night. A drift alert, or a schedule,\n"
                     "starts the training pipeline.\n",
                     encoding="utf-8")
    found = [(number, phrase.lower()) for number, phrase, _ in banned_phrases(story, claim_lines(story))]
    assert sorted(found) == [(9, "top 500"), (10, "highest scores"), (11, "a few seconds"),
                             (11, "ranked list"), (11, "score tonight"),
                             (13, "drift alert, or a schedule, starts the training")]
    elsewhere = tmp_path / "1.3-why-mlops.md"
    elsewhere.write_text(story.read_text(encoding="utf-8"), encoding="utf-8")
    assert (6, "top 500") in [(n, p) for n, p, _ in banned_phrases(elsewhere, claim_lines(elsewhere))]
