#!/usr/bin/env bash
# Ombud beside the tools a user would pick instead, measured in the same minutes.
#
#   bench/peers/run.sh
#
# 1. Builds `ombud` and bench/peers/ombud-calendar (Ombud's calendar timer) in release.
# 2. Sets up the Python peers in a virtual environment outside the repository (PEERS_VENV,
#    default ~/.cache/ombud/bench-peers-venv) from bench/peers/requirements.txt.
# 3. Checks that the peers give Ombud's answers for every measured case (calendar_peers.py check).
# 4. Calendar arithmetic on cn-mainland: Ombud, then the peers, ROUNDS times (A/B/A/B…).
# 5. Replay of a generated ledger (TICKETS tickets, seed 1): `ombud replay` on all cores, the
#    Python json.loads floor, `ombud replay --threads 1`, Python json.loads + chinesecalendar
#    deadlines, ROUNDS times. The Python peers stop after REPLAY_MAX_SECONDS.
# 6. Prints medians over the rounds, ranges and ratios (summarize.py), and the load average
#    before and after.
#
# Settings (environment): ROUNDS=3 TICKETS=1000000 REPLAY_MAX_SECONDS=30 MIN_SECONDS=0.2
# REPEAT=5 PEERS_VENV=… OUT=target/bench-peers. Needs python3 (3.11 or later, with venv) and cargo.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=bench/peers
rounds=${ROUNDS:-3}
tickets=${TICKETS:-1000000}
replay_max=${REPLAY_MAX_SECONDS:-30}
min_seconds=${MIN_SECONDS:-0.2}
repeat=${REPEAT:-5}
venv=${PEERS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/ombud/bench-peers-venv}
target=$(cargo metadata --format-version 1 --no-deps | sed -E 's/.*"target_directory":"([^"]*)".*/\1/')
out=${OUT:-$target/bench-peers}
ombud=$target/release/ombud
timer=$target/release/ombud-calendar-timer
policy=policies/service-complaints.yaml
cores=$(nproc)

step() { printf '\n== %s\n' "$*" >&2; }

step "build (release)"
cargo build --release --locked --bin ombud
# The timer uses the workspace's versions of every crate: the lock file is the workspace's.
cp Cargo.lock "$here/ombud-calendar/Cargo.lock"
cargo build --release --manifest-path "$here/ombud-calendar/Cargo.toml" --target-dir "$target"

step "Python peers in $venv"
if [[ ! -x $venv/bin/python ]]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
py=$venv/bin/python

rm -rf "$out"
mkdir -p "$out"
cp "$here/cases.json" "$out/cases.json"

step "same answers?"
"$timer" answers "$here/cases.json" >"$out/answers.jsonl"
from=$(sed -nE 's/.*"days_from": *"([^"]*)".*/\1/p' "$here/cases.json")
to=$(sed -nE 's/.*"days_to": *"([^"]*)".*/\1/p' "$here/cases.json")
"$ombud" calendar days --calendar cn-mainland --from "$from" --to "$to" >"$out/days.csv"
"$py" "$here/calendar_peers.py" check "$here/cases.json" "$out/answers.jsonl" "$out/days.csv" \
    "$out/wrong.json" | tee "$out/check.txt"

step "ledger: $tickets tickets, seed 1"
ledger=$out/ledger.jsonl
"$ombud" ledger generate --tickets "$tickets" --seed 1 >"$ledger"

load_before=$(uptime)
started=$(date -u +%FT%TZ)
for ((r = 1; r <= rounds; r++)); do
    step "calendar, round $r of $rounds"
    "$timer" time "$here/cases.json" "$min_seconds" "$repeat" >>"$out/round-$r.jsonl"
    "$py" "$here/calendar_peers.py" time "$here/cases.json" "$min_seconds" "$repeat" >>"$out/round-$r.jsonl"
done
for ((r = 1; r <= rounds; r++)); do
    step "replay, round $r of $rounds"
    # Ombud has ten times the peers' time limit before it counts as failed.
    limit=$((replay_max * 10))
    "$py" "$here/replay_peers.py" ombud "$ombud" "$policy" "$ledger" "$cores" "$limit" >>"$out/round-$r.jsonl"
    "$py" "$here/replay_peers.py" json "$ledger" "$replay_max" >>"$out/round-$r.jsonl"
    if ((cores > 1)); then
        "$py" "$here/replay_peers.py" ombud "$ombud" "$policy" "$ledger" 1 "$limit" >>"$out/round-$r.jsonl"
    fi
    "$py" "$here/replay_peers.py" deadlines "$here/cases.json" "$ledger" "$replay_max" >>"$out/round-$r.jsonl"
done
finished=$(date -u +%FT%TZ)
load_after=$(uptime)
rm -f "$ledger"

step "results ($out)"
{
    echo "ran $started – $finished on $cores cores; $(git rev-parse --short HEAD 2>/dev/null || echo '?')," \
        "$(rustc --version | cut -d' ' -f1-2), Python $("$py" -c 'import platform; print(platform.python_version())')"
    echo "load average before: ${load_before##*load average: }; after: ${load_after##*load average: }"
    echo
    "$py" "$here/summarize.py" "$out"
} | tee "$out/summary.txt"
