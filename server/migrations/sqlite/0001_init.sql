-- Ombud server schema (SQLite). Instants are milliseconds since 1970-01-01 UTC; truth about
-- a ticket is its `state` (the engine's ticket JSON); the other ticket columns index it.
-- Every per-ticket table is keyed by the ticket id first, so the schema distributes by ticket
-- id (docs/server.md, "Beyond one machine").

CREATE TABLE policies (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL,
    version     TEXT NOT NULL,
    digest      TEXT NOT NULL,
    name        TEXT NOT NULL,
    source      TEXT NOT NULL,
    deployed_ms INTEGER NOT NULL,
    deployed_by TEXT NOT NULL,
    UNIQUE (id, version)
);

CREATE TABLE tickets (
    id             TEXT PRIMARY KEY,
    policy_id      TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    state          TEXT NOT NULL,
    revision       INTEGER NOT NULL,
    stage          TEXT NOT NULL,
    tier           TEXT,
    assignee       TEXT,
    flagged        INTEGER NOT NULL,
    closed         INTEGER NOT NULL,
    paused         INTEGER NOT NULL,
    deadline_ms    INTEGER,
    provisional    INTEGER NOT NULL,
    next_wakeup_ms INTEGER,
    opened_ms      INTEGER NOT NULL,
    updated_ms     INTEGER NOT NULL,
    ledger_lines   INTEGER NOT NULL,
    timeline_rows  INTEGER NOT NULL,
    timeline_from  INTEGER NOT NULL,
    open_hash      TEXT NOT NULL
);
CREATE INDEX tickets_wakeup ON tickets (next_wakeup_ms) WHERE next_wakeup_ms IS NOT NULL;
CREATE INDEX tickets_queue ON tickets (closed, policy_id, deadline_ms);

CREATE TABLE ledger (
    ticket_id TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    at_ms     INTEGER NOT NULL,
    line      TEXT NOT NULL,
    PRIMARY KEY (ticket_id, seq)
);
CREATE INDEX ledger_time ON ledger (at_ms, ticket_id, seq);

CREATE TABLE timeline (
    ticket_id TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    row_json  TEXT NOT NULL,
    PRIMARY KEY (ticket_id, seq)
);

CREATE TABLE intake (
    ticket_id    TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    response     TEXT NOT NULL,
    received_ms  INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, event_id)
);

CREATE TABLE outbox (
    ticket_id       TEXT NOT NULL,
    delivery_id     TEXT NOT NULL,
    webhook_id      TEXT NOT NULL,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_ms INTEGER NOT NULL,
    last_error      TEXT,
    created_ms      INTEGER NOT NULL,
    delivered_ms    INTEGER,
    PRIMARY KEY (ticket_id, delivery_id)
);
CREATE INDEX outbox_due ON outbox (next_attempt_ms) WHERE status = 'pending';
CREATE INDEX outbox_status ON outbox (status, created_ms);
CREATE INDEX outbox_delivery ON outbox (delivery_id);

CREATE TABLE webhooks (
    id         TEXT PRIMARY KEY,
    url        TEXT NOT NULL,
    secret     TEXT NOT NULL,
    kinds      TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);

CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    hash       TEXT NOT NULL,
    role       TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    revoked_ms INTEGER
);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
