"""The ``course`` command: check sources, scaffold a lecture, export quizzes and PDF decks, check links.

Exit codes: 0 success, 1 the course sources have problems, 2 bad command-line arguments or a
missing tool.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from pathlib import Path

from coursekit.catalog import load_catalog
from coursekit.course import Course, Paths, load_course
from coursekit.lectures import LECTURE_ID
from coursekit.linkcheck import check_site
from coursekit.problems import CourseError
from coursekit.quizzes.coverage import missing_banks
from coursekit.quizzes.gift import bank_to_gift
from coursekit.scaffold import SCAFFOLD_OBJECTIVES
from coursekit.slides import marp
from coursekit.slides.build import write_sources
from coursekit.slides.fonts import FontError, copy_deck_fonts

ROOT = Path(__file__).resolve().parent.parent
THEME = ROOT / "slides" / "theme" / "course.css"
PDF_DECKS = Path(".cache") / "decks-pdf"


def _check(args: argparse.Namespace) -> int:
    try:
        course = load_course(args.root)
        if problems := missing_banks(course):
            raise CourseError(problems)
    except CourseError as error:
        print(error, file=sys.stderr)
        return 1
    questions = sum(len(loaded.bank.questions) for loaded in course.banks.values())
    print(f"OK: {len(course.lectures)} lectures in {len(course.published_sections())} sections, "
          f"{len(course.banks)} quiz banks with {questions} questions")
    return 0


def slugify(title: str) -> str:
    """Turn a lecture title into a short file-name slug."""
    words = re.findall(r"[a-z0-9]+", title.lower())
    return "-".join(words[:6]) or "lecture"


def _new(args: argparse.Namespace) -> int:
    if not re.match(LECTURE_ID, args.id):
        print(f"error: lecture id {args.id!r} must look like 7.3 (section.lecture)", file=sys.stderr)
        return 2
    catalog = load_catalog(Paths(args.root).catalog)
    section = catalog.section(int(args.id.split(".")[0]))
    if section is None:
        print(f"error: course.yml has no section {args.id.split('.')[0]}; add it there first", file=sys.stderr)
        return 2
    folder = Paths(args.root).course / section.folder
    existing = sorted(folder.glob(f"{args.id}-*.md"))
    if existing:
        print(f"error: lecture {args.id} already exists: {existing[0]}", file=sys.stderr)
        return 2
    template = (args.root / "templates" / "lecture.md").read_text(encoding="utf-8")
    body = template.split("\n---\n", 1)[1]
    front = "\n".join([
        "---",
        f'id: "{args.id}"',
        "title: " + '"' + args.title.replace('"', '\\"') + '"',
        f"duration: {args.duration}",
        "objectives:",
        *(f"  - {objective}" for objective in SCAFFOLD_OBJECTIVES),
        "---",
    ])
    path = folder / f"{args.id}-{slugify(args.title)}.md"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(front + "\n" + body, encoding="utf-8")
    print(f"created {path.relative_to(args.root)}; edit the objectives and body, then run 'course check'")
    return 0


def _quiz_export(args: argparse.Namespace) -> int:
    try:
        course = load_course(args.root)
    except CourseError as error:
        print(error, file=sys.stderr)
        return 1
    args.output.mkdir(parents=True, exist_ok=True)
    for number, loaded in sorted(course.banks.items()):
        section = course.catalog.section(number)
        assert section is not None
        target = args.output / f"section-{number:02d}.gift"
        target.write_text(bank_to_gift(loaded, f"Section {number} quiz: {section.title}"), encoding="utf-8")
        print(f"wrote {target}")
    return 0


def _slides_pdf(args: argparse.Namespace) -> int:
    browser = args.browser or marp.find_chromium()
    if browser is None:
        print("error: PDF export needs Chromium; install it (Debian: apt install chromium) or pass --browser",
              file=sys.stderr)
        return 2
    try:
        course = load_course(args.root)
        decks = _write_pdf_sources(course, args.root)
        marp.render(args.root, sorted(decks.values()), THEME, pdf=True, browser=browser,
                    input_dir=args.root / PDF_DECKS, output_dir=args.output.resolve())
    except CourseError as error:
        print(error, file=sys.stderr)
        return 1
    except (marp.MarpError, FontError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for lecture in course.lectures:
        produced = args.output / lecture.id / "index.pdf"
        if produced.exists():
            produced.replace(args.output / f"{lecture.path.stem}.pdf")
            produced.parent.rmdir()
    print(f"wrote {len(decks)} PDF decks under {args.output}, e.g. {course.lectures[0].path.stem}.pdf")
    return 0


def _links(args: argparse.Namespace) -> int:
    site = args.site.resolve()
    if not (site / "index.html").is_file():
        print(f"error: {args.site} is not a built site (no index.html); run 'make build' first", file=sys.stderr)
        return 2
    report = check_site(site, args.site_url)
    args.external_report.parent.mkdir(parents=True, exist_ok=True)
    args.external_report.write_text(report.external_report(), encoding="utf-8")
    for message in report.broken:
        print(message, file=sys.stderr)
    print(f"{report.pages} pages, {report.internal} internal links, {len(report.broken)} broken; "
          f"{len(report.external)} external links listed in {args.external_report}")
    return 1 if report.broken else 0


def _write_pdf_sources(course: Course, root: Path) -> dict[str, Path]:
    """Deck sources for PDF, with the site's deck assets copied where every deck finds them.

    A deck loads Mermaid and its fonts from ``../../assets/`` (two folders up, as on the site), so the
    PDF sources in ``.cache/decks-pdf/<id>/`` get them in ``.cache/assets/``.
    """
    assets = (root / PDF_DECKS).parent / "assets"
    scripts = assets / "javascripts"
    scripts.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(root / "node_modules" / "mermaid" / "dist" / "mermaid.min.js", scripts / "mermaid.min.js")
    for script in ("mermaid-theme.js", "deck-mermaid.js"):
        shutil.copyfile(root / "docs" / "assets" / "javascripts" / script, scripts / script)
    copy_deck_fonts(root, THEME, assets.parent)
    decks, _ = write_sources(course, root / PDF_DECKS, THEME, output_suffix=".pdf", force=True)
    return decks


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``course`` command."""
    parser = argparse.ArgumentParser(prog="course", description="Work on the MLOps course sources.")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this checkout)")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate lectures, slide markers, snippets and quiz banks")
    check.set_defaults(run=_check)
    new = commands.add_parser("new", help="create a lecture file with valid front matter from the template")
    new.add_argument("id", help="lecture id, e.g. 7.3")
    new.add_argument("title", help="lecture title as in the syllabus")
    new.add_argument("--duration", type=int, default=15, help="length in minutes (default 15)")
    new.set_defaults(run=_new)
    export = commands.add_parser("quiz-export", help="export every quiz bank to Moodle GIFT")
    export.add_argument("--output", type=Path, default=Path("dist/quizzes"), help="output folder")
    export.set_defaults(run=_quiz_export)
    pdf = commands.add_parser("slides-pdf", help="export every deck to PDF with Chromium")
    pdf.add_argument("--output", type=Path, default=Path("dist/slides"), help="output folder")
    pdf.add_argument("--browser", help="Chromium executable (default: found on PATH)")
    pdf.set_defaults(run=_slides_pdf)
    links = commands.add_parser("links", help="check internal links and anchors of a built site; list external ones")
    links.add_argument("site", type=Path, nargs="?", default=Path("site"), help="built site folder (default: site)")
    links.add_argument("--site-url", default=os.environ.get("SITE_URL", "http://127.0.0.1:8000/"),
                       help="address the site is published at (default: $SITE_URL or http://127.0.0.1:8000/)")
    links.add_argument("--external-report", type=Path, default=Path("dist/external-links.txt"),
                       help="where to write the list of external links (default: dist/external-links.txt)")
    links.set_defaults(run=_links)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``course`` command; return its exit code."""
    args = build_parser().parse_args(argv)
    args.root = args.root.resolve()
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
