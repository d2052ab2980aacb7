"""Date arithmetic: durations, month ends and each nation's working days.

Worked examples use literal dates read off a calendar and the published UK bank holidays; the
property tests state the invariants that must hold for any date.
"""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from permanence import dates
from permanence.dates import (
    DURATION_FORMS,
    JURISDICTIONS,
    Duration,
    Unit,
    WorkingDays,
    add_duration,
    parse_duration,
    subtract_duration,
    working_days,
)

SCT, ENG, NIR = "scotland", "england-and-wales", "northern-ireland"
ALL = [SCT, ENG, NIR]

some_dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))
jurisdictions = st.sampled_from(ALL)

# Few examples keep the file fast; no deadline, as an example may load a calendar's years.
property_test = settings(max_examples=40, deadline=None)


def d(text: str) -> date:
    return date.fromisoformat(text)


class TestParseDuration:
    """`N days|working days|weeks|months`, singular units too, any case, spaces tolerated;
    N a whole number of at least `minimum`. Anything else is refused with what was expected and
    what was found."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("8 days", Duration(8, Unit.DAYS)),
            ("1 day", Duration(1, Unit.DAYS)),
            ("10 working days", Duration(10, Unit.WORKING_DAYS)),
            ("1 working day", Duration(1, Unit.WORKING_DAYS)),
            ("4 weeks", Duration(4, Unit.WEEKS)),
            ("1 week", Duration(1, Unit.WEEKS)),
            ("6 months", Duration(6, Unit.MONTHS)),
            ("1 month", Duration(1, Unit.MONTHS)),
            ("  10   Working\tDAYS ", Duration(10, Unit.WORKING_DAYS)),
            ("3 Weeks", Duration(3, Unit.WEEKS)),
            ("2 days", Duration(2, Unit.DAYS)),
            ("1 days", Duration(1, Unit.DAYS)),
        ],
    )
    def test_accepted_forms(self, text: str, expected: Duration) -> None:
        assert parse_duration(text) == expected

    def test_minimum_zero_accepts_zero(self) -> None:
        assert parse_duration("0 days", minimum=0) == Duration(0, Unit.DAYS)

    @pytest.mark.parametrize(
        ("text", "found"),
        [
            ("8 dayz", "'8 dayz'"),
            ("days", "'days'"),
            ("eight days", "'eight days'"),
            ("-1 days", "'-1 days'"),
            ("1.5 weeks", "'1.5 weeks'"),
            ("10 workingdays", "'10 workingdays'"),
            ("6 months 2 days", "'6 months 2 days'"),
            ("", "''"),
        ],
    )
    def test_malformed_is_refused_with_the_full_message(self, text: str, found: str) -> None:
        with pytest.raises(ValueError) as caught:
            parse_duration(text)
        assert str(caught.value) == (
            "expected a duration like '8 days', '10 working days', '6 weeks' or '6 months', "
            f"got {found}"
        )

    def test_not_text_is_refused(self) -> None:
        with pytest.raises(ValueError, match=r"^expected a duration like .*, got 8$"):
            parse_duration(8)  # type: ignore[arg-type]  # YAML may hand over a bare number

    def test_below_minimum_has_its_own_message(self) -> None:
        with pytest.raises(ValueError) as caught:
            parse_duration("0 days")
        assert str(caught.value) == "expected a count of at least 1, got '0 days'"

    def test_below_a_custom_minimum(self) -> None:
        with pytest.raises(ValueError) as caught:
            parse_duration("1 week", minimum=2)
        assert str(caught.value) == "expected a count of at least 2, got '1 week'"

    def test_forms_text(self) -> None:
        assert DURATION_FORMS == "'N days', 'N working days', 'N weeks' or 'N months'"

    @property_test
    @given(st.integers(min_value=1, max_value=1_200), st.sampled_from(list(Unit)))
    def test_round_trips_through_str(self, count: int, unit: Unit) -> None:
        duration = Duration(count, unit)
        assert parse_duration(str(duration)) == duration

    @pytest.mark.parametrize(("text", "message"), [
        ("36501 days", "expected at most 36500 days (about 100 years), got '36501 days'"),
        ("1201 months", "expected at most 1200 months (about 100 years), got '1201 months'"),
        ("99999999 working days",
         "expected at most 26000 working days (about 100 years), got '99999999 working days'"),
    ])
    def test_refuses_a_clock_longer_than_a_century(self, text: str, message: str) -> None:
        with pytest.raises(ValueError) as raised:
            parse_duration(text)
        assert str(raised.value) == message


class TestDuration:
    """A count of one unit; written as in rule files, singular for a count of 1."""

    @pytest.mark.parametrize(
        ("duration", "text"),
        [
            (Duration(8, Unit.DAYS), "8 days"),
            (Duration(1, Unit.DAYS), "1 day"),
            (Duration(0, Unit.DAYS), "0 days"),
            (Duration(10, Unit.WORKING_DAYS), "10 working days"),
            (Duration(1, Unit.WORKING_DAYS), "1 working day"),
            (Duration(6, Unit.MONTHS), "6 months"),
            (Duration(1, Unit.MONTHS), "1 month"),
            (Duration(1, Unit.WEEKS), "1 week"),
            (Duration(2, Unit.WEEKS), "2 weeks"),
        ],
    )
    def test_str(self, duration: Duration, text: str) -> None:
        assert str(duration) == text

    def test_negative_is_refused(self) -> None:
        with pytest.raises(ValueError, match=r"^a duration cannot be negative, got -1 days$"):
            Duration(-1, Unit.DAYS)

    def test_unit_is_its_rule_file_spelling(self) -> None:
        assert [str(unit) for unit in Unit] == ["days", "working days", "weeks", "months"]


class TestCalendarDays:
    """`N days` is N calendar days either way; bank holidays and weekends count."""

    @pytest.mark.parametrize(
        ("start", "count", "due"),
        [
            ("2026-02-20", 8, "2026-02-28"),
            ("2026-02-25", 8, "2026-03-05"),  # 2026 is not a leap year
            ("2028-02-25", 8, "2028-03-04"),  # 2028 is: 29 Feb counts
            ("2026-12-24", 8, "2027-01-01"),  # through Christmas and Boxing Day
            ("2026-03-01", 1, "2026-03-02"),
        ],
    )
    @pytest.mark.parametrize("jurisdiction", ALL)
    def test_add(self, start: str, count: int, due: str, jurisdiction: str) -> None:
        duration = Duration(count, Unit.DAYS)
        assert add_duration(d(start), duration, jurisdiction) == d(due)
        assert subtract_duration(d(due), duration, jurisdiction) == d(start)

    @property_test
    @given(some_dates, st.integers(min_value=0, max_value=2000), jurisdictions)
    def test_subtract_undoes_add(self, day: date, count: int, jurisdiction: str) -> None:
        duration = Duration(count, Unit.DAYS)
        due = add_duration(day, duration, jurisdiction)
        assert (due - day).days == count
        assert subtract_duration(due, duration, jurisdiction) == day


class TestWeeks:
    """`N weeks` is 7N calendar days either way, holidays or not."""

    @pytest.mark.parametrize(
        ("start", "count", "due"),
        [
            ("2026-01-01", 4, "2026-01-29"),
            ("2026-12-17", 2, "2026-12-31"),
            ("2026-12-24", 1, "2026-12-31"),  # Christmas week: still 7 days
            ("2028-02-22", 1, "2028-02-29"),
            ("2026-03-31", 1, "2026-04-07"),  # Easter 2026
        ],
    )
    def test_add(self, start: str, count: int, due: str) -> None:
        duration = Duration(count, Unit.WEEKS)
        for jurisdiction in ALL:
            assert add_duration(d(start), duration, jurisdiction) == d(due)
            assert subtract_duration(d(due), duration, jurisdiction) == d(start)

    @property_test
    @given(some_dates, st.integers(min_value=0, max_value=500), jurisdictions)
    def test_subtract_undoes_add(self, day: date, count: int, jurisdiction: str) -> None:
        duration = Duration(count, Unit.WEEKS)
        due = add_duration(day, duration, jurisdiction)
        assert due - day == timedelta(weeks=count)
        assert subtract_duration(due, duration, jurisdiction) == day


class TestMonths:
    """`N months` is the same day of the month N months away, clamped to that month's last day
    (31 Jan + 1 month = 28 or 29 Feb; 31 Mar - 1 month = 28 or 29 Feb)."""

    @pytest.mark.parametrize(
        ("start", "count", "due"),
        [
            ("2026-01-31", 1, "2026-02-28"),  # not a leap year
            ("2028-01-31", 1, "2028-02-29"),  # leap year
            ("2026-08-31", 6, "2027-02-28"),
            ("2027-08-31", 6, "2028-02-29"),
            ("2026-11-30", 3, "2027-02-28"),
            ("2026-10-31", 1, "2026-11-30"),
            ("2026-12-31", 1, "2027-01-31"),  # across New Year
            ("2026-01-15", 6, "2026-07-15"),
            ("2026-02-28", 1, "2026-03-28"),  # not the end of March: same day of the month
            ("2028-02-29", 12, "2029-02-28"),
            ("2026-05-31", 24, "2028-05-31"),
            ("2026-07-04", 6, "2027-01-04"),  # a Scottish substitute day: months ignore holidays
        ],
    )
    def test_add(self, start: str, count: int, due: str) -> None:
        for jurisdiction in ALL:
            assert add_duration(d(start), Duration(count, Unit.MONTHS), jurisdiction) == d(due)

    @pytest.mark.parametrize(
        ("end", "count", "start"),
        [
            ("2026-03-31", 1, "2026-02-28"),
            ("2028-03-31", 1, "2028-02-29"),
            ("2027-01-31", 2, "2026-11-30"),  # back across New Year
            ("2027-02-28", 6, "2026-08-28"),  # not 31 Aug: subtraction does not undo a clamp
            ("2026-07-15", 6, "2026-01-15"),
            ("2029-02-28", 12, "2028-02-28"),
        ],
    )
    def test_subtract(self, end: str, count: int, start: str) -> None:
        for jurisdiction in ALL:
            assert (
                subtract_duration(d(end), Duration(count, Unit.MONTHS), jurisdiction) == d(start)
            )

    @property_test
    @given(some_dates, st.integers(min_value=0, max_value=240), st.sampled_from([1, -1]))
    def test_never_overflows_a_month(self, day: date, count: int, sign: int) -> None:
        duration = Duration(count, Unit.MONTHS)
        if sign > 0:
            due = add_duration(day, duration, SCT)
        else:
            due = subtract_duration(day, duration, SCT)
        months_moved = (due.year * 12 + due.month) - (day.year * 12 + day.month)
        assert months_moved == sign * count
        next_month = (due.replace(day=1) + timedelta(days=31)).replace(day=1)
        last_day = (next_month - timedelta(days=1)).day
        assert due.day == min(day.day, last_day)


class TestWorkingDays:
    """`N working days` is the Nth working day after the date (the date itself never counts);
    weekends and the nation's bank holidays, substitute days included, are not working days.
    Counting back is the same, before the date."""

    @pytest.mark.parametrize(
        ("jurisdiction", "start", "count", "due"),
        [
            # Christmas 2026: 25 Dec Fri; Boxing Day Sat, so Mon 28 Dec is its substitute.
            (SCT, "2026-12-24", 1, "2026-12-29"),
            (ENG, "2026-12-24", 1, "2026-12-29"),
            (NIR, "2026-12-24", 1, "2026-12-29"),
            # Christmas 2027: 25-26 Dec a weekend, so Mon 27 and Tue 28 Dec are substitutes.
            (SCT, "2027-12-24", 1, "2027-12-29"),
            (ENG, "2027-12-24", 1, "2027-12-29"),
            (NIR, "2027-12-24", 1, "2027-12-29"),
            # New Year 2027: 1 Jan Fri. Scotland also has 2 Jan, a Saturday: Mon 4 Jan instead.
            (SCT, "2026-12-31", 1, "2027-01-05"),
            (ENG, "2026-12-31", 1, "2027-01-04"),
            (NIR, "2026-12-31", 1, "2027-01-04"),
            # A clock started late in 2027 runs into 2028's holidays: 1-2 Jan 2028 a weekend,
            # so Mon 3 Jan is a substitute everywhere and Tue 4 Jan too in Scotland.
            (SCT, "2027-12-24", 4, "2028-01-05"),
            (ENG, "2027-12-24", 4, "2028-01-04"),
            (NIR, "2027-12-24", 4, "2028-01-04"),
            (ENG, "2027-12-24", 3, "2027-12-31"),
            # St Andrew's Day, Mon 30 Nov 2026: Scotland only.
            (SCT, "2026-11-27", 1, "2026-12-01"),
            (ENG, "2026-11-27", 1, "2026-11-30"),
            (NIR, "2026-11-27", 1, "2026-11-30"),
            # Easter 2026: Good Friday 3 Apr everywhere; Easter Monday 6 Apr not in Scotland.
            (SCT, "2026-04-02", 1, "2026-04-06"),
            (ENG, "2026-04-02", 1, "2026-04-07"),
            (NIR, "2026-04-02", 1, "2026-04-07"),
            # St Patrick's Day, Tue 17 Mar 2026: Northern Ireland only.
            (SCT, "2026-03-16", 1, "2026-03-17"),
            (ENG, "2026-03-16", 1, "2026-03-17"),
            (NIR, "2026-03-16", 1, "2026-03-18"),
            # An ordinary fortnight: 10 working days from a Wednesday is the Wednesday after next.
            (ENG, "2026-02-04", 10, "2026-02-18"),
            # Starting on a weekend: the start never counts, Monday is the first.
            (ENG, "2026-02-07", 1, "2026-02-09"),
            (ENG, "2026-02-06", 0, "2026-02-06"),
            (ENG, "2026-02-07", 0, "2026-02-07"),  # 0 gives the date itself, working or not
        ],
    )
    def test_add(self, jurisdiction: str, start: str, count: int, due: str) -> None:
        duration = Duration(count, Unit.WORKING_DAYS)
        assert add_duration(d(start), duration, jurisdiction) == d(due)
        assert working_days(jurisdiction).add(d(start), count) == d(due)

    @pytest.mark.parametrize(
        ("jurisdiction", "end", "count", "start"),
        [
            (SCT, "2027-01-05", 1, "2026-12-31"),
            (ENG, "2027-01-05", 1, "2027-01-04"),
            (SCT, "2028-01-05", 4, "2027-12-24"),
            (ENG, "2026-12-29", 1, "2026-12-24"),
            (SCT, "2026-04-07", 1, "2026-04-06"),  # Easter Monday is a Scottish working day
            (ENG, "2026-04-07", 1, "2026-04-02"),
            (NIR, "2026-03-18", 1, "2026-03-16"),
            (SCT, "2026-12-01", 1, "2026-11-27"),
            (ENG, "2026-02-18", 10, "2026-02-04"),
            (ENG, "2026-02-08", 1, "2026-02-06"),  # from a Sunday, back to Friday
        ],
    )
    def test_subtract(self, jurisdiction: str, end: str, count: int, start: str) -> None:
        duration = Duration(count, Unit.WORKING_DAYS)
        assert subtract_duration(d(end), duration, jurisdiction) == d(start)
        assert working_days(jurisdiction).subtract(d(end), count) == d(start)

    @pytest.mark.parametrize(
        ("jurisdiction", "day", "working"),
        [
            (SCT, "2026-01-02", False),  # 2 January: Scotland only
            (ENG, "2026-01-02", True),
            (NIR, "2026-01-02", True),
            (SCT, "2027-01-04", False),  # substitute for Sat 2 Jan 2027
            (ENG, "2027-01-04", True),
            (SCT, "2026-04-03", False),  # Good Friday
            (ENG, "2026-04-03", False),
            (NIR, "2026-04-03", False),
            (SCT, "2026-04-06", True),  # Easter Monday
            (ENG, "2026-04-06", False),
            (NIR, "2026-04-06", False),
            (NIR, "2026-03-17", False),  # St Patrick's Day
            (SCT, "2026-03-17", True),
            (NIR, "2026-07-13", False),  # Battle of the Boyne, 12 July a Sunday
            (ENG, "2026-07-13", True),
            (SCT, "2026-11-30", False),  # St Andrew's Day
            (ENG, "2026-11-30", True),
            (SCT, "2026-08-03", False),  # Scotland's summer holiday is the first Monday...
            (ENG, "2026-08-03", True),
            (ENG, "2026-08-31", False),  # ... the others' the last
            (SCT, "2026-08-31", True),
            (ENG, "2026-12-28", False),  # Boxing Day substitute
            (ENG, "2027-12-27", False),  # Christmas Day substitute
            (ENG, "2027-12-28", False),  # Boxing Day substitute
            (ENG, "2026-12-26", False),  # a Saturday
            (ENG, "2026-12-29", True),
        ],
    )
    def test_is_working_day(self, jurisdiction: str, day: str, working: bool) -> None:
        assert working_days(jurisdiction).is_working_day(d(day)) is working

    @pytest.mark.parametrize("jurisdiction", ALL)
    def test_agrees_with_holidays_every_day_of_twelve_years(self, jurisdiction: str) -> None:
        expected = holidays.country_holidays(
            "GB", subdiv=JURISDICTIONS[jurisdiction], years=range(2020, 2032)
        )
        calendar = WorkingDays(jurisdiction)
        day = date(2031, 12, 31)  # load from the far end first, then grow backwards
        while day >= date(2020, 1, 1):
            assert calendar.is_working_day(day) is (day.weekday() < 5 and day not in expected)
            day -= timedelta(days=1)

    def test_grows_in_both_directions(self) -> None:
        calendar = WorkingDays(SCT)
        assert calendar.add(d("2026-12-31"), 1) == d("2027-01-05")
        assert calendar.subtract(d("1990-01-03"), 1) == d("1989-12-29")  # 1-2 Jan 1990 holidays
        assert calendar.add(d("2026-12-31"), 1) == d("2027-01-05")
        # a count longer than the loaded years: 260 working days is about a year
        assert calendar.add(d("2026-01-05"), 2600) > d("2035-12-31")
        assert calendar.subtract(d("2026-01-05"), 2600) < d("2016-01-01")

    def test_loaded_years_need_no_further_calls_to_holidays(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        calendar = WorkingDays(ENG)
        calendar.is_working_day(d("2026-06-01"))

        def refuse(*args: object, **kwargs: object) -> None:
            raise AssertionError("holidays consulted again for a loaded year")

        monkeypatch.setattr(dates.holidays, "country_holidays", refuse)
        assert calendar.add(d("2026-12-24"), 1) == d("2026-12-29")
        assert not calendar.is_working_day(d("2026-08-31"))
        assert calendar.subtract(d("2026-01-02"), 1) == d("2025-12-31")

    def test_negative_count_is_refused(self) -> None:
        with pytest.raises(ValueError, match=r"^expected a count of working days of at least 0"):
            working_days(ENG).add(d("2026-01-05"), -1)
        with pytest.raises(ValueError, match=r"^expected a count of working days of at least 0"):
            working_days(ENG).subtract(d("2026-01-05"), -1)

    def test_one_shared_calendar_per_jurisdiction(self) -> None:
        assert working_days(SCT) is working_days(SCT)
        assert working_days(SCT) is not working_days(ENG)

    @property_test
    @given(some_dates, st.integers(min_value=1, max_value=40), jurisdictions)
    def test_add_lands_on_the_nth_working_day(self, day: date, count: int, j: str) -> None:
        calendar = working_days(j)
        due = calendar.add(day, count)
        assert calendar.is_working_day(due)
        between = [day + timedelta(days=n) for n in range(1, (due - day).days + 1)]
        assert sum(calendar.is_working_day(each) for each in between) == count

    @property_test
    @given(some_dates, st.integers(min_value=1, max_value=40), jurisdictions)
    def test_subtract_lands_on_the_nth_working_day(self, day: date, count: int, j: str) -> None:
        calendar = working_days(j)
        start = calendar.subtract(day, count)
        assert calendar.is_working_day(start)
        between = [start + timedelta(days=n) for n in range((day - start).days)]
        assert sum(calendar.is_working_day(each) for each in between) == count

    @property_test
    @given(some_dates, st.integers(min_value=0, max_value=60), jurisdictions)
    def test_add_is_strictly_increasing(self, day: date, count: int, j: str) -> None:
        calendar = working_days(j)
        earlier, later = calendar.add(day, count), calendar.add(day, count + 1)
        assert earlier < later
        assert not any(
            calendar.is_working_day(earlier + timedelta(days=n))
            for n in range(1, (later - earlier).days)
        )

    @property_test
    @given(some_dates, st.integers(min_value=1, max_value=60), jurisdictions)
    def test_counting_back_returns_to_the_last_working_day(
        self, day: date, count: int, j: str
    ) -> None:
        calendar = working_days(j)
        back = calendar.subtract(calendar.add(day, count), count)
        assert back <= day
        assert calendar.is_working_day(back)
        skipped = [back + timedelta(days=n) for n in range(1, (day - back).days + 1)]
        assert not any(calendar.is_working_day(each) for each in skipped)
        if calendar.is_working_day(day):
            assert back == day

    @property_test
    @given(some_dates, st.integers(min_value=1, max_value=60), jurisdictions)
    def test_counting_forward_returns_to_the_next_working_day(
        self, day: date, count: int, j: str
    ) -> None:
        calendar = working_days(j)
        forward = calendar.add(calendar.subtract(day, count), count)
        assert forward >= day
        assert calendar.is_working_day(forward)
        assert not any(
            calendar.is_working_day(day + timedelta(days=n)) for n in range((forward - day).days)
        )


class TestJurisdictions:
    """Three nations, each with its own bank holidays; anything else is refused by name."""

    def test_names_and_subdivisions(self) -> None:
        assert JURISDICTIONS == {
            "scotland": "SCT",
            "england-and-wales": "ENG",
            "northern-ireland": "NIR",
        }

    @pytest.mark.parametrize("name", ["narnia", "Scotland", "england", "wales", ""])
    def test_unknown_is_refused(self, name: str) -> None:
        message = (
            "expected a jurisdiction 'england-and-wales', 'northern-ireland' or 'scotland', "
            f"got {name!r}"
        )
        with pytest.raises(ValueError) as caught:
            WorkingDays(name)
        assert str(caught.value) == message
        with pytest.raises(ValueError):
            working_days(name)
        with pytest.raises(ValueError):
            add_duration(d("2026-01-05"), Duration(1, Unit.DAYS), name)
        with pytest.raises(ValueError):
            subtract_duration(d("2026-01-05"), Duration(1, Unit.WORKING_DAYS), name)
