-- A party whose interest was withdrawn or rejected may express interest again: the new interest
-- names the one before it. No foreign key: interests are never deleted, and SQLite cannot drop a
-- column that carries one (down.sql).
ALTER TABLE interests ADD COLUMN previous_interest_id TEXT;
