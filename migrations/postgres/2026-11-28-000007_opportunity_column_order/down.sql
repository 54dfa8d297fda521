-- Column order has no meaning to queries, which name their columns: nothing to undo.
SELECT 1;
