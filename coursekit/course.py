"""Load the whole course (catalogue, lectures, quiz banks, glossary) and check it as one unit.

``load_course`` is what the MkDocs hooks, the ``course check`` command and the tests call. It
collects every problem in every file before failing, so a contributor fixes them in one pass.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.catalog import Catalog, Section, load_catalog
from coursekit.codefences import check_python_fences
from coursekit.diagrams import check_diagrams
from coursekit.doclinks import check_links
from coursekit.glossary import Glossary, load_glossary
from coursekit.lectures import Lecture, id_key, lecture_files, read_lecture
from coursekit.problems import CourseError, Problem, display_path
from coursekit.quizzes.bank import LoadedBank, load_bank
from coursekit.scaffold import check_copied_labs, check_scaffold_text, load_scaffold
from coursekit.slides.markers import Views, split_views
from coursekit.slides.prose import prose_only_sections
from coursekit.snippets import check_references, find_references


@dataclass(frozen=True)
class Paths:
    """Where the course sources live, relative to the repository root."""

    root: Path

    @property
    def docs(self) -> Path:
        """The MkDocs ``docs/`` folder."""
        return self.root / "docs"

    @property
    def course(self) -> Path:
        """The folder of section folders holding the lecture files."""
        return self.docs / "course"

    @property
    def catalog(self) -> Path:
        """The course catalogue, ``course.yml``."""
        return self.root / "course.yml"

    @property
    def glossary(self) -> Path:
        """The glossary terms, ``glossary.yml``."""
        return self.root / "glossary.yml"

    @property
    def quizzes(self) -> Path:
        """The quiz banks folder."""
        return self.root / "quizzes"


@dataclass
class Course:
    """The validated course: catalogue, lectures in id order, their two views, and quiz banks."""

    paths: Paths
    catalog: Catalog
    lectures: list[Lecture]
    views: dict[str, Views]
    banks: dict[int, LoadedBank] = field(default_factory=dict)
    glossary: Glossary = field(default_factory=lambda: Glossary([]))

    def lecture(self, lecture_id: str) -> Lecture | None:
        """Return the lecture with this id, or ``None``."""
        return next((lecture for lecture in self.lectures if lecture.id == lecture_id), None)

    def lectures_in(self, section: Section) -> list[Lecture]:
        """Return the lectures of one section in order."""
        return [lecture for lecture in self.lectures if lecture.section_number == section.number]

    def published_sections(self) -> list[Section]:
        """Sections that have at least one lecture file."""
        return [section for section in self.catalog.sections if self.lectures_in(section)]

    def lecture_by_src(self, src_uri: str) -> Lecture | None:
        """Return the lecture whose file is ``docs/<src_uri>``, or ``None``."""
        return next((lecture for lecture in self.lectures if lecture.src_uri == src_uri), None)


def _check_lectures(lectures: list[Lecture], catalog: Catalog, paths: Paths) -> list[Problem]:
    problems: list[Problem] = []
    counts = Counter(lecture.id for lecture in lectures)
    known = set(counts)
    for lecture in lectures:
        shown = display_path(lecture.path, paths.root)
        folder = lecture.path.parent.name
        section = catalog.section(lecture.section_number)
        if counts[lecture.id] > 1:
            others = [display_path(other.path, paths.root) for other in lectures
                      if other.id == lecture.id and other is not lecture]
            problems.append(Problem(shown, f"duplicate id {lecture.id!r}, also used by {', '.join(others)}",
                                    field="id"))
        if section is None:
            problems.append(Problem(shown, f"id {lecture.id!r} names section {lecture.section_number}, "
                                    "which course.yml does not define", field="id"))
        elif folder != section.folder:
            problems.append(Problem(shown, f"id {lecture.id!r} belongs to section {section.number}, whose lectures "
                                    f"live in docs/course/{section.folder}/; move the file or fix the id",
                                    field="id"))
        if not lecture.path.name.startswith(f"{lecture.id}-"):
            problems.append(Problem(shown, f"the file name must start with the id: {lecture.id}-<slug>.md",
                                    field="id"))
        for prerequisite in lecture.meta.prerequisites:
            if prerequisite not in known:
                problems.append(Problem(shown, f"prerequisite {prerequisite!r} is not a lecture of the course",
                                        field="prerequisites"))
            elif id_key(prerequisite) >= id_key(lecture.id):
                problems.append(Problem(shown, f"prerequisite {prerequisite!r} does not come before {lecture.id}",
                                        field="prerequisites"))
        for example in lecture.meta.examples:
            if not (paths.root / example).exists():
                problems.append(Problem(shown, f"example {example!r} does not exist", field="examples"))
    return problems


def _check_banks(banks: dict[int, LoadedBank], course_lectures: list[Lecture], catalog: Catalog,
                 paths: Paths, broken: set[str] | None = None) -> list[Problem]:
    """Check the banks against the lectures; ``broken`` holds the ids of lecture files whose front
    matter failed (already reported once), whose questions are therefore not checked."""
    broken = broken or set()
    problems: list[Problem] = []
    by_id = {lecture.id: lecture for lecture in course_lectures}
    for number, loaded in banks.items():
        shown = display_path(loaded.path, paths.root)
        if catalog.section(number) is None:
            problems.append(Problem(shown, f"section {number} is not defined in course.yml"))
            continue
        for question in loaded.bank.questions:
            lecture = by_id.get(question.lecture)
            where = f"question {question.id} lecture"
            line = loaded.lines.get(question.id)
            if lecture is None and question.lecture in broken:
                continue
            if lecture is None:
                problems.append(Problem(shown, f"lecture {question.lecture!r} does not exist", line, field=where))
            elif lecture.section_number != number:
                problems.append(Problem(shown, f"lecture {question.lecture} is not in section {number}", line,
                                        field=where))
            else:
                for objective in question.objectives:
                    if objective > len(lecture.meta.objectives):
                        problems.append(Problem(shown, f"lecture {question.lecture} has only "
                                                f"{len(lecture.meta.objectives)} objectives", line,
                                                field=f"question {question.id} objectives"))
        problems.extend(_uncovered_objectives(loaded, [lecture for lecture in course_lectures
                                                       if lecture.section_number == number], shown))
    return problems


def _uncovered_objectives(loaded: LoadedBank, lectures: list[Lecture], shown: str) -> list[Problem]:
    """Every objective of every lecture of the section must be checked by at least one question."""
    covered = {(question.lecture, objective) for question in loaded.bank.questions
               for objective in question.objectives}
    problems = []
    for lecture in lectures:
        for index, objective in enumerate(lecture.meta.objectives, start=1):
            if (lecture.id, index) not in covered:
                short = textwrap.shorten(objective, 60, placeholder="...")
                problems.append(Problem(shown, f"objective {index} of lecture {lecture.id} ({short!r}) "
                                        "is checked by no question; add it to a question's 'objectives'",
                                        field="objectives"))
    return problems


def load_course(root: Path) -> Course:
    """Load and check every course source under ``root``.

    Raises:
        CourseError: With every problem found, one per broken field, marker or reference.
    """
    paths = Paths(root.resolve())
    catalog = load_catalog(paths.catalog)
    problems: list[Problem] = []
    lectures: list[Lecture] = []
    views: dict[str, Views] = {}
    scaffold = load_scaffold(paths.root)
    broken: set[str] = set()
    for path in lecture_files(paths.course):
        lecture, found, document = read_lecture(path, paths.docs)
        problems.extend(found)
        if lecture is None:
            broken.add(path.name.split("-", 1)[0])
        if document is None:
            continue
        shown = display_path(path, paths.root)
        view, found = split_views(document.body, shown, document.body_line)
        problems.extend(found)
        problems.extend(prose_only_sections(view, shown))
        problems.extend(check_references(find_references(document.body, document.body_line), paths.root, shown))
        problems.extend(check_python_fences(document.body, shown, document.body_line))
        problems.extend(check_scaffold_text(document, shown, scaffold))
        problems.extend(check_diagrams(document.body, shown, document.body_line))
        if lecture is not None:
            lectures.append(lecture)
            views[lecture.id] = view
    lectures.sort(key=lambda lecture: id_key(lecture.id))
    problems.extend(_check_lectures(lectures, catalog, paths))
    problems.extend(check_copied_labs(lectures, paths.root))
    banks: dict[int, LoadedBank] = {}
    for path in sorted(paths.quizzes.glob("*.y*ml")) if paths.quizzes.is_dir() else []:
        loaded, found = load_bank(path, paths.root)
        problems.extend(found)
        if loaded is not None:
            banks[loaded.section] = loaded
    problems.extend(_check_banks(banks, lectures, catalog, paths, broken))
    glossary, found = load_glossary(paths.glossary, paths.root, {lecture.id for lecture in lectures})
    problems.extend(found)
    course = Course(paths, catalog, lectures, views, banks, glossary or Glossary([]))
    problems.extend(check_links(course))
    if problems or glossary is None:
        raise CourseError(problems)
    return course
