-- What an imported OC4IDS project held, kept verbatim so that an export gives back every value
-- InvestDesk does not model (contracting processes, metrics, budget breakdowns, other parties,
-- documents without a url, …), merged with what InvestDesk owns. `modelled` is the project as
-- InvestDesk exported it right after the import: a member whose export still equals it was not
-- changed here, and the source's own member is written back instead.
CREATE TABLE oc4ids_sources (
    opportunity_id TEXT NOT NULL PRIMARY KEY REFERENCES opportunities (id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    modelled TEXT NOT NULL
);
