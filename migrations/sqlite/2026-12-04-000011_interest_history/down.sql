ALTER TABLE interests DROP COLUMN previous_interest_id;
