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


def number(x):
    return f"{x:,.0f}" if x >= 10 else f"{x:.1f}"


def ratio(x):
    return "×" + number(x)


def paired(theirs, ours):
    """`×median (min–max)` over the rounds of theirs/ours, each round's pair minutes apart."""
    values = [theirs[r] / ours[r] for r in theirs if r in ours]
    if len(values) == 1:
        return ratio(values[0])
    return f"{ratio(statistics.median(values))} ({number(min(values))}–{number(max(values))})"


def main(out):
    # (impl, operation) -> {round: record}
    rows = {}
    paths = sorted(glob.glob(os.path.join(out, "round-*.jsonl")))
    for path in paths:
        round_ = int(os.path.basename(path)[len("round-"):-len(".jsonl")])
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    rows.setdefault((r["impl"], r.get("id", "replay")), {})[round_] = r
    with open(os.path.join(out, "cases.json"), encoding="utf-8") as f:
        cases = json.load(f)
    with open(os.path.join(out, "wrong.json"), encoding="utf-8") as f:
        wrong = {tuple(w) for w in json.load(f)}
    ops = [(a["id"], a["what"]) for a in cases["add"]]
    ops += [(cases["count"]["id"], cases["count"]["what"]),
            ("W", "W(t), working clock"), ("Winv", "W⁻¹(w), its inverse")]
    rounds = f"{len(paths)} round{'s' if len(paths) != 1 else ''}"

    print(f"Calendar arithmetic on {cases['calendar']}: median per call over {rounds} (range); "
          f"ratio = peer's time / Ombud's in the same round, median (range)")
    print(f"{'operation':<48} {'Ombud':<22} {'target':<10} {'peer':<52} {'peer time':<28} ratio")
    for op, what in ops:
        ours = {r: x["ns"] for r, x in rows.get(("ombud", op), {}).items()}
        if not ours:
            continue
        ours_mid = statistics.median(ours.values())
        limit = CALENDAR_TARGETS_NS.get(op)
        target = "—" if limit is None else f"< {limit} ns " + ("✓" if ours_mid < limit else "✗")
        peers = sorted((impl, rs) for (impl, i), rs in rows.items() if i == op and impl != "ombud")
        first = f"{what:<48} {duration(list(ours.values())):<22} {target:<10} "
        if not peers:
            print(first + "(no peer has a working clock)")
        for k, (impl, rs) in enumerate(peers):
            theirs = {r: x["ns"] for r, x in rs.items()}
            name = impl + (" — WRONG ANSWERS" if (impl, op) in wrong else "")
            lead = first if k == 0 else " " * len(first)
            print(f"{lead}{name:<52} {duration(list(theirs.values())):<28} {paired(theirs, ours)}")

    replay = [(impl, rs) for (impl, i), rs in rows.items() if i == "replay"]
    if not replay:
        return
    lines = max(x["lines"] for _, rs in replay for x in rs.values())
    print()
    print(f"Replay of one generated ledger ({lines:,} lines): lines/s from opening the ledger to its "
          f"last line, median over {rounds} (range); ratio = Ombud's lines/s / the peer's in the "
          f"same round, median (range)")
    def order(row):  # Ombud on most threads first, then the peers, fastest first
        impl, rs = row
        if impl.startswith("ombud"):
            return (0, -statistics.median(x["threads"] for x in rs.values()))
        return (1, -statistics.median(x["lines_per_s"] for x in rs.values()))

    replay.sort(key=order)
    ours = [(impl.split(", ")[1], {r: x["lines_per_s"] for r, x in rs.items()})
            for impl, rs in replay if impl.startswith("ombud")]
    for impl, rs in replay:
        per_s = {r: x["lines_per_s"] for r, x in rs.items()}
        mid = statistics.median(per_s.values())
        partial = "" if all(x["complete"] for x in rs.values()) else \
            f", first {statistics.median(x['seconds'] for x in rs.values()):.0f} s"
        if impl.startswith("ombud"):
            note = f"target > {REPLAY_TARGET:,} " + ("✓" if mid > REPLAY_TARGET else "✗")
        else:
            note = "Ombud " + ", ".join(f"{paired(o, per_s)} on {t}" for t, o in ours)
        print(f"{impl + partial:<66} {per_second(list(per_s.values())):<34} {note}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
