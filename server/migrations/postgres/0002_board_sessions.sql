-- The board's login sessions: the SHA-256 of the session cookie's random id (never the id
-- itself), the token it was opened with (revoking the token ends the session), the session's
-- CSRF token for the board's forms, and its expiry.
CREATE TABLE board_sessions (
    id_hash    TEXT PRIMARY KEY,
    token_id   TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);
