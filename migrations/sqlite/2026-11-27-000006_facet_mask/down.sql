DROP INDEX opportunities_public_title_idx;
DROP INDEX opportunities_public_updated_idx;
DROP INDEX opportunities_public_idx;
ALTER TABLE opportunities DROP COLUMN facet_mask;
CREATE INDEX opportunities_public_idx ON opportunities (is_public, id);
CREATE INDEX opportunities_public_updated_idx ON opportunities (is_public, updated_at, id);
CREATE INDEX opportunities_public_title_idx ON opportunities (is_public, title, id);
