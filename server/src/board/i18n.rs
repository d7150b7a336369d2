//! The board's two languages: English and Chinese. The language comes from the `ombud_lang`
//! cookie (set by the switch on every page), else from the browser's `Accept-Language`.
//! Every text of the board is a field of [`Text`], so a missing translation does not compile.

use axum::http::HeaderMap;
use axum::http::header;
use axum_extra::extract::cookie::CookieJar;
use chrono::{Datelike, NaiveDate};

/// The cookie remembering the language chosen.
pub const LANG_COOKIE: &str = "ombud_lang";

/// A language of the board.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// The language's code (`en`, `zh`), as the cookie and the `lang` attribute hold it.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// The HTML `lang` attribute.
    pub fn html(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    /// A language code read back (`en`, `zh`).
    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "en" => Some(Lang::En),
            "zh" => Some(Lang::Zh),
            _ => None,
        }
    }

    /// The other language (what the switch offers).
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Zh,
            Lang::Zh => Lang::En,
        }
    }

    /// The language's name in itself, for the switch.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "中文",
        }
    }

    /// The language of a request: the cookie's choice, else the first English or Chinese tag of
    /// `Accept-Language`, else English.
    pub fn of(jar: &CookieJar, headers: &HeaderMap) -> Lang {
        if let Some(lang) = jar.get(LANG_COOKIE).and_then(|c| Lang::parse(c.value())) {
            return lang;
        }
        let accepted = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(accept_language::parse)
            .unwrap_or_default();
        accepted
            .iter()
            .find_map(|tag| {
                let primary = tag.split('-').next().unwrap_or_default().to_ascii_lowercase();
                Lang::parse(&primary)
            })
            .unwrap_or(Lang::En)
    }

    /// The board's texts in this language.
    pub fn text(self) -> &'static Text {
        match self {
            Lang::En => &EN,
            Lang::Zh => &ZH,
        }
    }

    /// A day as the board shows it: `Wed 25 Feb` (`Wed 25 Feb 2027` in another year than
    /// `this_year`); `2月25日 周三` (`2027年2月25日 周三`).
    pub fn day(self, day: NaiveDate, this_year: i32) -> String {
        let t = self.text();
        let weekday = t.weekdays[day.weekday().num_days_from_monday() as usize];
        let other_year = day.year() != this_year;
        match (self, other_year) {
            (Lang::En, false) => format!("{weekday} {}", day.format("%-d %b")),
            (Lang::En, true) => format!("{weekday} {}", day.format("%-d %b %Y")),
            (Lang::Zh, false) => format!("{} {weekday}", day.format("%-m月%-d日")),
            (Lang::Zh, true) => format!("{} {weekday}", day.format("%Y年%-m月%-d日")),
        }
    }

    /// A length of time, to the minute and in its two largest units: `2d 3h`, `45m`;
    /// `2天3小时`, `45分钟`.
    pub fn span(self, seconds: i64) -> String {
        let t = self.text();
        let minutes = seconds.unsigned_abs() / 60;
        let (d, h, m) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
        let sep = if self == Lang::En { " " } else { "" };
        let parts: Vec<String> = if d > 0 {
            [(d, t.unit_day), (h, t.unit_hour)]
                .iter()
                .filter(|(n, _)| *n > 0)
                .map(|(n, u)| format!("{n}{u}"))
                .collect()
        } else if h > 0 {
            [(h, t.unit_hour), (m, t.unit_minute)]
                .iter()
                .filter(|(n, _)| *n > 0)
                .map(|(n, u)| format!("{n}{u}"))
                .collect()
        } else {
            vec![format!("{m}{}", t.unit_minute)]
        };
        parts.join(sep)
    }
}

/// Every text of the board, in one language.
#[allow(missing_docs, reason = "each field is the text its name says")]
pub struct Text {
    pub title: &'static str,
    pub nav_queue: &'static str,
    pub nav_policies: &'static str,
    pub nav_report: &'static str,
    pub nav_admin: &'static str,
    pub log_in: &'static str,
    pub log_out: &'static str,
    pub login_heading: &'static str,
    pub login_help: &'static str,
    pub token: &'static str,
    pub login_refused: &'static str,
    /// Too many wrong tokens, with how long to wait (a [`Lang::span`]).
    pub login_limited: fn(&str) -> String,
    pub signed_in_as: &'static str,
    pub role_admin: &'static str,
    pub role_agent: &'static str,
    pub role_viewer: &'static str,
    pub queue: &'static str,
    pub policy: &'static str,
    pub tier: &'static str,
    pub stage: &'static str,
    pub assignee: &'static str,
    pub flagged: &'static str,
    pub overdue: &'static str,
    pub due_before: &'static str,
    pub any: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub filter: &'static str,
    pub clear: &'static str,
    pub ticket: &'static str,
    pub deadline: &'static str,
    pub time_left: &'static str,
    pub opened: &'static str,
    pub no_tier: &'static str,
    pub no_tickets: &'static str,
    pub red_flag: &'static str,
    pub overdue_by: &'static str,
    pub paused: &'static str,
    pub closed: &'static str,
    pub provisional: &'static str,
    pub tickets_count: &'static str,
    pub fields: &'static str,
    pub clocks: &'static str,
    pub budget: &'static str,
    pub used: &'static str,
    pub how_counted: &'static str,
    pub deadline_moved: &'static str,
    pub obligation: &'static str,
    pub timeline: &'static str,
    pub time: &'static str,
    pub kind: &'static str,
    pub detail: &'static str,
    pub next_actions: &'static str,
    pub send: &'static str,
    pub goes_to: &'static str,
    pub expected_from: &'static str,
    pub blocked_by: &'static str,
    pub missing_artifacts: &'static str,
    pub pending_members: &'static str,
    pub artifacts: &'static str,
    pub attach: &'static str,
    pub artifact: &'static str,
    pub assign: &'static str,
    pub reassign_tier: &'static str,
    pub next_wakeup: &'static str,
    pub refused: &'static str,
    pub viewer_note: &'static str,
    pub none: &'static str,
    pub version: &'static str,
    pub current: &'static str,
    pub deployed: &'static str,
    pub open_tickets: &'static str,
    pub stage_graph: &'static str,
    pub start: &'static str,
    pub terminal: &'static str,
    pub owner: &'static str,
    pub due: &'static str,
    pub requires: &'static str,
    pub automatic: &'static str,
    pub mermaid_text: &'static str,
    pub calendar: &'static str,
    pub report: &'static str,
    pub period: &'static str,
    pub show: &'static str,
    pub report_tickets: &'static str,
    pub report_closed: &'static str,
    pub report_on_time: &'static str,
    pub report_breaches: &'static str,
    pub report_cross_department: &'static str,
    pub report_mean_hours: &'static str,
    pub report_p90_hours: &'static str,
    pub report_repeats: &'static str,
    pub by_category: &'static str,
    pub by_channel: &'static str,
    pub by_severity: &'static str,
    pub by_department: &'static str,
    pub frequent_problems: &'static str,
    pub stages: &'static str,
    pub visits: &'static str,
    pub on_time: &'static str,
    pub late: &'static str,
    pub mean_hours: &'static str,
    pub handling_time: &'static str,
    pub escalations_by_tier: &'static str,
    pub marks_by_tier: &'static str,
    pub callback: &'static str,
    pub report_failed: &'static str,
    pub dead_letters: &'static str,
    pub no_dead_letters: &'static str,
    pub attempts: &'static str,
    pub last_error: &'static str,
    pub created: &'static str,
    pub retry: &'static str,
    pub retried: &'static str,
    pub tokens: &'static str,
    pub webhooks: &'static str,
    pub name: &'static str,
    pub role: &'static str,
    pub issue_token: &'static str,
    pub new_token_once: &'static str,
    pub revoke: &'static str,
    pub url: &'static str,
    pub kinds: &'static str,
    pub all_kinds: &'static str,
    pub forbidden: &'static str,
    pub not_found: &'static str,
    pub expired_form: &'static str,
    pub back_to_queue: &'static str,
    pub unit_day: &'static str,
    pub unit_hour: &'static str,
    pub unit_minute: &'static str,
    pub weekdays: [&'static str; 7],
}

/// English.
pub static EN: Text = Text {
    title: "Ombud complaint desk",
    nav_queue: "Queue",
    nav_policies: "Policies",
    nav_report: "Report",
    nav_admin: "Admin",
    log_in: "Log in",
    log_out: "Log out",
    login_heading: "Log in to the complaint desk",
    login_help: "Paste your token: the admin token printed when the server first started, or an agent or viewer token an admin issued for you.",
    token: "Token",
    login_refused: "That token is not valid (mistyped, or revoked).",
    login_limited: |wait| {
        format!("Too many wrong tokens were tried from your address. Try again in {wait}.")
    },
    signed_in_as: "Signed in as",
    role_admin: "admin",
    role_agent: "agent",
    role_viewer: "viewer",
    queue: "Queue",
    policy: "Policy",
    tier: "Tier",
    stage: "Stage",
    assignee: "Assignee",
    flagged: "Red flag",
    overdue: "Overdue",
    due_before: "Due before",
    any: "any",
    yes: "yes",
    no: "no",
    filter: "Filter",
    clear: "Clear",
    ticket: "Ticket",
    deadline: "Deadline",
    time_left: "Time left",
    opened: "Received",
    no_tier: "No tier",
    no_tickets: "No open tickets match.",
    red_flag: "red flag",
    overdue_by: "overdue by",
    paused: "paused",
    closed: "closed",
    provisional: "Provisional: this deadline rests on days beyond the calendar's holiday data (counted on the plain workweek); it is confirmed when the data is published.",
    tickets_count: "tickets",
    fields: "Fields",
    clocks: "Deadlines",
    budget: "Limit",
    used: "Used",
    how_counted: "How it was counted",
    deadline_moved: "A pause has moved this deadline since; it is now",
    obligation: "obligation",
    timeline: "Timeline",
    time: "Time",
    kind: "Kind",
    detail: "Detail",
    next_actions: "Next actions",
    send: "Send",
    goes_to: "to",
    expected_from: "by",
    blocked_by: "blocked by",
    missing_artifacts: "Missing artifacts",
    pending_members: "Members not done",
    artifacts: "Artifacts",
    attach: "Attach",
    artifact: "Artifact",
    assign: "Assign to",
    reassign_tier: "Hand to tier",
    next_wakeup: "Next timer",
    refused: "The event was refused",
    viewer_note: "Your role (viewer) may read tickets but not send events.",
    none: "none",
    version: "Version",
    current: "current",
    deployed: "Deployed",
    open_tickets: "Open tickets",
    stage_graph: "Stages and transitions",
    start: "start",
    terminal: "closes the ticket",
    owner: "owner",
    due: "due",
    requires: "requires",
    automatic: "automatic",
    mermaid_text: "Mermaid text (as ombud graph prints it)",
    calendar: "Calendar",
    report: "Quarterly report",
    period: "Period",
    show: "Show",
    report_tickets: "Tickets received",
    report_closed: "Closed",
    report_on_time: "Closed on time",
    report_breaches: "Deadlines missed",
    report_cross_department: "Cross-department",
    report_mean_hours: "Mean handling (working h)",
    report_p90_hours: "90th percentile (working h)",
    report_repeats: "Repeat complaints",
    by_category: "By category",
    by_channel: "By channel",
    by_severity: "By severity",
    by_department: "By department",
    frequent_problems: "Frequent problems",
    stages: "Stages",
    visits: "Visits",
    on_time: "On time",
    late: "Late",
    mean_hours: "Mean working h",
    handling_time: "Handling time (working hours)",
    escalations_by_tier: "Escalations by tier",
    marks_by_tier: "Performance marks by tier",
    callback: "Callback sample",
    report_failed: "The report could not be built",
    dead_letters: "Webhook dead letters",
    no_dead_letters: "No dead letters: every webhook delivery arrived or is still being tried.",
    attempts: "Attempts",
    last_error: "Last error",
    created: "Created",
    retry: "Retry",
    retried: "Queued to be sent again",
    tokens: "Tokens",
    webhooks: "Webhooks",
    name: "Name",
    role: "Role",
    issue_token: "Issue token",
    new_token_once: "New token — shown once, copy it now:",
    revoke: "Revoke",
    url: "URL",
    kinds: "Actions",
    all_kinds: "all",
    forbidden: "Your role may not do this.",
    not_found: "Not found",
    expired_form: "The form expired (or came from another page); reload and try again.",
    back_to_queue: "Back to the queue",
    unit_day: "d",
    unit_hour: "h",
    unit_minute: "m",
    weekdays: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
};

/// Simplified Chinese.
pub static ZH: Text = Text {
    title: "Ombud 投诉处理台",
    nav_queue: "工单队列",
    nav_policies: "处理规则",
    nav_report: "报告",
    nav_admin: "管理",
    log_in: "登录",
    log_out: "退出",
    login_heading: "登录投诉处理台",
    login_help: "请粘贴您的令牌：服务器首次启动时打印的管理员令牌，或管理员为您签发的经办人、查看者令牌。",
    token: "令牌",
    login_refused: "令牌无效（输入有误或已吊销）。",
    login_limited: |wait| format!("您所在地址尝试的错误令牌过多，请在{wait}后重试。"),
    signed_in_as: "当前用户",
    role_admin: "管理员",
    role_agent: "经办人",
    role_viewer: "查看者",
    queue: "工单队列",
    policy: "规则",
    tier: "层级",
    stage: "阶段",
    assignee: "处理人",
    flagged: "红旗",
    overdue: "已超期",
    due_before: "截止早于",
    any: "全部",
    yes: "是",
    no: "否",
    filter: "筛选",
    clear: "清除",
    ticket: "工单",
    deadline: "截止时间",
    time_left: "剩余时间",
    opened: "受理时间",
    no_tier: "未定层级",
    no_tickets: "没有符合条件的未结工单。",
    red_flag: "红旗",
    overdue_by: "已超期",
    paused: "已暂停",
    closed: "已结案",
    provisional: "暂定：此期限依据的日期超出日历的节假日数据范围（按普通工作周计算），待数据公布后确认。",
    tickets_count: "件",
    fields: "字段",
    clocks: "期限",
    budget: "时限",
    used: "已用",
    how_counted: "计算过程",
    deadline_moved: "此后暂停已推移此期限，现为",
    obligation: "义务",
    timeline: "时间线",
    time: "时间",
    kind: "类型",
    detail: "详情",
    next_actions: "下一步操作",
    send: "发送",
    goes_to: "转至",
    expected_from: "由",
    blocked_by: "受阻于",
    missing_artifacts: "缺少材料",
    pending_members: "尚未完成的成员",
    artifacts: "材料",
    attach: "附加",
    artifact: "材料",
    assign: "指派给",
    reassign_tier: "转交层级",
    next_wakeup: "下次计时",
    refused: "事件被拒绝",
    viewer_note: "您的角色（查看者）可以查看工单，但不能发送事件。",
    none: "无",
    version: "版本",
    current: "当前",
    deployed: "部署时间",
    open_tickets: "未结工单",
    stage_graph: "阶段与流转",
    start: "开始",
    terminal: "结案",
    owner: "负责",
    due: "时限",
    requires: "需要",
    automatic: "自动",
    mermaid_text: "Mermaid 文本（与 ombud graph 输出相同）",
    calendar: "日历",
    report: "季度报告",
    period: "期间",
    show: "显示",
    report_tickets: "受理工单",
    report_closed: "已结案",
    report_on_time: "按时办结",
    report_breaches: "超期次数",
    report_cross_department: "跨部门",
    report_mean_hours: "平均办理（工作小时）",
    report_p90_hours: "90 分位（工作小时）",
    report_repeats: "重复投诉",
    by_category: "按类别",
    by_channel: "按渠道",
    by_severity: "按严重程度",
    by_department: "按部门",
    frequent_problems: "高频问题",
    stages: "阶段",
    visits: "次数",
    on_time: "按时",
    late: "超时",
    mean_hours: "平均工作小时",
    handling_time: "办理时长（工作小时）",
    escalations_by_tier: "按层级的升级",
    marks_by_tier: "按层级的绩效记录",
    callback: "回访抽样",
    report_failed: "无法生成报告",
    dead_letters: "Webhook 死信",
    no_dead_letters: "没有死信：所有 Webhook 投递均已送达或仍在重试。",
    attempts: "尝试次数",
    last_error: "最后错误",
    created: "创建时间",
    retry: "重试",
    retried: "已排队重新发送",
    tokens: "令牌",
    webhooks: "Webhook",
    name: "名称",
    role: "角色",
    issue_token: "签发令牌",
    new_token_once: "新令牌（仅显示一次，请立即复制）：",
    revoke: "吊销",
    url: "URL",
    kinds: "动作",
    all_kinds: "全部",
    forbidden: "您的角色无权执行此操作。",
    not_found: "未找到",
    expired_form: "表单已过期（或来自其他页面），请刷新后重试。",
    back_to_queue: "返回工单队列",
    unit_day: "天",
    unit_hour: "小时",
    unit_minute: "分钟",
    weekdays: ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
};

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn lang(accept: &str, cookie: Option<&str>) -> Lang {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_str(accept).unwrap());
        if let Some(c) = cookie {
            headers.insert(header::COOKIE, HeaderValue::from_str(c).unwrap());
        }
        Lang::of(&CookieJar::from_headers(&headers), &headers)
    }

    #[test]
    fn the_language_follows_the_cookie_then_accept_language() {
        assert_eq!(lang("zh-CN,zh;q=0.9,en;q=0.8", None), Lang::Zh);
        assert_eq!(lang("en-GB,zh;q=0.5", None), Lang::En);
        assert_eq!(lang("de-DE,zh-TW;q=0.7", None), Lang::Zh);
        assert_eq!(lang("fr", None), Lang::En);
        assert_eq!(lang("zh-CN", Some("ombud_lang=en")), Lang::En);
        assert_eq!(lang("en", Some("ombud_lang=zh")), Lang::Zh);
    }

    #[test]
    fn days_and_spans_read_in_either_language() {
        let day = NaiveDate::from_ymd_opt(2026, 2, 25).unwrap();
        assert_eq!(Lang::En.day(day, 2026), "Wed 25 Feb");
        assert_eq!(Lang::Zh.day(day, 2026), "2月25日 周三");
        assert_eq!(Lang::Zh.day(day, 2025), "2026年2月25日 周三");
        assert_eq!(Lang::En.span(2 * 86_400 + 3 * 3600 + 59), "2d 3h");
        assert_eq!(Lang::Zh.span(-(3 * 3600 + 5 * 60)), "3小时5分钟");
        assert_eq!(Lang::En.span(45 * 60), "45m");
        assert_eq!(Lang::En.span(86_400), "1d");
    }
}
