CREATE TABLE interests (
    id TEXT PRIMARY KEY NOT NULL,
    opportunity_id TEXT NOT NULL REFERENCES opportunities (id),
    party_id TEXT NOT NULL REFERENCES parties (id),
    engagement_model TEXT NOT NULL,
    stage TEXT NOT NULL,
    -- The stage an interest on hold will return to.
    held_stage TEXT,
    -- The furthest stage in the pipeline order ever reached (for conversion figures).
    furthest_stage TEXT NOT NULL,
    -- Set when an officer overrides the stage's default probability.
    probability_override INTEGER,
    indicative_amount_minor BIGINT,
    indicative_amount_currency TEXT,
    message TEXT,
    contact_person_id TEXT REFERENCES people (id),
    assignee_id TEXT REFERENCES people (id),
    notes TEXT,
    stage_changed_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL
);
-- One active interest per opportunity and party; withdrawn and rejected ones do not count.
CREATE UNIQUE INDEX interests_active_idx ON interests (opportunity_id, party_id)
    WHERE stage NOT IN ('withdrawn', 'rejected');
CREATE INDEX interests_opportunity_idx ON interests (opportunity_id, id);
CREATE INDEX interests_party_idx ON interests (party_id, id);
CREATE INDEX interests_stage_idx ON interests (stage, id);
CREATE INDEX interests_assignee_idx ON interests (assignee_id, id);
CREATE INDEX interests_updated_idx ON interests (updated_at, id);
CREATE INDEX interests_stage_changed_idx ON interests (stage_changed_at, id);
CREATE INDEX interests_contact_idx ON interests (contact_person_id);

CREATE TABLE interest_co_investors (
    interest_id TEXT NOT NULL REFERENCES interests (id),
    party_id TEXT NOT NULL REFERENCES parties (id),
    position INTEGER NOT NULL,
    PRIMARY KEY (interest_id, party_id)
);
CREATE INDEX interest_co_investors_party_idx ON interest_co_investors (party_id, interest_id);

-- The append-only timeline of each interest.
CREATE TABLE interest_events (
    id TEXT PRIMARY KEY NOT NULL,
    interest_id TEXT NOT NULL REFERENCES interests (id),
    kind TEXT NOT NULL,
    from_stage TEXT,
    to_stage TEXT,
    -- Seconds spent in from_stage, for median-time-in-stage figures.
    seconds_in_stage BIGINT,
    reason TEXT,
    details TEXT NOT NULL,
    actor_key_id TEXT,
    actor_role TEXT,
    occurred_at TIMESTAMP NOT NULL
);
CREATE INDEX interest_events_interest_idx ON interest_events (interest_id, id);
CREATE INDEX interest_events_from_stage_idx ON interest_events (from_stage, seconds_in_stage);
