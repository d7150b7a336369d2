"""Prints the table of a `bench/peers/run.sh` run: medians over the rounds, ranges, ratios.

    python summarize.py OUT_DIR

Reads OUT_DIR/round-*.jsonl (one JSON object per measurement, as printed by
ombud-calendar-timer, calendar_peers.py and replay_peers.py), OUT_DIR/cases.json's copy of the
operations' names and OUT_DIR/wrong.json (peers whose answers differ from Ombud's).
"""

import glob
import json
import os
import statistics
import sys

# The README's targets, in nanoseconds per call (the working-day count has none).
CALENDAR_TARGETS_NS = {"add3": 150, "add7": 150, "W": 150, "Winv": 150}
REPLAY_TARGET = 400_000


def unit(ns):
    return next((d, u) for d, u in ((1, "ns"), (1e3, "µs"), (1e6, "ms"), (1e9, "s"))
                if ns < d * 1_000 or u == "s")


def duration(values):
    """`median unit (min–max)` of nanosecond values, in the median's unit."""
    d, u = unit(statistics.median(values))
    digits = 0 if u == "ns" else 2 if u == "ms" else 1
    n = lambda x: f"{x / d:,.{digits}f}"  # noqa: E731
    if len(values) == 1:
        return f"{n(values[0])} {u}"
    return f"{n(statistics.median(values))} {u} ({n(min(values))}–{n(max(values))})"


def per_second(values):
    mid = statistics.median(values)
    if len(values) == 1:
        return f"{mid:,.0f}"
    return f"{mid:,.0f} ({min(values):,.0f}–{max(values):,.0f})"


def ratio(x):
    return f"×{x:,.0f}" if x >= 10 else f"×{x:.1f}"


def main(out):
    rows = {}
    for path in sorted(glob.glob(os.path.join(out, "round-*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    rows.setdefault((r["impl"], r.get("id", "replay")), []).append(r)
    with open(os.path.join(out, "cases.json"), encoding="utf-8") as f:
        cases = json.load(f)
    with open(os.path.join(out, "wrong.json"), encoding="utf-8") as f:
        wrong = {tuple(w) for w in json.load(f)}
    ops = [(a["id"], a["what"]) for a in cases["add"]]
    ops += [(cases["count"]["id"], cases["count"]["what"]),
            ("W", "W(t), working clock"), ("Winv", "W⁻¹(w), its inverse")]
    n = len(glob.glob(os.path.join(out, "round-*.jsonl")))
    rounds = f"{n} round{'s' if n != 1 else ''}"

    print(f"Calendar arithmetic on {cases['calendar']}: median per call over {rounds} "
          f"(range); ratio = peer's median / Ombud's")
    print(f"{'operation':<48} {'Ombud':<22} {'target':<10} {'peer':<52} {'peer time':<28} ratio")
    for op, what in ops:
        ours = [r["ns"] for r in rows.get(("ombud", op), [])]
        if not ours:
            continue
        ours_mid = statistics.median(ours)
        limit = CALENDAR_TARGETS_NS.get(op)
        target = "—" if limit is None else f"< {limit} ns " + ("✓" if ours_mid < limit else "✗")
        peers = [(impl, rs) for (impl, i), rs in rows.items() if i == op and impl != "ombud"]
        first = f"{what:<48} {duration(ours):<22} {target:<10} "
        if not peers:
            print(first + "(no peer has a working clock)")
        for n, (impl, rs) in enumerate(sorted(peers)):
            theirs = [r["ns"] for r in rs]
            name = impl + (" — WRONG ANSWERS" if (impl, op) in wrong else "")
            lead = first if n == 0 else " " * len(first)
            print(f"{lead}{name:<52} {duration(theirs):<28} "
                  f"{ratio(statistics.median(theirs) / ours_mid)}")

    replay = [(impl, rs) for (impl, i), rs in rows.items() if i == "replay"]
    if not replay:
        return
    lines = max(r["lines"] for _, rs in replay for r in rs)
    print()
    print(f"Replay of one generated ledger ({lines:,} lines): lines/s from opening the ledger to its "
          f"last line, median over {rounds} (range); ratio = Ombud's median / peer's")
    ours = sorted(((statistics.median(r["lines_per_s"] for r in rs), impl)
                   for impl, rs in replay if impl.startswith("ombud")), reverse=True)
    for impl, rs in sorted(replay, key=lambda x: not x[0].startswith("ombud")):
        per_s = [r["lines_per_s"] for r in rs]
        mid = statistics.median(per_s)
        partial = "" if all(r["complete"] for r in rs) else \
            f", first {statistics.median(r['seconds'] for r in rs):.0f} s"
        if impl.startswith("ombud"):
            note = f"target > {REPLAY_TARGET:,} " + ("✓" if mid > REPLAY_TARGET else "✗")
        else:
            note = "Ombud " + " / ".join(f"{ratio(o / mid)} ({i.split(', ')[1]})" for o, i in ours)
        print(f"{impl + partial:<66} {per_second(per_s):<34} {note}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
