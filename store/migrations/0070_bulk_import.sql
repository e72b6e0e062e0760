-- Indexes of the comments table that a bulk import (store/bulk.go) dropped and has not
-- yet built again. Each is built again, and its row deleted, when the import finishes,
-- or when the store is next opened if the import was killed.
CREATE TABLE bulk_import_indexes (
    name TEXT PRIMARY KEY,
    sql  TEXT NOT NULL
);
