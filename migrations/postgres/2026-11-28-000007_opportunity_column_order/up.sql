-- The opportunities table rebuilt with the columns that list queries test first. PostgreSQL
-- decodes a row's columns in order up to the last one a filter reads, and `is_public` and
-- `facet_mask` (migrations 5 and 6) came last, behind 28 columns, most of variable length: a
-- filtered catalogue page decodes them for each of the few hundred rows it tests to return 20.
-- SQLite tests those columns inside the public indexes and needs no change.
CREATE TABLE opportunities_reordered (
    id TEXT NOT NULL,
    is_public INTEGER NOT NULL DEFAULT 0,
    facet_mask BIGINT NOT NULL DEFAULT 0,
    listing_status TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    purpose TEXT,
    sectors TEXT NOT NULL,
    project_type TEXT,
    project_status TEXT NOT NULL,
    engagement_models TEXT NOT NULL,
    ppp_model TEXT,
    host_country TEXT NOT NULL,
    locations TEXT NOT NULL,
    estimated_cost_minor BIGINT,
    estimated_cost_currency TEXT,
    investment_sought_minor BIGINT,
    investment_sought_currency TEXT,
    eoi_deadline DATE,
    public_authority_id TEXT,
    focal_person_id TEXT,
    partner_countries TEXT NOT NULL,
    initiative_id TEXT,
    documents TEXT NOT NULL,
    oc4ids_id TEXT,
    search_text TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP,
    version INTEGER NOT NULL
);
INSERT INTO opportunities_reordered (
    id, is_public, facet_mask, listing_status, updated_at, title, description, purpose, sectors,
    project_type, project_status, engagement_models, ppp_model, host_country, locations,
    estimated_cost_minor, estimated_cost_currency, investment_sought_minor,
    investment_sought_currency, eoi_deadline, public_authority_id, focal_person_id,
    partner_countries, initiative_id, documents, oc4ids_id, search_text, created_at, published_at,
    version
)
SELECT
    id, is_public, facet_mask, listing_status, updated_at, title, description, purpose, sectors,
    project_type, project_status, engagement_models, ppp_model, host_country, locations,
    estimated_cost_minor, estimated_cost_currency, investment_sought_minor,
    investment_sought_currency, eoi_deadline, public_authority_id, focal_person_id,
    partner_countries, initiative_id, documents, oc4ids_id, search_text, created_at, published_at,
    version
FROM opportunities;

ALTER TABLE interests DROP CONSTRAINT interests_opportunity_id_fkey;
ALTER TABLE opportunity_facets DROP CONSTRAINT opportunity_facets_opportunity_id_fkey;
DROP TABLE opportunities;
ALTER TABLE opportunities_reordered RENAME TO opportunities;

ALTER TABLE opportunities ADD CONSTRAINT opportunities_pkey PRIMARY KEY (id);
ALTER TABLE opportunities ADD CONSTRAINT opportunities_oc4ids_id_key UNIQUE (oc4ids_id);
ALTER TABLE opportunities ADD CONSTRAINT opportunities_public_authority_id_fkey
    FOREIGN KEY (public_authority_id) REFERENCES parties (id);
ALTER TABLE opportunities ADD CONSTRAINT opportunities_focal_person_id_fkey
    FOREIGN KEY (focal_person_id) REFERENCES people (id);
ALTER TABLE opportunities ADD CONSTRAINT opportunities_initiative_id_fkey
    FOREIGN KEY (initiative_id) REFERENCES initiatives (id);
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
CREATE INDEX opportunities_investment_idx
    ON opportunities (investment_sought_currency, investment_sought_minor, id);
CREATE INDEX opportunities_public_idx ON opportunities (is_public, id, facet_mask);
CREATE INDEX opportunities_public_updated_idx ON opportunities (is_public, updated_at, id, facet_mask);
CREATE INDEX opportunities_public_title_idx ON opportunities (is_public, title, id, facet_mask);

ALTER TABLE interests ADD CONSTRAINT interests_opportunity_id_fkey
    FOREIGN KEY (opportunity_id) REFERENCES opportunities (id);
ALTER TABLE opportunity_facets ADD CONSTRAINT opportunity_facets_opportunity_id_fkey
    FOREIGN KEY (opportunity_id) REFERENCES opportunities (id) ON DELETE CASCADE;
