DROP TABLE api_keys;
DROP TABLE opportunity_facets;
DROP TABLE opportunities;
DROP TABLE initiatives;
DROP TABLE people;
DROP TABLE party_members;
DROP TABLE parties;
