//! Ombud's side of the calendar peer benchmark (`bench/peers/run.sh`).
//!
//! `ombud-calendar-timer answers CASES.json` prints, one JSON object a line, the deadline of every
//! case and start, and the working-day count, for the peers to be checked against.
//! `ombud-calendar-timer time CASES.json [MIN_SECONDS] [REPEAT]` times each operation as Python's
//! `timeit.repeat` does: the number of loops is chosen so that one repeat lasts at least
//! MIN_SECONDS (1, 2, 5, 10, 20, 50, … loops, as `timeit.autorange`), the repeat is run REPEAT
//! times, and the median and the minimum per call are printed.

use chrono::{DateTime, NaiveDate, Utc};
use ombud_engine::calendar::Calendar;
use ombud_engine::policy::Duration;
use serde_json::{Value, json};
use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

type Error = Box<dyn std::error::Error>;

/// One `add` case of `cases.json`: an id, a number of working days and the starts it is added to.
struct AddCase {
    id: String,
    days: u32,
    starts: Vec<DateTime<Utc>>,
}

/// The cases, read from `cases.json`.
struct Cases {
    calendar: String,
    add: Vec<AddCase>,
    count_id: String,
    count_from: NaiveDate,
    count_to: NaiveDate,
    clock_at: DateTime<Utc>,
    clock_plus: i64,
}

fn text<'a>(v: &'a Value, key: &str) -> Result<&'a str, Error> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("cases: `{key}` is missing or not a string").into())
}

fn instant(s: &str) -> Result<DateTime<Utc>, Error> {
    Ok(DateTime::parse_from_rfc3339(s)?.with_timezone(&Utc))
}

fn read_cases(path: &str) -> Result<Cases, Error> {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let mut add = Vec::new();
    for c in v.get("add").and_then(Value::as_array).ok_or("cases: `add` is not a list")? {
        let days = c.get("days").and_then(Value::as_u64).ok_or("cases: `days` is not a number")?;
        let starts = c
            .get("starts")
            .and_then(Value::as_array)
            .ok_or("cases: `starts` is not a list")?
            .iter()
            .map(|s| instant(s.as_str().ok_or("cases: a start is not a string")?))
            .collect::<Result<Vec<_>, _>>()?;
        add.push(AddCase { id: text(c, "id")?.to_owned(), days: u32::try_from(days)?, starts });
    }
    let count = v.get("count").ok_or("cases: `count` is missing")?;
    let clock = v.get("clock").ok_or("cases: `clock` is missing")?;
    Ok(Cases {
        calendar: text(&v, "calendar")?.to_owned(),
        add,
        count_id: text(count, "id")?.to_owned(),
        count_from: text(count, "from")?.parse()?,
        count_to: text(count, "to")?.parse()?,
        clock_at: instant(text(clock, "at")?)?,
        clock_plus: clock
            .get("plus_seconds")
            .and_then(Value::as_i64)
            .ok_or("cases: `plus_seconds` is not a number")?,
    })
}

/// Median and minimum nanoseconds per call of `f`, which makes `calls` calls per loop.
fn time(min_seconds: f64, repeat: usize, calls: usize, mut f: impl FnMut()) -> (f64, f64, u64) {
    let run = |f: &mut dyn FnMut(), number: u64| {
        let t = Instant::now();
        for _ in 0..number {
            f();
        }
        t.elapsed().as_secs_f64()
    };
    // timeit.autorange: 1, 2, 5, 10, 20, 50, … loops until one run lasts MIN_SECONDS.
    let mut number = 1;
    'grow: for scale in std::iter::successors(Some(1u64), |s| s.checked_mul(10)) {
        for step in [1, 2, 5] {
            number = scale * step;
            if run(&mut f, number) >= min_seconds {
                break 'grow;
            }
        }
    }
    let per_call = 1e9 / (number as f64 * calls as f64);
    let mut runs: Vec<f64> = (0..repeat).map(|_| run(&mut f, number) * per_call).collect();
    runs.sort_by(f64::total_cmp);
    let median = if runs.len() % 2 == 1 {
        runs[runs.len() / 2]
    } else {
        (runs[runs.len() / 2 - 1] + runs[runs.len() / 2]) / 2.0
    };
    (median, runs[0], number)
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ombud-calendar-timer: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: ombud-calendar-timer answers|time CASES.json [MIN_SECONDS] [REPEAT]";
    let (mode, path) = match args.as_slice() {
        [mode, path, ..] => (mode.as_str(), path.as_str()),
        _ => return Err(usage.into()),
    };
    let cases = read_cases(path)?;
    let cal = Calendar::bundled(&cases.calendar)
        .ok_or_else(|| format!("no bundled calendar `{}`", cases.calendar))?;
    match mode {
        "answers" => {
            for c in &cases.add {
                for &s in &c.starts {
                    let d = cal.add(s, Duration::WorkingDays(c.days)).unwrap();
                    let line = json!({
                        "id": c.id,
                        "start": s.to_rfc3339(),
                        "deadline": d.at.with_timezone(&cal.tz()).to_rfc3339(),
                        "provisional": d.provisional.is_some(),
                    });
                    println!("{line}");
                }
            }
            let days = cal.working_days_between(cases.count_from, cases.count_to);
            println!("{}", json!({"id": cases.count_id, "days": days}));
        }
        "time" => {
            let min_seconds: f64 = args.get(2).map_or(Ok(0.2), |s| s.parse())?;
            let repeat: usize = args.get(3).map_or(Ok(5), |s| s.parse())?;
            let print = |id: &str, calls: usize, (median, min, number): (f64, f64, u64)| {
                let line = json!({"impl": "ombud", "id": id, "ns": median, "min_ns": min,
                                  "number": number, "calls": calls, "repeat": repeat});
                println!("{line}");
            };
            for c in &cases.add {
                let d = Duration::WorkingDays(c.days);
                let r = time(min_seconds, repeat, c.starts.len(), || {
                    for &s in &c.starts {
                        black_box(cal.add(black_box(s), black_box(d)).unwrap());
                    }
                });
                print(&c.id, c.starts.len(), r);
            }
            let (from, to) = (cases.count_from, cases.count_to);
            let r = time(min_seconds, repeat, 1, || {
                black_box(cal.working_days_between(black_box(from), black_box(to)));
            });
            print(&cases.count_id, 1, r);
            let at = cases.clock_at;
            print(
                "W",
                1,
                time(min_seconds, repeat, 1, || {
                    black_box(cal.working_clock(black_box(at)));
                }),
            );
            let w = cal.working_clock(at) + cases.clock_plus;
            print(
                "Winv",
                1,
                time(min_seconds, repeat, 1, || {
                    black_box(cal.at_working_clock(black_box(w)));
                }),
            );
        }
        _ => return Err(usage.into()),
    }
    Ok(())
}
