DROP TABLE oc4ids_sources;
