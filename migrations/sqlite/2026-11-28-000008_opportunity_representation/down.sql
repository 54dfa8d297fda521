DROP INDEX opportunities_unrendered_idx;
ALTER TABLE opportunities DROP COLUMN representation;
