CREATE TABLE parties (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    country TEXT NOT NULL,
    identifier_scheme TEXT,
    identifier_id TEXT,
    website TEXT,
    contact_name TEXT,
    contact_email TEXT,
    contact_telephone TEXT,
    focal_person_id TEXT REFERENCES people (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX parties_name_idx ON parties (name, id);
CREATE INDEX parties_updated_idx ON parties (updated_at, id);
CREATE INDEX parties_kind_idx ON parties (kind, id);
CREATE INDEX parties_country_idx ON parties (country, id);
CREATE INDEX parties_focal_person_idx ON parties (focal_person_id);
CREATE UNIQUE INDEX parties_identifier_idx ON parties (identifier_scheme, identifier_id);

CREATE TABLE party_members (
    party_id TEXT NOT NULL REFERENCES parties (id) ON DELETE CASCADE,
    member_id TEXT NOT NULL REFERENCES parties (id),
    position INTEGER NOT NULL,
    PRIMARY KEY (party_id, member_id)
);
CREATE INDEX party_members_member_idx ON party_members (member_id);

CREATE TABLE people (
    id TEXT PRIMARY KEY NOT NULL,
    party_id TEXT NOT NULL REFERENCES parties (id),
    name TEXT NOT NULL,
    job_title TEXT,
    email TEXT,
    telephone TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX people_party_idx ON people (party_id, id);
CREATE INDEX people_name_idx ON people (name, id);
CREATE INDEX people_updated_idx ON people (updated_at, id);

CREATE TABLE initiatives (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    countries TEXT NOT NULL,
    lead_party_id TEXT REFERENCES parties (id),
    focal_person_id TEXT REFERENCES people (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX initiatives_name_idx ON initiatives (name, id);
CREATE INDEX initiatives_updated_idx ON initiatives (updated_at, id);
CREATE INDEX initiatives_lead_party_idx ON initiatives (lead_party_id);
CREATE INDEX initiatives_focal_person_idx ON initiatives (focal_person_id);

CREATE TABLE opportunities (
    id TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    purpose TEXT,
    sectors TEXT NOT NULL,
    project_type TEXT,
    project_status TEXT NOT NULL,
    listing_status TEXT NOT NULL,
    engagement_models TEXT NOT NULL,
    ppp_model TEXT,
    host_country TEXT NOT NULL,
    locations TEXT NOT NULL,
    estimated_cost_minor BIGINT,
    estimated_cost_currency TEXT,
    investment_sought_minor BIGINT,
    investment_sought_currency TEXT,
    eoi_deadline DATE,
    public_authority_id TEXT REFERENCES parties (id),
    focal_person_id TEXT REFERENCES people (id),
    partner_countries TEXT NOT NULL,
    initiative_id TEXT REFERENCES initiatives (id),
    documents TEXT NOT NULL,
    oc4ids_id TEXT UNIQUE,
    search_text TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP,
    version INTEGER NOT NULL
);
CREATE INDEX opportunities_listing_idx ON opportunities (listing_status, id);
CREATE INDEX opportunities_listing_updated_idx ON opportunities (listing_status, updated_at, id);
CREATE INDEX opportunities_listing_title_idx ON opportunities (listing_status, title, id);
CREATE INDEX opportunities_updated_idx ON opportunities (updated_at, id);
CREATE INDEX opportunities_title_idx ON opportunities (title, id);
CREATE INDEX opportunities_host_country_idx ON opportunities (host_country, id);
CREATE INDEX opportunities_project_status_idx ON opportunities (project_status, id);
CREATE INDEX opportunities_initiative_idx ON opportunities (initiative_id, id);
CREATE INDEX opportunities_public_authority_idx ON opportunities (public_authority_id);
CREATE INDEX opportunities_focal_person_idx ON opportunities (focal_person_id);
CREATE INDEX opportunities_eoi_deadline_idx ON opportunities (eoi_deadline, id);
CREATE INDEX opportunities_investment_idx ON opportunities (investment_sought_currency, investment_sought_minor, id);

-- One row per filterable value of a multi-valued opportunity field, so that filters on sectors,
-- engagement models and partner countries are index lookups. Sector rows include every ancestor
-- code ("transport.road" also yields "transport") so a broad filter matches narrow codes.
CREATE TABLE opportunity_facets (
    facet TEXT NOT NULL,
    value TEXT NOT NULL,
    opportunity_id TEXT NOT NULL REFERENCES opportunities (id) ON DELETE CASCADE,
    PRIMARY KEY (facet, value, opportunity_id)
);
CREATE INDEX opportunity_facets_opportunity_idx ON opportunity_facets (opportunity_id);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    party_id TEXT REFERENCES parties (id),
    secret_hash TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX api_keys_party_idx ON api_keys (party_id);
