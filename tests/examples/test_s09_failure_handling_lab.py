"""Lecture 9.6: the schedules' next ticks, a transient failure retried, a deterministic one stopped.

The lab's shell steps are read from the page and run in one bash session, as a student runs them:
train and promote a champion into a scratch store, print the next ticks of both schedules, run the
training job through a tracking server that refuses two attempts (with the retry policy's real
waits, measured), then run it on a file without the column ``Contract``. The page's output blocks
must be the lines of that real run (``…`` for the measured waits), each wait must lie in the range
Dagster's documented formula gives for the project's policy, and the registry must keep its
champion through the failed run. The ticks are checked against a second, independent reading of
the cron strings (every minute of the span, matched field by field), and the drills run once more
in this process, so the regions the page includes are measured.
"""

from __future__ import annotations

import re
import runpy
from datetime import UTC, datetime, timedelta

import pytest

from tests.examples.lab_session import ROOT, LecturePage, as_pattern, run_session, scratch_folder

pytest.importorskip("dagster", reason="Dagster is the project's optional `pipeline` extra")

pytestmark = pytest.mark.lab  # a training, a promotion and two pipeline runs, each a process of its own

PAGE = LecturePage.of("9.6")
SCRIPT = ROOT / "examples/lectures/s09/failure_drills.py"
WAIT = re.compile(r"^attempt (\d) of registered_challenger: ConnectionError, next attempt ([\d.]+) s later$",
                  re.MULTILINE)
# What the bookkeeping between a failed attempt and the next may add to Dagster's wait: 0.06 s measured on
# the idle 2-core machine; the bound leaves room for a full test run on both cores (the lower bound, which
# tells the exponential backoff from a constant one, has no slack).
OVERHEAD = 5.0


def drills() -> dict:
    return runpy.run_path(str(SCRIPT))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Run every shell step of the lab in one bash session; return (result, scratch folder, registry after)."""
    base = tmp_path_factory.mktemp("lab96")
    result = run_session("\n".join(PAGE.steps()), base)
    folder = scratch_folder(base, "mlflow.db")
    return result, folder, drills()["registry_summary"](f"sqlite:///{folder / 'mlflow.db'}")


def test_the_lab_runs_and_the_page_shows_its_real_output(lab):
    result, _, _ = lab
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    real = result.stdout.splitlines()
    for title in ("Output of step 2", "Output of steps 3 and 4"):
        position = 0
        for line in PAGE.output_block(title, prefix=True):
            pattern = as_pattern(line)
            found = next((i for i in range(position, len(real)) if pattern.fullmatch(real[i])), None)
            assert found is not None, f"{PAGE.name}: {title}: not in the lab's run after line {position}: {line!r}"
            position = found + 1


def test_each_measured_wait_is_in_the_range_of_dagsters_formula(lab):
    import dagster as dg
    from churn.pipeline.assets import EXTERNAL_RETRY

    result, _, _ = lab
    waits = {int(attempt): float(seconds) for attempt, seconds in WAIT.findall(result.stdout)}
    assert sorted(waits) == [1, 2], "two refused attempts, each followed by a wait"
    plain = dg.RetryPolicy(max_retries=3, delay=EXTERNAL_RETRY.delay, backoff=EXTERNAL_RETRY.backoff)
    for attempt, seconds in waits.items():
        # PLUS_MINUS jitter: (2**attempt - 1) * delay, plus or minus up to one delay
        centre = plain.calculate_delay(attempt)
        assert centre == (2**attempt - 1) * EXTERNAL_RETRY.delay
        assert centre - EXTERNAL_RETRY.delay <= seconds <= centre + EXTERNAL_RETRY.delay + OVERHEAD, (attempt, seconds)
    assert "run: SUCCESS, 2 retries of registered_challenger" in result.stdout
    assert re.search(r"^real\s+\d+m[\d.]+s$", result.stderr, re.MULTILINE), "step 3 times the run"


def test_the_failed_run_leaves_the_champion_where_it_was(lab):
    result, _, registry = lab
    assert "run: FAILURE, failed steps ['validated_customers'], 0 retries" in result.stdout
    assert "registry unchanged" in result.stdout
    versions, aliases = registry
    assert versions == ["1", "2"] and aliases == {"challenger": "2", "champion": "1"}


def test_the_page_states_the_policy_the_code_has():
    import dagster as dg
    from churn.pipeline.assets import EXTERNAL_RETRY

    assert EXTERNAL_RETRY.max_retries == 3 and EXTERNAL_RETRY.jitter == dg.Jitter.PLUS_MINUS
    section = PAGE.section("Backoff and jitter")
    delay = EXTERNAL_RETRY.delay
    for attempt, ordinal in ((1, "1st"), (2, "2nd"), (3, "3rd")):
        centre = (2**attempt - 1) * delay
        row = f"| {ordinal} | {centre:g} s | {centre - delay:g} to {centre + delay:g} s |"
        assert row in section, f"{PAGE.name}: the backoff table should have the row {row!r}"
    assert "22 s on average and 28 s at most" in " ".join(section.split())


def _matches(field: str, value: int) -> bool:
    return field == "*" or value in {int(part) for part in field.split(",")}


def brute_force_ticks(cron: str, after: datetime, count: int) -> list[datetime]:
    """Every minute after ``after`` (UTC), kept when it matches each field: cron's rule, read another way."""
    minute, hour, day, month, weekday = cron.split()
    found, moment = [], after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while len(found) < count:
        cron_weekday = (moment.weekday() + 1) % 7  # Python: Monday 0; cron: Sunday 0
        if (_matches(minute, moment.minute) and _matches(hour, moment.hour) and _matches(day, moment.day)
                and _matches(month, moment.month) and (_matches(weekday, cron_weekday)
                                                       or (cron_weekday == 0 and _matches(weekday, 7)))):
            found.append(moment)
        moment += timedelta(minutes=1)
    return found


@pytest.mark.parametrize("after", ["2026-12-07T00:00:00+00:00", "2027-01-31T21:30:00+00:00",
                                   "2028-02-28T23:59:00+00:00"])
def test_the_ticks_agree_with_a_second_reading_of_the_cron_strings(after):
    from churn.pipeline.schedules import monthly_retraining, weekly_scoring

    next_ticks = drills()["next_ticks"]
    moment = datetime.fromisoformat(after)
    for schedule in (monthly_retraining, weekly_scoring):
        assert schedule.execution_timezone == "UTC"
        assert next_ticks(schedule.cron_schedule, "UTC", moment, 4) == brute_force_ticks(schedule.cron_schedule,
                                                                                         moment, 4)


@pytest.mark.parametrize("cron", ["30 2 * * *", "0 6 * 1,7 *", "15 9 * * 0,6", "0 0 29 2 *"])
def test_other_cron_strings_agree_too(cron):
    """A day-of-month and a day-of-week of ``*`` mean every day (rrule alone would keep dtstart's day)."""
    moment = datetime(2027, 1, 31, 21, 30, tzinfo=UTC)
    assert drills()["next_ticks"](cron, "UTC", moment, 4) == brute_force_ticks(cron, moment, 4)


def test_the_ticks_refuse_what_they_do_not_read():
    next_ticks = drills()["next_ticks"]
    now = datetime(2026, 12, 7, tzinfo=UTC)
    for cron, said in (("0 20 1 * 1", "OR"), ("*/5 * * * *", "only numbers"), ("0 25 * * *", "from 0 to 23")):
        with pytest.raises(ValueError, match=said):
            next_ticks(cron, "UTC", now, 1)


def test_bad_input_is_refused_with_exit_2(tmp_path, monkeypatch, capsys):
    main = drills()["main"]
    assert main(["ticks", "--after", "next monday"]) == 2
    assert "--after 'next monday': not a time" in capsys.readouterr().err
    monkeypatch.chdir(tmp_path)
    assert main(["transient"]) == 2
    assert "no tracking store here; run `churn train`" in capsys.readouterr().err


def test_the_drills_in_this_process(lab, monkeypatch, capsys):
    """The drills once more, in process, on the lab's store (the waits set to 0: the lab measured them)."""
    import dagster as dg

    _, folder, _ = lab
    namespace = drills()
    monkeypatch.chdir(folder)
    monkeypatch.setattr(dg.RetryPolicy, "calculate_delay", lambda self, attempt_num: 0)
    assert namespace["main"](["transient", "--failures", "1"]) == 0
    out = capsys.readouterr().out
    assert "attempt 2 of registered_challenger: registered" in out and "1 retries" in out
    assert namespace["main"](["transient", "--failures", "4"]) == 0, "four refusals exhaust three retries, as expected"
    out = capsys.readouterr().out
    assert "attempt 4 of registered_challenger: ConnectionError, no attempt left" in out
    assert "run: FAILURE, 3 retries of registered_challenger" in out
    assert namespace["main"](["bad-data"]) == 0
    out = capsys.readouterr().out
    assert "registry unchanged" in out and 'failed_steps {"validated_customers"' in out
    assert namespace["main"]([]) == 0 and "monthly_retraining: '0 20 1 * *' in UTC" in capsys.readouterr().out
