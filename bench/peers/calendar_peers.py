"""The Python peers of Ombud's calendar arithmetic, checked against Ombud's answers and timed.

    python calendar_peers.py check CASES.json OMBUD_ANSWERS.jsonl OMBUD_DAYS.csv [WRONG.json]
    python calendar_peers.py time CASES.json [MIN_SECONDS] [REPEAT]

Each peer is written as a user of the library would write Ombud's rule (docs/calendars.md):
"N working days" from an instant is the end (00:00 of the next date, Asia/Shanghai) of the Nth
working day after the start's local date; the start's day is not counted.

- chinesecalendar: `find_workday`, and a plain loop over `is_workday`. Knows make-up days.
- holidays: `holidays.China(...).get_nth_working_day` / `get_working_days_count`. Its
  `is_working_day` knows make-up days (the notice's weekend workdays).
- numpy + holidays: `numpy.busday_offset` / `busday_count` with `holidays.China`'s dates as
  holidays, the usual vectorisable idiom. A Monday–Friday week mask cannot mark a Saturday as
  worked, so this idiom does not know make-up days.

`check` prints, for every case, whether each peer gives Ombud's deadline, and compares every day
of the calendar's covered range; it also shows the obvious one-call forms that are off by one
for a start on a day off. WRONG.json receives the [peer, operation] pairs that differ. `time` prints one JSON object per peer and operation, measured as
`ombud-calendar-timer time` measures Ombud (median of REPEAT runs of an autoranged loop).
"""

import csv
import datetime as dt
import json
import sys
import time
from importlib.metadata import version
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays
import numpy as np

ONE_DAY = dt.timedelta(days=1)
MIDNIGHT = dt.time()


class Cases:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            c = json.load(f)
        self.zone = ZoneInfo(c["zone"])
        self.days_from = dt.date.fromisoformat(c["days_from"])
        self.days_to = dt.date.fromisoformat(c["days_to"])
        self.add = [
            (a["id"], a["what"], a["days"], [dt.datetime.fromisoformat(s) for s in a["starts"]])
            for a in c["add"]
        ]
        k = c["count"]
        self.count = (k["id"], k["what"], dt.date.fromisoformat(k["from"]), dt.date.fromisoformat(k["to"]))


def make_peers(zone, years):
    """Each peer: (name, add(start, n) -> deadline), (name, count(a, b) -> int) or None,
    (name, working(date) -> bool) or None."""
    cn = holidays.China(years=years)
    busdays = np.busdaycalendar(holidays=np.array(sorted(cn), dtype="datetime64[D]"))

    def end_of(day):
        return dt.datetime.combine(day + ONE_DAY, MIDNIGHT, zone)

    def cc_find(start, n):
        day = start.astimezone(zone).date()
        # find_workday(0, d) is the first working day on or after d.
        return end_of(chinese_calendar.find_workday(n - 1, day + ONE_DAY))

    def cc_loop(start, n):
        day = start.astimezone(zone).date()
        while n:
            day += ONE_DAY
            if chinese_calendar.is_workday(day):
                n -= 1
        return end_of(day)

    def cc_count(a, b):
        return len(chinese_calendar.get_workdays(a, b))

    def hol_add(start, n):
        return end_of(cn.get_nth_working_day(start.astimezone(zone).date(), n))

    def np_add(start, n):
        day = np.datetime64(start.astimezone(zone).date(), "D")
        # roll="backward": from a day off, count from the working day before it.
        return end_of(np.busday_offset(day, n, roll="backward", busdaycal=busdays).item())

    def np_count(a, b):
        return int(np.busday_count(a, b + ONE_DAY, busdaycal=busdays))

    peers = [
        (("chinesecalendar find_workday", cc_find),
         ("chinesecalendar get_workdays", cc_count),
         ("chinesecalendar is_workday", chinese_calendar.is_workday)),
        (("chinesecalendar is_workday loop", cc_loop), None, None),
        (("holidays get_nth_working_day", hol_add),
         ("holidays get_working_days_count", cn.get_working_days_count),
         ("holidays China().is_working_day", cn.is_working_day)),
        (("numpy busday_offset + holidays", np_add),
         ("numpy busday_count + holidays", np_count),
         ("numpy is_busday + holidays", lambda d: bool(np.is_busday(d, busdaycal=busdays)))),
    ]
    # The one-call forms a user reaches for first: they count from the next working day when the
    # start falls on a day off, one working day too late.
    pitfalls = [
        ("chinesecalendar find_workday(n, start_date)",
         lambda s, n: end_of(chinese_calendar.find_workday(n, s.astimezone(zone).date()))),
        ("numpy busday_offset(start_date, n, roll='forward')",
         lambda s, n: end_of(np.busday_offset(np.datetime64(s.astimezone(zone).date(), "D"), n,
                                              roll="forward", busdaycal=busdays).item())),
    ]
    return peers, pitfalls


def versions():
    return {p: version(p) for p in ("chinesecalendar", "holidays", "numpy")}


def check(cases_path, answers_path, days_path, wrong_path=None):
    cases = Cases(cases_path)
    years = range(cases.days_from.year, cases.days_to.year + 1)
    peers, pitfalls = make_peers(cases.zone, years)
    with open(answers_path, encoding="utf-8") as f:
        answers = [json.loads(line) for line in f if line.strip()]
    deadlines = {(a["id"], dt.datetime.fromisoformat(a["start"])): dt.datetime.fromisoformat(a["deadline"])
                 for a in answers if "deadline" in a}
    count_id, count_what, count_from, count_to = cases.count
    ombud_count = next(a["days"] for a in answers if a["id"] == count_id)
    print("peer versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()))
    print("answers checked against Ombud (cn-mainland), same instants:")
    wrong = set()
    checked = [(name, add, count, "") for (name, add), count, _ in peers]
    checked += [(name, add, None, " (one-call form, not timed)") for name, add in pitfalls]

    def local(t):
        if isinstance(t, str):
            return t
        t = t.astimezone(cases.zone)
        if t.time() == MIDNIGHT:  # a deadline: the end of the day before
            return f"end of {t - ONE_DAY:%a %d %b}"
        return f"{t:%a %d %b %H:%M}"

    for name, add, count, note in checked:
        bad = []
        for case_id, what, n, starts in cases.add:
            for s in starts:
                ours = deadlines[(case_id, s)]
                try:
                    theirs = add(s, n)
                except Exception as e:  # a peer that cannot answer is reported, not fatal
                    theirs = f"error: {e}"
                if theirs != ours:
                    bad.append(f"{what.split(' (')[0]} from {local(s)}: deadline {local(theirs)}, "
                               f"Ombud {local(ours)}")
                    wrong.add((name, case_id))
        total = sum(len(s) for _, _, _, s in cases.add)
        status = "same answers" if not bad else f"{len(bad)} of {total} differ"
        print(f"  {name + note:<72} {status}")
        for b in bad:
            print(f"      {b}")
    for _, count, _ in peers:
        if count is None:
            continue
        name, count = count
        theirs = count(count_from, count_to)
        status = "same answer" if theirs == ombud_count else f"{theirs}, Ombud {ombud_count}"
        if theirs != ombud_count:
            wrong.add((name, count_id))
        print(f"  {name + ', ' + count_what:<72} {status}")
    print(f"days {cases.days_from}..{cases.days_to}, working or not, against `ombud calendar days`:")
    with open(days_path, encoding="utf-8") as f:
        kinds = {dt.date.fromisoformat(r["date"]): r["kind"] for r in csv.DictReader(f)}
    for _, _, day_peer in peers:
        if day_peer is None:
            continue
        name, working = day_peer
        differ = [(d, k) for d, k in sorted(kinds.items())
                  if working(d) != (k in ("workday", "makeup_workday"))]
        print(f"  {name:<72} {len(differ)} of {len(kinds)} days differ")
        if differ:
            shown = ", ".join(f"{d:%a %Y-%m-%d} ({k})" for d, k in differ[:6])
            print(f"      {shown}{', …' if len(differ) > 6 else ''}")
    print("  (holidays' is_working_day counts the notice's weekend workdays; a Monday-Friday numpy"
          " week mask cannot)")
    if wrong_path is not None:
        with open(wrong_path, "w", encoding="utf-8") as f:
            json.dump(sorted(wrong), f)


def autorange_time(fn, calls, min_seconds, repeat):
    """Like ombud-calendar-timer's `time`: median and minimum nanoseconds per call."""
    def run(number):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        return time.perf_counter() - t

    scale = 1
    number = 1
    while True:
        for step in (1, 2, 5):
            number = scale * step
            if run(number) >= min_seconds:
                break
        else:
            scale *= 10
            continue
        break
    runs = sorted(run(number) * 1e9 / (number * calls) for _ in range(repeat))
    mid = len(runs) // 2
    median = runs[mid] if len(runs) % 2 else (runs[mid - 1] + runs[mid]) / 2
    return median, runs[0], number


def time_peers(cases_path, min_seconds, repeat):
    cases = Cases(cases_path)
    peers, _ = make_peers(cases.zone, range(cases.days_from.year, cases.days_to.year + 1))
    count_id, _, a, b = cases.count
    for (name, add), count, _ in peers:
        jobs = []
        for case_id, _, n, starts in cases.add:
            def body(add=add, n=n, starts=starts):
                for s in starts:
                    add(s, n)
            jobs.append((name, case_id, body, len(starts)))
        if count is not None:
            jobs.append((count[0], count_id, lambda count=count[1]: count(a, b), 1))
        for name, case_id, body, calls in jobs:
            median, low, number = autorange_time(body, calls, min_seconds, repeat)
            print(json.dumps({"impl": name, "id": case_id, "ns": median, "min_ns": low,
                              "number": number, "calls": calls, "repeat": repeat}), flush=True)


def main(argv):
    if len(argv) >= 5 and argv[1] == "check":
        check(argv[2], argv[3], argv[4], argv[5] if len(argv) > 5 else None)
    elif len(argv) >= 3 and argv[1] == "time":
        min_seconds = float(argv[3]) if len(argv) > 3 else 0.2
        repeat = int(argv[4]) if len(argv) > 4 else 5
        time_peers(argv[2], min_seconds, repeat)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
