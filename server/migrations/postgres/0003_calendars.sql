-- Calendar updates deployed over the API: each kept with its source; the latest deployed
-- calendar that extends a bundled one stands in for it in every policy that names it.
CREATE TABLE calendars (
    seq         BIGSERIAL PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    extends     TEXT NOT NULL,
    digest      TEXT NOT NULL,
    source      TEXT NOT NULL,
    deployed_ms BIGINT NOT NULL,
    deployed_by TEXT NOT NULL
);

-- The calendar a ticket's clocks were last counted on ('' : the one its policy names).
ALTER TABLE tickets ADD COLUMN calendar TEXT NOT NULL DEFAULT '';
