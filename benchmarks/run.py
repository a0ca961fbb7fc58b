"""Benchmarks of the course build, each figure printed next to its target.

Run from the repository root (``make bench`` installs everything first)::

    .venv/bin/python benchmarks/run.py [--repeat 3] [--skip-serve]

1. Strict site build with our hooks and plugins versus plain Material on the same Markdown
   (the lecture files plus the pages our hooks generate, written out as files), measured in the
   same run, for the course as published and for a full-size copy with all 98 lectures (decks
   and notebook execution off here; both are timed separately below). Our build is timed twice:
   as a rebuild, the build a contributor runs again and again (target: at most 1.5x plain
   Material), and first with its caches emptied (compiled Jinja templates, the rendered
   notebook), as on a fresh clone or in CI (printed, no target). The ratio is wall-clock time;
   CPU time is printed too, as it varies less than wall-clock time on a loaded machine.
2. Decks: one Marp process converting every deck; seconds per deck, for the course as it is and
   for a 96-deck set made by copying the real decks (the size of the full course).
3. Notebook execution time during the build.
4. ``mkdocs serve`` in writing mode (``make write``): time from saving a lecture to the served
   page showing the change, and how many decks were reconverted.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import NamedTuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coursekit import pages  # noqa: E402
from coursekit.course import load_course  # noqa: E402
from coursekit.glossary import GLOSSARY_PAGE  # noqa: E402
from coursekit.problems import CourseError  # noqa: E402
from coursekit.slides import marp  # noqa: E402
from coursekit.slides.build import build_decks  # noqa: E402

THEME = ROOT / "slides" / "theme" / "course.css"
# The same environment as `make build` (see the Makefile).
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "NBCONVERT_DISABLE_CONFIG_EXPORTERS": "1"}
# Some sandboxes set this; a student's machine caches compiled modules, so the benchmark does too.
ENV.pop("PYTHONDONTWRITEBYTECODE", None)


class Timing(NamedTuple):
    """Wall-clock seconds, and CPU seconds of the command and every process it waited for."""

    wall: float
    cpu: float


def children_cpu_seconds() -> float:
    """CPU seconds used so far by finished child processes (and the processes they waited for)."""
    try:
        import resource
    except ImportError:  # Windows: no CPU figure
        return math.nan
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], env: dict[str, str], cwd: Path = ROOT) -> Timing:
    cpu_before = children_cpu_seconds()
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{result.stdout}\n{result.stderr}")
    return Timing(elapsed, children_cpu_seconds() - cpu_before)


def plain_docs(folder: Path, root: Path) -> Path:
    """The same Markdown for plain Material: the docs plus our generated pages, written out as files."""
    docs = folder / "plain-docs"
    shutil.copytree(root / "docs", docs)
    course = load_course(root)
    generated = {pages.SYLLABUS: pages.syllabus_page(course), pages.SLIDES_INDEX: pages.slides_index_page(course),
                 "contributing.md": (root / "CONTRIBUTING.md").read_text(encoding="utf-8")}
    for section in course.published_sections():
        generated[pages.section_index_src(section)] = pages.section_page(course, section)
    for number in course.banks:
        generated[pages.quiz_src(number)] = pages.quiz_page(course, number)
    generated[GLOSSARY_PAGE] = pages.glossary_index_page(course)
    for src_uri, text in generated.items():
        (docs / src_uri).parent.mkdir(parents=True, exist_ok=True)
        (docs / src_uri).write_text(text.replace("--8<--", ";--8<--"), encoding="utf-8")
    return docs


def plain_config(folder: Path, root: Path) -> Path:
    """A plain Material configuration with the same Markdown extensions over the same pages."""
    text = (root / "mkdocs.yml").read_text(encoding="utf-8")
    text = re.sub(r"\nhooks:\n(  - .*\n)+", "\n", text)
    text = re.sub(r"\nplugins:\n(?:  .*\n|    .*\n)+", "\nplugins:\n  - search\n", text)
    text = re.sub(r"\nnav:\n(?:  .*\n)+", "\n", text)
    text = re.sub(r"\nvalidation:\n(?:  .*\n)+", "\n", text)
    text = re.sub(r"\nwatch:\n(?:  .*\n)+", "\n", text)
    text = text.replace("docs_dir: docs", "")
    config = folder / "mkdocs-plain.yml"
    config.write_text(text + f"\ndocs_dir: {plain_docs(folder, root)}\n", encoding="utf-8")
    return config


SYLLABUS_SIZES = [8, 8, 6, 6, 6, 7, 6, 6, 7, 7, 6, 8, 6, 6, 5]  # lectures per section: 98 in all
MD_LINK = re.compile(r"\[([^\]]*)\]\([^)\s]+\.md(#[^)]*)?\)")


def full_size_copy(folder: Path) -> Path:
    """A copy of the repository with all 98 lectures: the missing lectures filled with copies of written ones.

    A filler takes an id the syllabus has and the course does not (7.1 while 7.2 is written). In a
    section that already has a quiz bank, each filler gets one question, a copy of one of the bank's,
    so that every objective is covered: the copy passes `course check` as the real course does.
    """
    repo = folder / "full"
    repo.mkdir()
    for name in ("course.yml", "mkdocs.yml", "CONTRIBUTING.md", "glossary.yml"):
        shutil.copyfile(ROOT / name, repo / name)
    for name in ("docs", "examples", "hooks", "slides", "quizzes"):
        shutil.copytree(ROOT / name, repo / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    (repo / "node_modules").symlink_to(ROOT / "node_modules")
    course = load_course(ROOT)
    written = course.lectures
    for section, size in zip(course.catalog.sections, SYLLABUS_SIZES, strict=True):
        target = repo / "docs" / "course" / section.folder
        target.mkdir(parents=True, exist_ok=True)
        present = {lecture.id for lecture in course.lectures_in(section)}
        fillers: list[tuple[str, int]] = []
        for number in range(1, size + 1):
            lecture_id = f"{section.number}.{number}"
            if lecture_id in present:
                continue
            source = written[(section.number * 10 + number) % len(written)]
            text = source.path.read_text(encoding="utf-8")
            text = re.sub(r'^id: "[0-9.]+"', f'id: "{lecture_id}"', text, count=1, flags=re.M)
            text = re.sub(r"^prerequisites:.*\n", "", text, flags=re.M)
            text = MD_LINK.sub(r"\1", text)
            text = re.sub(r"^## Lab\b", "## Practice", text, flags=re.M)  # course check refuses a copied lab
            slug = source.path.name.split("-", 1)[1]
            (target / f"{lecture_id}-{slug}").write_text(text, encoding="utf-8")
            fillers.append((lecture_id, len(source.meta.objectives)))
        if fillers and section.number in course.banks:
            add_filler_questions(course.banks[section.number].path, repo / "quizzes", fillers)
    return repo


def add_filler_questions(bank_path: Path, quizzes: Path, fillers: list[tuple[str, int]]) -> None:
    """Give each filler lecture one question of the copied bank, a copy of its first short-answer one.

    A short answer has no choices, so the copies leave the bank's spread of correct positions and of
    right-choice counts as it is (copies of a choice question would repeat its pattern and fail the
    checks against guessable banks); every bank has at least two short answers.
    """
    bank = yaml.safe_load(bank_path.read_text(encoding="utf-8"))
    questions = bank["questions"]
    model = next((question for question in questions if question["type"] == "short"), questions[0])
    for lecture_id, objectives in fillers:
        question = {**model, "id": f"filler-{lecture_id.replace('.', '-')}", "lecture": lecture_id,
                    "objectives": list(range(1, objectives + 1))}
        questions.append(question)
    (quizzes / bank_path.name).write_text(yaml.safe_dump(bank, sort_keys=False, allow_unicode=True), encoding="utf-8")


BUILD_CACHES = (".cache/jinja", ".cache/mkdocs-jupyter")  # compiled templates, rendered notebook


def bench_build(repeat: int, root: Path) -> tuple[Timing, Timing, Timing]:
    """Our best first build (caches emptied), our best rebuild, and the best plain build."""
    with tempfile.TemporaryDirectory() as folder:
        plain = plain_config(Path(folder), root)
        ours_env = {**ENV, "COURSE_DECKS": "off", "COURSE_EXECUTE_NOTEBOOKS": "false"}
        ours_command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", f"{folder}/ours"]
        plain_command = [sys.executable, "-m", "mkdocs", "build", "-f", str(plain), "-d", f"{folder}/plain"]
        timed(plain_command, ENV, cwd=root)  # warm the OS file cache for both
        first, ours, base = [], [], []
        for _ in range(repeat):
            for cache in BUILD_CACHES:
                shutil.rmtree(root / cache, ignore_errors=True)
            first.append(timed(ours_command, ours_env, cwd=root))
            ours.append(timed(ours_command, ours_env, cwd=root))
            base.append(timed(plain_command, ENV, cwd=root))
    # Alternating runs, best of each: the least disturbed run is the best estimate of the cost.
    return min(first), min(ours), min(base)  # by wall-clock time


def bench_decks() -> tuple[int, float, int, float]:
    course = load_course(ROOT)
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder) / "decks"
        started = time.perf_counter()
        build = build_decks(course, cache, THEME, force=True)
        real = time.perf_counter() - started
        big = Path(folder) / "big"
        sources = sorted(cache.glob("*/index.md"))
        count = 0
        while count < 96:
            for source in sources:
                if count == 96:
                    break
                target = big / f"deck{count:03d}" / "index.md"
                target.parent.mkdir(parents=True)
                shutil.copyfile(source, target)
                count += 1
        started = time.perf_counter()
        marp.render(ROOT, sorted(big.glob("*/index.md")), THEME)
        scaled = time.perf_counter() - started
    return len(build.html), real, count, scaled


def bench_notebooks() -> float:
    with tempfile.TemporaryDirectory() as folder:
        off = timed([sys.executable, "-m", "mkdocs", "build", "-d", f"{folder}/a"],
                    {**ENV, "COURSE_DECKS": "off", "COURSE_EXECUTE_NOTEBOOKS": "false"})
        on = timed([sys.executable, "-m", "mkdocs", "build", "-d", f"{folder}/b"],
                   {**ENV, "COURSE_DECKS": "off", "COURSE_EXECUTE_NOTEBOOKS": "true"})
    return on.wall - off.wall


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


def bench_serve(port: int = 8123) -> tuple[float, str]:
    course = load_course(ROOT)
    lecture = course.lectures[-1]
    url = f"http://127.0.0.1:{port}/{lecture.src_uri.removesuffix('.md')}/"
    env = {**ENV, "COURSE_EXECUTE_NOTEBOOKS": "false"}
    command = [sys.executable, "-m", "mkdocs", "serve", "--dirty", "--livereload", "--dev-addr", f"127.0.0.1:{port}"]
    original = lecture.path.read_text(encoding="utf-8")
    with tempfile.TemporaryFile(mode="w+") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            return _measure_reload(log, lecture.path, original, url)
        finally:
            lecture.path.write_text(original, encoding="utf-8")
            server.terminate()
            server.wait(timeout=30)


def _wait_until_served(url: str, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            fetch(url)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"mkdocs serve never served {url}")


def _measure_reload(log, path: Path, original: str, url: str) -> tuple[float, str]:
    """Save an edit, time until the served page shows it; return that and the decks reconverted."""
    _wait_until_served(url)
    time.sleep(1.5)  # let the first background deck job finish
    token = f"benchmark-token-{int(time.time())}"
    started = time.perf_counter()
    path.write_text(original + f"\nEdited paragraph {token}.\n", encoding="utf-8")
    while token not in fetch(url):
        if time.perf_counter() - started > 60:
            raise SystemExit("the edit never showed up on the served page")
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    time.sleep(3)  # the edited deck converts in the background
    log.seek(0)
    decks = re.findall(r"decks: (\d+) converted", log.read())
    return elapsed, decks[-1] if decks else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="build repetitions (the best run is reported)")
    parser.add_argument("--skip-serve", action="store_true", help="skip the mkdocs serve measurement")
    args = parser.parse_args()
    rows: list[tuple[str, str, str, str]] = []

    with tempfile.TemporaryDirectory() as folder:
        full = full_size_copy(Path(folder))
        for label, root in (("course as published", ROOT), ("full size, 98 lectures", full)):
            first, ours, plain = bench_build(args.repeat, root)
            rows.append((f"{label}: plain Material, same Markdown", f"{plain.wall:.2f} s", "", ""))
            rows.append((f"{label}: strict build, ours, first (caches empty)", f"{first.wall:.2f} s", "", ""))
            rows.append((f"{label}: strict build, ours, rebuild", f"{ours.wall:.2f} s", "", ""))
            rows.append((f"{label}: CPU time plain / first / rebuild",
                         f"{plain.cpu:.2f} / {first.cpu:.2f} / {ours.cpu:.2f} s", "", ""))
            rows.append((f"{label}: build ratio ours / plain, first build", f"{first.wall / plain.wall:.2f}x",
                         "no target", ""))
            ratio = ours.wall / plain.wall
            rows.append((f"{label}: build ratio ours / plain, rebuild", f"{ratio:.2f}x", "<= 1.5x",
                         "ok" if ratio <= 1.5 else "MISSED"))

    decks, real, scaled_count, scaled = bench_decks()
    per_real, per_scaled = real / decks, scaled / scaled_count
    rows.append((f"decks, one Marp run, {decks} decks", f"{real:.2f} s ({per_real:.3f} s/deck)", "<= 0.1 s/deck",
                 "ok" if per_real <= 0.1 else "MISSED"))
    rows.append((f"decks, one Marp run, {scaled_count} decks (full-course size)",
                 f"{scaled:.2f} s ({per_scaled:.3f} s/deck)", "<= 0.1 s/deck", "ok" if per_scaled <= 0.1 else "MISSED"))
    rows.append(("notebook execution during the build", f"{bench_notebooks():.2f} s", "timed separately", ""))

    if not args.skip_serve:
        reload, converted = bench_serve()
        rows.append(("writing mode: save a lecture -> served page updated", f"{reload:.2f} s", "<= 2 s",
                     "ok" if reload <= 2 else "MISSED"))
        rows.append(("writing mode: decks reconverted after that edit", converted, "1", "ok" if converted == "1" else
                     "MISSED"))

    width = max(len(row[0]) for row in rows)
    print(f"{'measure'.ljust(width)}  {'result':>26}  {'target':>16}  verdict")
    for name, result, target, verdict in rows:
        print(f"{name.ljust(width)}  {result:>26}  {target:>16}  {verdict}")


if __name__ == "__main__":
    try:
        main()
    except CourseError as error:  # the course, or its full-size copy, does not pass `course check`
        raise SystemExit(f"benchmark stopped: {error}") from None
