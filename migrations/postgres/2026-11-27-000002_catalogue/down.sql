DROP TABLE api_keys;
DROP TABLE opportunity_facets;
DROP TABLE opportunities;
DROP TABLE initiatives;
ALTER TABLE parties DROP CONSTRAINT parties_focal_person_fk;
DROP TABLE people;
DROP TABLE party_members;
DROP TABLE parties;
