-- Each opportunity as the API shows it (`OpportunityResponse`, serialized), written with every
-- change of the row: a list page serves these texts as they are, instead of decoding every
-- column, rebuilding the opportunity and serializing it again for each request.
--
-- NULL means "not rendered yet": rows written before this migration, and every row after a
-- migration that changes the representation, which sets it back to NULL for all rows. The
-- service renders such rows when it starts (finding them through the partial index below, so a
-- start with none to render costs one index probe), and a list meeting one renders it from its
-- columns meanwhile.
ALTER TABLE opportunities ADD COLUMN representation TEXT;
CREATE INDEX opportunities_unrendered_idx ON opportunities (id) WHERE representation IS NULL;
