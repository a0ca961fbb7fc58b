"""The ``course`` command: exit codes, messages, scaffolding and exports."""

from __future__ import annotations

from coursekit.cli import main, slugify
from coursekit.course import load_course
from coursekit.lectures import read_lecture
from coursekit.scaffold import SCAFFOLD_OBJECTIVES
from tests.conftest import GOOD_FRONT_MATTER
from tests.test_quizzes import good_bank

LECTURE = "docs/course/01-big-picture/1.1-a.md"


def test_check_passes_on_a_good_course(course_tree, capsys):
    root = course_tree({LECTURE: GOOD_FRONT_MATTER, "quizzes/section-01.yml": good_bank()})
    assert main(["--root", str(root), "check"]) == 0
    assert capsys.readouterr().out.startswith("OK: 1 lectures in 1 sections, 1 quiz banks with 6 questions")


def test_check_fails_with_one_line_per_problem(course_tree, capsys):
    root = course_tree({LECTURE: GOOD_FRONT_MATTER.replace("duration: 10", "duration: ten")})
    assert main(["--root", str(root), "check"]) == 1
    err = capsys.readouterr().err
    assert "1 problem in the course sources" in err and "1.1-a.md:4: duration" in err


def test_new_scaffolds_a_valid_lecture(course_tree, root, capsys):
    tree = course_tree({})
    (tree / "templates").mkdir()
    (tree / "templates" / "lecture.md").write_text((root / "templates" / "lecture.md").read_text())
    assert main(["--root", str(tree), "new", "2.3", "Setting Up Local Dev Environment", "--duration", "20"]) == 0
    created = tree / "docs/course/02-tools-and-setup/2.3-setting-up-local-dev-environment.md"
    assert created.exists(), capsys.readouterr()
    text = created.read_text()
    assert text.startswith('---\nid: "2.3"\ntitle: "Setting Up Local Dev Environment"\nduration: 20\n')
    lecture, problems, _ = read_lecture(created, tree / "docs")
    assert problems == [] and lecture is not None and lecture.meta.duration == 20
    assert main(["--root", str(tree), "new", "2.3", "Again"]) == 2


def test_a_freshly_scaffolded_lecture_fails_the_check_saying_what_to_replace(course_tree, root, capsys):
    tree = course_tree({})
    (tree / "templates").mkdir()
    (tree / "templates" / "lecture.md").write_text((root / "templates" / "lecture.md").read_text())
    assert main(["--root", str(tree), "new", "2.3", "Setting Up Local Dev Environment"]) == 0
    capsys.readouterr()
    assert main(["--root", str(tree), "check"]) == 1
    err = capsys.readouterr().err
    shown = "docs/course/02-tools-and-setup/2.3-setting-up-local-dev-environment.md"
    for objective in SCAFFOLD_OBJECTIVES:
        assert f"objectives: objective {SCAFFOLD_OBJECTIVES.index(objective) + 1} ({objective!r}) is the " \
               "scaffold's placeholder; replace it with a measurable objective of this lecture" in err
    assert f"{shown}:10: scaffold: template text 'Open with a concrete situation from a real team" in err
    assert "link 'https://example.org/docs/specific-page' is the template's placeholder" in err
    assert "lab: the lab is the template's example lab; write this lecture's own steps" in err
    assert "accTitle: What the diagram shows, in a few words" in err
    assert all(line.startswith(f"  - {shown}:") for line in err.splitlines()[1:]), err


def test_new_rejects_bad_arguments(course_tree, capsys):
    tree = course_tree({})
    assert main(["--root", str(tree), "new", "2-3", "Title"]) == 2
    assert "must look like 7.3" in capsys.readouterr().err
    assert main(["--root", str(tree), "new", "42.1", "Title"]) == 2
    assert "no section 42" in capsys.readouterr().err


def test_quiz_export_writes_gift_files(root, tmp_path, capsys):
    assert main(["--root", str(root), "quiz-export", "--output", str(tmp_path)]) == 0
    exported = sorted(path.name for path in tmp_path.glob("*.gift"))
    assert exported == [f"section-{number:02d}.gift" for number in sorted(load_course(root).banks)]


def test_slugify():
    assert slugify("Writing a Clean Inference Function (predict())") == "writing-a-clean-inference-function-predict"
