"""Replay throughput: `ombud replay` and what a user might run instead, on the same ledger.

    python replay_peers.py ombud OMBUD POLICY LEDGER THREADS MAX_SECONDS
    python replay_peers.py json LEDGER MAX_SECONDS
    python replay_peers.py deadlines CASES.json LEDGER MAX_SECONDS

Each prints one JSON object: lines read, seconds, lines per second, whether the whole ledger was
read. Every figure counts from opening the ledger to the last line handled (the span `ombud
replay` reports on stderr), not the start of the process.

- `ombud`: runs `ombud replay --threads THREADS` (killed after MAX_SECONDS) and reads its own
  figure: every ticket through the policy's stages, limits, escalation ladders and figures.
- `json`: the floor of doing anything in Python: `json.loads` of every line, nothing else.
- `deadlines`: `json.loads` of every line and, for each ticket's opening, a 3-working-day deadline
  with chinesecalendar (the `find_workday` peer of calendar_peers.py, checked there against
  Ombud). One deadline per ticket is a small part of what the policy asks (no stages, pauses,
  escalations or figures), so this is a lower bound of a Python implementation's cost.

The Python peers stop by themselves after MAX_SECONDS and report the lines they read by then.
"""

import datetime as dt
import json
import re
import subprocess
import sys
import time

CHECK_EVERY = 4096


def report(impl, lines, seconds, complete, **extra):
    print(json.dumps({"impl": impl, "lines": lines, "seconds": seconds,
                      "lines_per_s": lines / seconds if seconds > 0 else 0.0,
                      "complete": complete, **extra}), flush=True)


def ombud(binary, policy, ledger, threads, max_seconds):
    cmd = [binary, "replay", "--policy", policy, "--ledger", ledger, "--threads", str(threads)]
    try:
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                           timeout=max_seconds)
    except subprocess.TimeoutExpired:
        sys.exit(f"replay_peers: `{' '.join(cmd)}` did not finish in {max_seconds} s")
    m = re.search(r"replayed (\d+) lines in ([0-9.]+) s", p.stderr)
    if p.returncode != 0 or m is None:
        sys.exit(f"replay_peers: `{' '.join(cmd)}` failed (exit {p.returncode}):\n{p.stderr}")
    report(f"ombud replay, {threads} thread{'s' if threads != 1 else ''}",
           int(m.group(1)), float(m.group(2)), True, threads=threads)


def python_json(ledger, max_seconds):
    lines = 0
    complete = True
    start = time.perf_counter()
    with open(ledger, encoding="utf-8") as f:
        for line in f:
            json.loads(line)
            lines += 1
            if lines % CHECK_EVERY == 0 and time.perf_counter() - start > max_seconds:
                complete = False
                break
    report("python json.loads per line", lines, time.perf_counter() - start, complete)


def python_deadlines(cases_path, ledger, max_seconds):
    from calendar_peers import Cases, make_peers

    cases = Cases(cases_path)
    peers, _ = make_peers(cases.zone, range(cases.days_from.year, cases.days_to.year + 1))
    add = next(add for (name, add), _, _ in peers if name == "chinesecalendar find_workday")
    deadlines = {}
    lines = 0
    complete = True
    start = time.perf_counter()
    with open(ledger, encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            opening = record.get("open")
            if opening is not None:
                at = dt.datetime.fromisoformat(opening["at"])
                deadlines[record["ticket"]] = add(at, 3)
            lines += 1
            if lines % CHECK_EVERY == 0 and time.perf_counter() - start > max_seconds:
                complete = False
                break
    report("python json.loads + chinesecalendar deadline per ticket", lines,
           time.perf_counter() - start, complete, tickets=len(deadlines))


def main(argv):
    if len(argv) == 7 and argv[1] == "ombud":
        ombud(argv[2], argv[3], argv[4], int(argv[5]), float(argv[6]))
    elif len(argv) == 4 and argv[1] == "json":
        python_json(argv[2], float(argv[3]))
    elif len(argv) == 5 and argv[1] == "deadlines":
        python_deadlines(argv[2], argv[3], float(argv[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
