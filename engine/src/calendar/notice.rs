//! Reading the State Council's annual holiday notice (国务院办公厅关于…年部分节假日安排的通知)
//! as published, in Chinese, into the calendar file that adds its year.
//!
//! The reader knows the forms the notices use and nothing else: a title naming the year, an
//! optional document number, numbered arrangements (`二、春节：2月15日（周日）至23日（周一）放假调休，
//! 共9天。2月14日（周六）、2月28日（周六）上班。`) and the date of signature. Each arrangement's
//! sentences are days off (`…放假…`), make-up working days (`…上班`) or an encouragement to take
//! a day off (`鼓励…休息`, not a holiday). It checks the notice against itself — the stated
//! length (`共N天`, `放假N天`) against the days listed, each weekday in brackets against its date,
//! each make-up day on a weekend and outside the days off — and refuses, located, whatever it
//! cannot read (codes E0520–E0526, `docs/calendars.md`), rather than guessing.

use super::Calendar;
use crate::check::{Diagnostic, DiagnosticCode, Source, Span};
use chrono::{Datelike, NaiveDate, Weekday};
use std::fmt::Write as _;
use std::sync::Arc;

/// The holidays the notices name, with the English names `holidays/cn-mainland.yaml` uses.
const NOTICE_HOLIDAYS: [(&str, &str); 7] = [
    ("元旦", "New Year's Day"),
    ("春节", "Spring Festival"),
    ("清明节", "Qingming Festival"),
    ("劳动节", "Labour Day"),
    ("端午节", "Dragon Boat Festival"),
    ("中秋节", "Mid-Autumn Festival"),
    ("国庆节", "National Day"),
];

/// A holiday notice, read: its year, title, date of publication and arrangements.
///
/// ```
/// use ombud_engine::calendar::Notice;
/// let text = "国务院办公厅关于2026年部分节假日安排的通知\n\n\
///             一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。\n\n\
///             国务院办公厅\n2025年11月4日\n";
/// let notice = Notice::read("2026.txt", text).unwrap();
/// assert_eq!((notice.year, notice.published.to_string()), (2026, "2025-11-04".to_string()));
/// let new_year = &notice.arrangements[0];
/// assert_eq!((new_year.name.as_str(), new_year.name_local.as_str()), ("New Year's Day", "元旦"));
/// assert_eq!(new_year.days_off[0].1.to_string(), "2026-01-03");
/// assert_eq!(new_year.makeup_workdays[0].to_string(), "2026-01-04");
///
/// // A weekday that does not match its date is refused, at its place in the notice.
/// let wrong = text.replace("（周四）", "（周五）");
/// let errors = Notice::read("2026.txt", &wrong).unwrap_err();
/// assert_eq!((errors[0].code.as_str(), errors[0].span.line, errors[0].span.column), ("E0523", 3, 11));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// The year the notice arranges.
    pub year: i32,
    /// The title, with the document number in brackets when the notice gives one
    /// (`国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）`).
    pub title: String,
    /// The date of signature at the end of the notice.
    pub published: NaiveDate,
    /// The numbered arrangements, in order.
    pub arrangements: Vec<Arrangement>,
    source: Arc<Source>,
    year_span: Span,
}

/// One numbered arrangement of a notice: a holiday (or two taken together), its days off and
/// the make-up working days that bridge it.
///
/// ```
/// use ombud_engine::calendar::Notice;
/// let text = "国务院办公厅关于2025年部分节假日安排的通知\n\
///             六、国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，共8天。\
///             9月28日（周日）、10月11日（周六）上班。\n国务院办公厅\n2024年11月12日\n";
/// let a = &Notice::read("2025.txt", text).unwrap().arrangements[0];
/// assert_eq!(a.name, "National Day and Mid-Autumn Festival");
/// assert_eq!(a.name_local, "国庆节、中秋节");
/// assert_eq!(a.makeup_workdays.len(), 2);
/// assert_eq!(a.line, 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrangement {
    /// The English name (names of holidays taken together joined with `and`).
    pub name: String,
    /// The name as the notice writes it (`国庆节、中秋节`).
    pub name_local: String,
    /// The periods of days off, first and last day.
    pub days_off: Vec<(NaiveDate, NaiveDate)>,
    /// The make-up working days.
    pub makeup_workdays: Vec<NaiveDate>,
    /// Sentences that encourage a day off without granting it (kept for the record).
    pub encouraged: Vec<String>,
    /// The arrangement as written.
    pub text: String,
    /// Its line in the notice.
    pub line: u32,
}

/// The diagnostics collector for one notice.
struct Cx<'t> {
    text: &'t str,
    source: Arc<Source>,
    diags: Vec<Diagnostic>,
}

impl Cx<'_> {
    fn span(&self, offset: usize, len: usize) -> Span {
        Span::at_offset(self.text, offset, len)
    }

    fn push(&mut self, code: DiagnosticCode, msg: String, at: (usize, usize), hint: Option<&str>) {
        let mut d =
            Diagnostic::error(code, msg).with_span(self.span(at.0, at.1)).with_source(&self.source);
        if let Some(h) = hint {
            d = d.with_hint(h);
        }
        self.diags.push(d);
    }

    /// The text of bytes `at.0 .. at.0 + at.1`.
    fn slice(&self, at: (usize, usize)) -> &str {
        self.text.get(at.0..at.0 + at.1).unwrap_or("")
    }
}

const UNREADABLE_HINT: &str = "the reader knows days off (`2月15日至23日放假调休，共9天`), make-up \
                               days (`2月14日（周六）上班`) and encouragements (`鼓励…休息`); \
                               enter anything else into the calendar file by hand";

fn is_open(c: char) -> bool {
    matches!(c, '（' | '(')
}

fn is_close(c: char) -> bool {
    matches!(c, '）' | ')')
}

fn is_comma(c: char) -> bool {
    matches!(c, '，' | ',')
}

fn digit(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

/// A scanner over `text[pos..end]`, skipping white space between tokens.
struct Scan<'t> {
    text: &'t str,
    pos: usize,
    end: usize,
}

impl<'t> Scan<'t> {
    fn rest(&self) -> &'t str {
        self.text.get(self.pos..self.end).unwrap_or("")
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.rest().chars().next().filter(|c| c.is_whitespace()) {
            self.pos += c.len_utf8();
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_ws();
        self.rest().chars().next()
    }

    fn eat(&mut self, s: &str) -> bool {
        self.skip_ws();
        let found = self.rest().starts_with(s);
        if found {
            self.pos += s.len();
        }
        found
    }

    fn eat_if(&mut self, f: impl Fn(char) -> bool) -> bool {
        match self.peek() {
            Some(c) if f(c) => {
                self.pos += c.len_utf8();
                true
            }
            _ => false,
        }
    }

    fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.pos >= self.end
    }

    /// A number in ASCII or full-width digits, with its place.
    fn number(&mut self) -> Option<(u32, (usize, usize))> {
        self.skip_ws();
        let start = self.pos;
        let mut n: u32 = 0;
        while let Some(d) = self.rest().chars().next().and_then(digit) {
            n = n.checked_mul(10)?.checked_add(d)?;
            self.pos += self.rest().chars().next().map_or(1, char::len_utf8);
        }
        (self.pos > start).then_some((n, (start, self.pos - start)))
    }

    /// The place of what follows, up to the next comma or the end, for messages.
    fn clause(&mut self) -> (usize, usize) {
        self.skip_ws();
        let rest = self.rest();
        let len = rest.find(is_comma).unwrap_or(rest.len());
        // An empty clause, a comma at once, is the comma: the whole character.
        let len = if len == 0 { rest.chars().next().map_or(0, char::len_utf8) } else { len };
        (self.pos, len)
    }
}

/// The weekday a bracket part such as `周四`, `星期日` names.
fn weekday_of(part: &str) -> Option<Weekday> {
    let rest = part
        .strip_prefix("星期")
        .or_else(|| part.strip_prefix("周"))
        .or_else(|| part.strip_prefix("礼拜"))?;
    Some(match rest {
        "一" => Weekday::Mon,
        "二" => Weekday::Tue,
        "三" => Weekday::Wed,
        "四" => Weekday::Thu,
        "五" => Weekday::Fri,
        "六" => Weekday::Sat,
        "日" | "天" => Weekday::Sun,
        _ => return None,
    })
}

fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

/// Reads a date `[YYYY年]M月D日`, or `D日` when `month` is given (the second date of a range, a
/// list's next date), reporting what it cannot read.
fn date(cx: &mut Cx<'_>, sc: &mut Scan<'_>, year: i32, month: Option<u32>) -> Option<NaiveDate> {
    sc.skip_ws();
    let start = sc.pos;
    let fail = |cx: &mut Cx<'_>, sc: &mut Scan<'_>| {
        let at = sc.clause();
        cx.push(
            DiagnosticCode::E0520,
            format!("cannot read a date in `{}`", cx.slice((start, at.0 + at.1 - start))),
            (start, at.0 + at.1 - start),
            Some("dates are written `2月15日`, `2027年1月1日`, or `23日` after a date of the same month"),
        );
        None
    };
    let Some((first, _)) = sc.number() else { return fail(cx, sc) };
    let (y, m, d) = if sc.eat("年") {
        let Some((m, _)) = sc.number() else { return fail(cx, sc) };
        if !sc.eat("月") {
            return fail(cx, sc);
        }
        let Some((d, _)) = sc.number() else { return fail(cx, sc) };
        (i32::try_from(first).unwrap_or(0), m, d)
    } else if sc.eat("月") {
        let Some((d, _)) = sc.number() else { return fail(cx, sc) };
        (year, first, d)
    } else {
        match month {
            Some(m) if sc.rest().starts_with('日') => (year, m, first),
            _ => return fail(cx, sc),
        }
    };
    if !sc.eat("日") {
        return fail(cx, sc);
    }
    let at = (start, sc.pos - start);
    let found = NaiveDate::from_ymd_opt(y, m, d);
    if found.is_none() {
        let msg = format!("`{}` is not a date in {y}", cx.slice(at));
        cx.push(
            DiagnosticCode::E0521,
            msg,
            at,
            Some("check the date against the notice as published"),
        );
    }
    found
}

/// Reads the brackets after a date, if any (`（周四）`, `（农历除夕、周二）`), checking each
/// weekday against the date. Returns false if it could not read them.
fn brackets(cx: &mut Cx<'_>, sc: &mut Scan<'_>, date: Option<NaiveDate>) -> bool {
    let open = sc.pos;
    if !sc.eat_if(is_open) {
        return true;
    }
    let start = sc.pos;
    let Some(len) = sc.rest().find(is_close) else {
        let bracket = (open, start - open);
        cx.push(DiagnosticCode::E0520, "a bracket is not closed".into(), bracket, None);
        sc.pos = sc.end;
        return false;
    };
    let content = sc.rest().get(..len).unwrap_or("");
    let mut ok = true;
    let mut offset = start;
    for part in content.split('、') {
        let trimmed = part.trim();
        let lead = part.len() - part.trim_start().len();
        let at = (offset + lead, trimmed.len());
        offset += part.len() + '、'.len_utf8();
        if trimmed.starts_with("农历") {
            continue; // the lunar date: not checked
        }
        match (weekday_of(trimmed), date) {
            (Some(w), Some(d)) if w != d.weekday() => {
                let msg =
                    format!("`{trimmed}` does not match {d}, a {}", weekday_name(d.weekday()));
                cx.push(
                    DiagnosticCode::E0523,
                    msg,
                    at,
                    Some("check the date and its weekday against the notice as published"),
                );
                ok = false;
            }
            (Some(_), _) => {}
            (None, _) => {
                cx.push(
                    DiagnosticCode::E0520,
                    format!("cannot read `{trimmed}` in brackets"),
                    at,
                    Some("brackets after a date hold its weekday (`周四`, `星期四`) and lunar date (`农历…`)"),
                );
                ok = false;
            }
        }
    }
    sc.pos = start + len;
    sc.eat_if(is_close);
    ok
}

/// What one sentence of an arrangement says.
enum Sentence {
    DaysOff(NaiveDate, NaiveDate),
    Makeup(Vec<(NaiveDate, (usize, usize))>),
    Encouraged,
    Other,
}

/// Reads `…放假…`: a date or range, `放假`, and the clauses the notices use after it.
fn days_off(cx: &mut Cx<'_>, sc: &mut Scan<'_>, year: i32) -> Option<(NaiveDate, NaiveDate)> {
    let from = date(cx, sc, year, None);
    let mut ok = brackets(cx, sc, from);
    let first = sc.pos;
    let mut to = from;
    if sc.eat("至") {
        let y = from.map_or(year, |d| d.year());
        to = date(cx, sc, y, from.map(|d| d.month()));
        ok &= brackets(cx, sc, to);
    }
    let (from, to) = (from?, to?);
    if to < from {
        cx.push(
            DiagnosticCode::E0521,
            format!("the days off end ({to}) before they start ({from})"),
            (first, sc.pos - first),
            Some("a range that runs into the next year gives the year: `2027年1月1日`"),
        );
        return None;
    }
    sc.skip_ws();
    let days_off_word = sc.pos;
    if !sc.eat("放假") {
        let at = sc.clause();
        cx.push(
            DiagnosticCode::E0520,
            format!("cannot read `{}`", cx.slice(at)),
            at,
            Some(UNREADABLE_HINT),
        );
        return None;
    }
    sc.eat("调休");
    let mut stated = Vec::new();
    let mut count = |cx: &mut Cx<'_>, sc: &mut Scan<'_>, start: usize| -> bool {
        match sc.number() {
            Some((n, _)) if sc.eat("天") => {
                stated.push((n, (start, sc.pos - start)));
                true
            }
            _ => {
                let at = sc.clause();
                cx.push(
                    DiagnosticCode::E0520,
                    format!("cannot read `{}`", cx.slice(at)),
                    at,
                    Some(UNREADABLE_HINT),
                );
                false
            }
        }
    };
    if sc.peek().and_then(digit).is_some() {
        ok &= count(cx, sc, days_off_word);
    }
    while ok && !sc.at_end() {
        if !sc.eat_if(is_comma) {
            let at = sc.clause();
            cx.push(
                DiagnosticCode::E0520,
                format!("cannot read `{}`", cx.slice(at)),
                at,
                Some(UNREADABLE_HINT),
            );
            return None;
        }
        let start = sc.pos;
        let at = sc.clause();
        if matches!(cx.slice(at).trim(), "与周末连休" | "不调休") {
            sc.pos = at.0 + at.1;
        } else if sc.eat("共") {
            ok &= count(cx, sc, start);
        } else {
            cx.push(
                DiagnosticCode::E0520,
                format!("cannot read `{}`", cx.slice(at)),
                at,
                Some(UNREADABLE_HINT),
            );
            return None;
        }
    }
    let listed = (to - from).num_days() + 1;
    for (n, at) in stated {
        if i64::from(n) != listed {
            let days = if listed == 1 { "1 day".to_string() } else { format!("{listed} days") };
            cx.push(
                DiagnosticCode::E0522,
                format!("the notice says `{}`, but {from} to {to} is {days}", cx.slice(at)),
                at,
                Some("check the dates and the stated length against the notice as published"),
            );
            ok = false;
        }
    }
    ok.then_some((from, to))
}

/// Reads `date[（…）]、date[（…）]…上班`.
fn makeup(
    cx: &mut Cx<'_>,
    sc: &mut Scan<'_>,
    year: i32,
) -> Option<Vec<(NaiveDate, (usize, usize))>> {
    let mut out = Vec::new();
    let mut month = None;
    let mut ok = true;
    loop {
        sc.skip_ws();
        let start = sc.pos;
        let d = date(cx, sc, year, month);
        let at = (start, sc.pos - start);
        ok &= brackets(cx, sc, d);
        match d {
            Some(d) => {
                month = Some(d.month());
                out.push((d, at));
            }
            None => return None,
        }
        if sc.eat("、") || sc.eat_if(is_comma) {
            continue;
        }
        if sc.eat("上班") && sc.at_end() {
            break;
        }
        let at = sc.clause();
        cx.push(
            DiagnosticCode::E0520,
            format!("cannot read `{}`", cx.slice(at)),
            at,
            Some(UNREADABLE_HINT),
        );
        return None;
    }
    ok.then_some(out)
}

/// Classifies and reads one sentence (`start..end` of the text, without its full stop).
fn sentence(cx: &mut Cx<'_>, start: usize, end: usize, year: i32) -> Option<Sentence> {
    let text = cx.text.get(start..end).unwrap_or("");
    let mut sc = Scan { text: cx.text, pos: start, end };
    if text.contains("鼓励") {
        return Some(Sentence::Encouraged);
    }
    if text.trim_end().ends_with("上班") {
        return makeup(cx, &mut sc, year).map(Sentence::Makeup);
    }
    if text.contains("放假") {
        return days_off(cx, &mut sc, year).map(|(a, b)| Sentence::DaysOff(a, b));
    }
    let dated = text.char_indices().any(|(i, c)| {
        c == '日' && text.get(..i).and_then(|s| s.chars().next_back()).and_then(digit).is_some()
    });
    if !dated {
        // It names no day (such as text after the arrangements that a paste joined to them).
        return Some(Sentence::Other);
    }
    sc.skip_ws();
    let at = (sc.pos, sc.rest().trim_end().len());
    cx.push(
        DiagnosticCode::E0520,
        format!("cannot read `{}`", cx.slice(at)),
        at,
        Some(UNREADABLE_HINT),
    );
    None
}

/// The leading `一、` … `十二、` of an arrangement: the byte length of the numbering.
fn numbering(line: &str) -> Option<usize> {
    let digits: usize =
        line.chars().take_while(|c| "一二三四五六七八九十".contains(*c)).map(char::len_utf8).sum();
    (digits > 0 && line.get(digits..)?.starts_with('、')).then_some(digits + '、'.len_utf8())
}

/// Whether a line is the signature block: the issuing office or the date of signature.
fn is_signature(line: &str) -> bool {
    line == "国务院办公厅"
        || (line.contains('年')
            && line.ends_with('日')
            && line.chars().all(|c| digit(c).is_some() || "年月日".contains(c)))
}

/// Lines of `text`: byte offset of the content (without surrounding white space) and content.
fn lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for raw in text.split('\n') {
        let lead = raw.len() - raw.trim_start().len();
        out.push((offset + lead, raw.trim()));
        offset += raw.len() + 1;
    }
    out
}

impl Notice {
    /// Reads a notice from its text (`name` is the file name shown in diagnostics). Reports every
    /// mistake it finds, located in the notice.
    ///
    /// ```
    /// use ombud_engine::calendar::Notice;
    /// let text = "国务院办公厅关于2024年部分节假日安排的通知\n\
    ///             二、春节：2月10日至17日放假调休，共9天。2月4日（星期日）、2月18日（星期日）上班。\
    ///             鼓励各单位…安排职工在除夕（2月9日）休息。\n国务院办公厅\n2023年10月25日\n";
    /// let errors = Notice::read("2024.txt", text).unwrap_err();
    /// assert_eq!(errors[0].code, "E0522");
    /// assert_eq!(errors[0].message, "the notice says `共9天`, but 2024-02-10 to 2024-02-17 is 8 days");
    /// assert_eq!((errors[0].span.line, errors[0].span.column), (2, 20));
    /// ```
    pub fn read(name: &str, text: &str) -> Result<Notice, Vec<Diagnostic>> {
        let source = Source::new(name, text);
        let mut cx = Cx { text, source: Arc::clone(&source), diags: Vec::new() };
        // A published notice is plain text: a control character (a NUL of a binary file, an
        // escape sequence, a carriage return that ends no line) would be carried into the
        // calendar file's comments and names.
        let stray = |&(i, c): &(usize, char)| match c {
            '\t' | '\n' => false,
            '\r' => !text[i + 1..].starts_with('\n'),
            _ => c.is_control(),
        };
        if let Some((i, c)) = text.char_indices().find(stray) {
            cx.push(
                DiagnosticCode::E0520,
                format!("the notice contains the control character `{}`", c.escape_unicode()),
                (i, c.len_utf8()),
                Some("a notice is plain text as published: paste it again from the notice"),
            );
            return Err(cx.diags);
        }
        let lines = lines(text);
        let mut nonempty = lines.iter().filter(|(_, l)| !l.is_empty() && *l != "\u{feff}");

        // The title, naming the year, and the document number if the next line gives one.
        let title_line = nonempty.next().copied();
        let mut year = None;
        let mut title = String::new();
        let mut year_span = Span::new(1, 1, 0, 0);
        if let Some((offset, line)) = title_line {
            // A byte-order mark before the title is not part of it.
            let stripped = line.trim_start_matches('\u{feff}').trim_start();
            let offset = offset + (line.len() - stripped.len());
            let line = stripped;
            let at = line.find('年').filter(|_| line.contains("节假日") && line.contains("通知"));
            if let Some(i) = at {
                let before = line.get(..i).unwrap_or("");
                let digits: Vec<u32> = before.chars().rev().map_while(digit).collect::<Vec<_>>();
                let len: usize = before.chars().rev().take(digits.len()).map(char::len_utf8).sum();
                let start = i - len;
                year = (digits.len() == 4).then(|| {
                    digits.iter().rev().fold(0i32, |y, d| y * 10 + i32::try_from(*d).unwrap_or(0))
                });
                year_span = cx.span(offset + start, len);
                title = line.to_string();
            }
            if let Some((_, next)) = nonempty.next()
                && next.starts_with("国办发")
                && next.ends_with('号')
            {
                title = format!("{title}（{next}）");
            }
        }
        let Some(year) = year else {
            let at = title_line.map_or((0, 0), |(o, l)| (o, l.len()));
            cx.push(
                DiagnosticCode::E0520,
                "the notice does not start with its title naming the year".into(),
                at,
                Some("a notice starts with its title, e.g. `国务院办公厅关于2027年部分节假日安排的通知`"),
            );
            return Err(cx.diags);
        };

        // The date of signature: the last line that is a date.
        let published = lines.iter().rev().find(|(_, l)| !l.is_empty()).and_then(|&(offset, l)| {
            let mut sc = Scan { text, pos: offset, end: offset + l.len() };
            let looks = l.contains('年') && l.ends_with('日');
            let mut quiet = Cx { text, source: Arc::clone(&source), diags: Vec::new() };
            let d = looks.then(|| date(&mut quiet, &mut sc, year, None)).flatten();
            d.filter(|_| sc.at_end())
        });
        if published.is_none() {
            let last = lines.iter().rev().find(|(_, l)| !l.is_empty()).copied();
            let at = last.map_or((0, 0), |(o, l)| (o, l.len()));
            cx.push(
                DiagnosticCode::E0520,
                "the notice does not end with the date it was signed".into(),
                at,
                Some("a notice ends with its signature and date, e.g. `国务院办公厅` and `2025年11月4日`"),
            );
        }

        // The arrangements: a numbered line and the lines after it up to an empty line.
        let mut arrangements = Vec::new();
        let mut spans: Vec<((NaiveDate, NaiveDate), (usize, usize))> = Vec::new();
        let mut makeups: Vec<(NaiveDate, (usize, usize))> = Vec::new();
        let mut i = 0;
        while i < lines.len() {
            let (offset, line) = lines[i];
            i += 1;
            let Some(skip) = numbering(line) else { continue };
            let mut end = offset + line.len();
            while i < lines.len()
                && !lines[i].1.is_empty()
                && numbering(lines[i].1).is_none()
                && !is_signature(lines[i].1)
            {
                end = lines[i].0 + lines[i].1.len();
                i += 1;
            }
            let body = offset + skip;
            let head = text.get(body..end).unwrap_or("");
            let Some(colon) = head.find(['：', ':']) else {
                cx.push(
                    DiagnosticCode::E0520,
                    "cannot read the arrangement: no `：` after the holiday's name".into(),
                    (offset, line.len()),
                    Some("an arrangement reads `二、春节：2月15日至23日放假调休，共9天。`"),
                );
                continue;
            };
            // The holiday names.
            let mut names = Vec::new();
            let mut locals = Vec::new();
            let mut at = body;
            let mut known = true;
            for part in head.get(..colon).unwrap_or("").split('、') {
                let local = part.trim();
                let lead = part.len() - part.trim_start().len();
                match NOTICE_HOLIDAYS.iter().find(|(zh, _)| *zh == local) {
                    Some((_, en)) => names.push(*en),
                    None => {
                        let known_names: Vec<String> =
                            NOTICE_HOLIDAYS.iter().map(|(zh, en)| format!("{zh} ({en})")).collect();
                        cx.push(
                            DiagnosticCode::E0525,
                            format!("unknown holiday `{local}`"),
                            (at + lead, local.len()),
                            Some(&format!(
                                "the reader knows {}; enter another holiday by hand",
                                known_names.join(", ")
                            )),
                        );
                        known = false;
                    }
                }
                locals.push(local);
                at += part.len() + '、'.len_utf8();
            }
            let colon_len =
                head.get(colon..).and_then(|s| s.chars().next()).map_or(1, char::len_utf8);
            let mut start = body + colon + colon_len;
            let mut days_off = Vec::new();
            let mut makeup_days = Vec::new();
            let mut encouraged = Vec::new();
            let arrangement_text = text.get(offset..end).unwrap_or("").to_string();
            while start < end {
                let rest = text.get(start..end).unwrap_or("");
                let stop = rest.find(['。', '；']).unwrap_or(rest.len());
                let stop_len =
                    rest.get(stop..).and_then(|s| s.chars().next()).map_or(0, char::len_utf8);
                let s_end = start + stop;
                let sentence_text = text.get(start..s_end).unwrap_or("").trim();
                if !sentence_text.is_empty() {
                    match sentence(&mut cx, start, s_end, year) {
                        Some(Sentence::DaysOff(a, b)) => {
                            days_off.push((a, b));
                            spans.push(((a, b), (start, stop)));
                        }
                        Some(Sentence::Makeup(days)) => {
                            makeup_days.extend(days.iter().map(|d| d.0));
                            makeups.extend(days);
                        }
                        Some(Sentence::Encouraged) => {
                            encouraged.push(format!("{sentence_text}。"));
                        }
                        Some(Sentence::Other) | None => {}
                    }
                }
                start = s_end + stop_len;
            }
            if days_off.is_empty() && cx.diags.is_empty() {
                cx.push(
                    DiagnosticCode::E0520,
                    "the arrangement names no days off".into(),
                    (offset, line.len()),
                    Some(UNREADABLE_HINT),
                );
            }
            if known {
                arrangements.push(Arrangement {
                    name: names.join(" and "),
                    name_local: locals.join("、"),
                    days_off,
                    makeup_workdays: makeup_days,
                    encouraged,
                    text: arrangement_text,
                    line: cx.span(offset, 0).line,
                });
            }
        }
        if arrangements.is_empty() && cx.diags.is_empty() {
            let at = title_line.map_or((0, 0), |(o, l)| (o, l.len()));
            cx.push(
                DiagnosticCode::E0520,
                "the notice has no numbered arrangements".into(),
                at,
                Some("arrangements are numbered paragraphs: `一、元旦：1月1日放假……`"),
            );
        }

        // The notice against itself: periods apart, make-up days on weekends and outside them.
        spans.sort_by_key(|s| s.0);
        for pair in spans.windows(2) {
            let ((_, a_to), _) = pair[0];
            let ((b_from, b_to), at) = pair[1];
            if b_from <= a_to {
                let msg = format!("days off {b_from} to {b_to} overlap days off before them");
                cx.push(
                    DiagnosticCode::E0524,
                    msg,
                    at,
                    Some("check the dates against the notice as published"),
                );
            }
        }
        let mut seen = Vec::new();
        for &(d, at) in &makeups {
            let msg = if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                format!(
                    "make-up working day {d} is a {}, not a weekend day",
                    weekday_name(d.weekday())
                )
            } else if spans.iter().any(|((a, b), _)| d >= *a && d <= *b) {
                format!("make-up working day {d} lies inside days off")
            } else if seen.contains(&d) {
                format!("make-up working day {d} is listed twice")
            } else {
                seen.push(d);
                continue;
            };
            cx.push(
                DiagnosticCode::E0524,
                msg,
                at,
                Some("check the dates against the notice as published"),
            );
        }

        match published {
            Some(published) if cx.diags.is_empty() => {
                Ok(Notice { year, title, published, arrangements, source, year_span })
            }
            _ => {
                crate::check::sort_diagnostics(&mut cx.diags);
                Err(cx.diags)
            }
        }
    }

    /// The calendar file (YAML) that adds the notice's year: standalone (zone `Asia/Shanghai`,
    /// Monday to Friday, covering the year), or, with `extends` (the reference to write and the
    /// calendar it names), extending that calendar's `covers` by the year. A calendar whose data
    /// does not end on 31 December of the year before (or that is unbounded) cannot be extended
    /// by the notice (E0526, at the year in the title).
    ///
    /// ```
    /// use ombud_engine::calendar::{Calendar, DayKind, Notice};
    /// let text = "国务院办公厅关于2026年部分节假日安排的通知\n\
    ///             一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。\n\
    ///             国务院办公厅\n2025年11月4日\n";
    /// let notice = Notice::read("2026.txt", text).unwrap();
    /// let yaml = notice.calendar_yaml("cn-2026", None).unwrap();
    /// assert!(yaml.contains("  - {name: New Year's Day, name_local: 元旦, from: 2026-01-01, to: 2026-01-03}\n"));
    /// let cal = Calendar::from_yaml("cn-2026.yaml", &yaml, None).unwrap();
    /// assert_eq!(cal.day_kind("2026-01-04".parse().unwrap()), DayKind::MakeupWorkday);
    ///
    /// // cn-mainland already covers 2026.
    /// let cn = Calendar::bundled("cn-mainland").unwrap();
    /// let errors = notice.calendar_yaml("cn-2026", Some(("cn-mainland", &cn))).unwrap_err();
    /// assert_eq!((errors[0].code.as_str(), errors[0].span.line, errors[0].span.column), ("E0526", 1, 9));
    /// ```
    pub fn calendar_yaml(
        &self,
        id: &str,
        extends: Option<(&str, &Calendar)>,
    ) -> Result<String, Vec<Diagnostic>> {
        let days = self.arrangements.iter().flat_map(|a| {
            a.days_off.iter().flat_map(|(x, y)| [*x, *y]).chain(a.makeup_workdays.iter().copied())
        });
        let jan1 = NaiveDate::from_ymd_opt(self.year, 1, 1).unwrap_or(NaiveDate::MIN);
        let dec31 = NaiveDate::from_ymd_opt(self.year, 12, 31).unwrap_or(NaiveDate::MAX);
        let first = days.clone().min().unwrap_or(jan1).min(jan1);
        let last = days.max().unwrap_or(dec31).max(dec31);
        let refuse = |msg: String, hint: String| {
            vec![
                Diagnostic::error(DiagnosticCode::E0526, msg)
                    .with_span(self.year_span)
                    .with_source(&self.source)
                    .with_hint(hint),
            ]
        };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# The {} arrangements of {} (published {}),",
            self.year, self.title, self.published
        );
        let _ = writeln!(
            out,
            "# read by `ombud calendar from-notice`. Check them against the notice, then run\n\
             # `ombud lint` on this file."
        );
        let _ = writeln!(out, "id: {}", yaml_str(id));
        match extends {
            None => {
                let _ = writeln!(out, "name: Mainland China public holidays, {}", self.year);
                let _ =
                    writeln!(out, "timezone: Asia/Shanghai\nworkweek: [mon, tue, wed, thu, fri]");
                let _ = writeln!(out, "covers: {{from: {first}, to: {last}}}");
            }
            Some((reference, base)) => {
                let base_id = base.id();
                let Some((from, to)) = base.coverage_range() else {
                    return Err(refuse(
                        format!(
                            "calendar `{base_id}` is unbounded: a notice cannot add a year to it"
                        ),
                        "extend a calendar with a covered range, such as `cn-mainland`".into(),
                    ));
                };
                let before = first.pred_opt().unwrap_or(first);
                if to >= first {
                    return Err(refuse(
                        format!(
                            "calendar `{base_id}` already covers {} (its data runs to {to})",
                            if first == jan1 { self.year.to_string() } else { first.to_string() }
                        ),
                        format!(
                            "extend a calendar whose data ends on {before}, or leave out `--extends`"
                        ),
                    ));
                }
                if to < before {
                    let gap = to.succ_opt().unwrap_or(to);
                    return Err(refuse(
                        format!(
                            "calendar `{base_id}` covers dates up to {to}: the notice for {} would leave {gap} to {before} without data",
                            self.year
                        ),
                        "add the years in between first".into(),
                    ));
                }
                let _ = writeln!(out, "extends: {}", yaml_str(reference));
                let _ = writeln!(out, "covers: {{from: {from}, to: {last}}}");
            }
        }
        out.push_str("holidays:\n");
        for a in &self.arrangements {
            for line in a.text.lines() {
                let _ = writeln!(out, "  # {}", line.trim());
            }
            for e in &a.encouraged {
                let e = e.replace(['\r', '\n'], "");
                let _ = writeln!(out, "  # not a holiday (encouraged, not granted): {e}");
            }
            for (from, to) in &a.days_off {
                let dates = if from == to {
                    format!("date: {from}")
                } else {
                    format!("from: {from}, to: {to}")
                };
                let _ = writeln!(
                    out,
                    "  - {{name: {}, name_local: {}, {dates}}}",
                    yaml_str(&a.name),
                    yaml_str(&a.name_local)
                );
            }
        }
        let mut makeups: Vec<(NaiveDate, &str)> = self
            .arrangements
            .iter()
            .flat_map(|a| a.makeup_workdays.iter().map(move |d| (*d, a.name.as_str())))
            .collect();
        makeups.sort();
        if !makeups.is_empty() {
            out.push_str("makeup_workdays:\n");
            for (d, name) in makeups {
                let day = if d.weekday() == Weekday::Sat { "Saturday" } else { "Sunday" };
                let _ = writeln!(out, "  - {{date: {d}, for: {}}}   # {day}", yaml_str(name));
            }
        }
        let _ = writeln!(
            out,
            "sources:\n  - {{year: {}, title: {}, published: {}}}",
            self.year,
            yaml_str(&self.title),
            self.published
        );
        Ok(out)
    }
}

/// A YAML scalar for flow context: as written when plain is safe, else double-quoted (a JSON
/// string is a YAML double-quoted scalar).
#[expect(clippy::expect_used, reason = "the invariant below")]
fn yaml_str(s: &str) -> String {
    let plain = !s.is_empty()
        && s.trim() == s
        && s.chars().next().is_some_and(|c| c.is_alphanumeric() || !c.is_ascii())
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.chars().any(|c| ",[]{}\"\\`|>*&!%@".contains(c) || c.is_control())
        && !s.ends_with(':');
    // INVARIANT: serde_json writes any `&str` as a JSON string.
    if plain { s.to_string() } else { serde_json::to_string(s).expect("a string serialises") }
}

#[cfg(test)]
mod tests;
