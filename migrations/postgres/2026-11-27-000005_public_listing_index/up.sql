-- Whether an opportunity is visible to the public (published or closed), kept beside
-- listing_status so the public catalogue filters on one value: an equality that the ordered
-- indexes below serve page by page, where `listing_status IN (…)` made the database sort every
-- public row for each page.
ALTER TABLE opportunities ADD COLUMN is_public INTEGER NOT NULL DEFAULT 0;
UPDATE opportunities SET is_public = CASE WHEN listing_status IN ('published', 'closed') THEN 1 ELSE 0 END;
CREATE INDEX opportunities_public_idx ON opportunities (is_public, id);
CREATE INDEX opportunities_public_updated_idx ON opportunities (is_public, updated_at, id);
CREATE INDEX opportunities_public_title_idx ON opportunities (is_public, title, id);
