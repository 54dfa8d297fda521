DROP TABLE interest_events;
DROP TABLE interest_co_investors;
DROP TABLE interests;
