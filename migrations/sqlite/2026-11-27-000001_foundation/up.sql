-- Settings the service keeps for itself, e.g. the key that signs pagination cursors.
CREATE TABLE app_settings (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
