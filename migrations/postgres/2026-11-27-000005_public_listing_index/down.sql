DROP INDEX opportunities_public_title_idx;
DROP INDEX opportunities_public_updated_idx;
DROP INDEX opportunities_public_idx;
ALTER TABLE opportunities DROP COLUMN is_public;
