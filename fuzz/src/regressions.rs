//! Every crash the fuzz harnesses found: the minimal input, the answer it gets now, and the
//! surface's whole property on it. Each input is in its surface's corpus too.

use crate::surfaces;
use ombud_engine::calendar::Notice;

/// A NUL before a notice's title was copied into the calendar file's first comment, and the
/// calendar `from-notice` printed then did not load ("file is not text").
#[test]
fn notice_with_a_control_character_is_refused_where_it_stands() {
    let text = "\0国务院办公厅关于2024年部分节假日安排的通知\n一、元旦：1月1日放假，与周末连休。\n\
                国务院办公厅\n2025年11月4日\n";
    let errors = Notice::read("2024.txt", text).unwrap_err();
    let first = (errors[0].code.as_str(), errors[0].span.line, errors[0].span.column);
    assert_eq!(first, ("E0520", 1, 1));
    assert_eq!(errors[0].message, "the notice contains the control character `\\u{0}`");
    let escape =
        "国务院办公厅关于2024年部分节假日安排的通知\n一、元旦：1月1日放假\u{1b}[2J，与周末连休。\n";
    let errors = Notice::read("2024.txt", escape).unwrap_err();
    assert_eq!((errors[0].span.line, errors[0].span.column), (2, 12));
    surfaces::notice_text(text.as_bytes());
}

/// A bracket that is not closed was pointed at with one byte of the character after it: a span
/// inside a character, which a renderer slicing the text by the span panics on.
#[test]
fn notice_with_an_unclosed_bracket_points_at_the_whole_bracket() {
    let text = "国务院办公厅关于2026年部分节假日安排的通知\n一、元旦：1月1日（周四放假，共1天。\n\
                国务院办公厅\n2025年11月4日\n";
    let errors = Notice::read("2026.txt", text).unwrap_err();
    let e = &errors[0];
    assert_eq!((e.code.as_str(), e.message.as_str()), ("E0520", "a bracket is not closed"));
    assert_eq!((e.span.line, e.span.column), (2, 10));
    assert_eq!(&text[e.span.offset..e.span.offset + e.span.len], "（");
    surfaces::notice_text(text.as_bytes());
}

/// A clause the reader could not read that starts with a full-width comma was pointed at with
/// the comma's first byte: a span inside a character.
#[test]
fn notice_with_an_empty_clause_points_at_the_whole_comma() {
    let text = "国务院办公厅关于2026年部分节假日安排的通知\n一、元旦：1月1日（周四）放假，，共1天。\n\
                国务院办公厅\n2025年11月4日\n";
    let errors = Notice::read("2026.txt", text).unwrap_err();
    let e = &errors[0];
    assert_eq!((e.code.as_str(), e.span.line, e.span.column), ("E0520", 2, 17));
    assert_eq!(&text[e.span.offset..e.span.offset + e.span.len], "，");
    surfaces::notice_text(text.as_bytes());
}

/// A carriage return inside the title that ends no line ended the calendar file's first comment
/// early, and the rest of the title was read as YAML.
#[test]
fn notice_with_a_lone_carriage_return_is_refused_where_it_stands() {
    let text = "国务院办公厅关于2026年部\r分节假日安排的通知\n一、元旦：1月1日（周四）放假，共1天。\n\
                国务院办公厅\n2025年11月4日\n";
    let errors = Notice::read("2026.txt", text).unwrap_err();
    let e = &errors[0];
    assert_eq!((e.code.as_str(), e.span.line, e.span.column), ("E0520", 1, 15));
    assert_eq!(e.message, "the notice contains the control character `\\u{d}`");
    let windows = text.replace('\n', "\r\n").replace("部\r分", "部分");
    assert!(Notice::read("2026.txt", &windows).is_ok(), "CR LF line ends are read");
    surfaces::notice_text(text.as_bytes());
}
