-- An opportunity's sectors (with their broader codes) and engagement models as the bits of one
-- integer, kept beside opportunity_facets and carried in the public catalogue's ordered indexes:
-- a filtered page then tests each candidate inside the index it walks, where it probed
-- opportunity_facets twice per candidate. Bit positions are fixed in
-- src/persistence/opportunities.rs (`SECTOR_BITS`, `ENGAGEMENT_BITS`); the application keeps the
-- column current on every write, and this backfill derives it from the facets already stored.
ALTER TABLE opportunities ADD COLUMN facet_mask BIGINT NOT NULL DEFAULT 0;
UPDATE opportunities SET facet_mask = (
    SELECT CAST(COALESCE(SUM(CASE f.facet || ':' || f.value
        WHEN 'sector:education' THEN 1
        WHEN 'sector:health' THEN 2
        WHEN 'sector:energy' THEN 4
        WHEN 'sector:energy.solar' THEN 8
        WHEN 'sector:energy.wind' THEN 16
        WHEN 'sector:energy.hydropower' THEN 32
        WHEN 'sector:energy.biomass' THEN 64
        WHEN 'sector:energy.geothermal' THEN 128
        WHEN 'sector:communications' THEN 256
        WHEN 'sector:waterAndWaste' THEN 512
        WHEN 'sector:governance' THEN 1024
        WHEN 'sector:economy' THEN 2048
        WHEN 'sector:cultureSportsAndRecreation' THEN 4096
        WHEN 'sector:transport' THEN 8192
        WHEN 'sector:transport.air' THEN 16384
        WHEN 'sector:transport.water' THEN 32768
        WHEN 'sector:transport.rail' THEN 65536
        WHEN 'sector:transport.road' THEN 131072
        WHEN 'sector:transport.urban' THEN 262144
        WHEN 'sector:transport.lowCarbon' THEN 524288
        WHEN 'sector:socialHousing' THEN 1048576
        WHEN 'sector:naturalResources' THEN 2097152
        WHEN 'sector:naturalResources.floodProtection' THEN 4194304
        WHEN 'engagementModel:g2g' THEN 4294967296
        WHEN 'engagementModel:b2b' THEN 8589934592
        WHEN 'engagementModel:ppp' THEN 17179869184
        WHEN 'engagementModel:jointVenture' THEN 34359738368
        WHEN 'engagementModel:concession' THEN 68719476736
        WHEN 'engagementModel:epcFinance' THEN 137438953472
        WHEN 'engagementModel:equity' THEN 274877906944
        WHEN 'engagementModel:debt' THEN 549755813888
        ELSE 0 END), 0) AS BIGINT)
    FROM opportunity_facets f WHERE f.opportunity_id = opportunities.id
);
DROP INDEX opportunities_public_idx;
DROP INDEX opportunities_public_updated_idx;
DROP INDEX opportunities_public_title_idx;
CREATE INDEX opportunities_public_idx ON opportunities (is_public, id, facet_mask);
CREATE INDEX opportunities_public_updated_idx ON opportunities (is_public, updated_at, id, facet_mask);
CREATE INDEX opportunities_public_title_idx ON opportunities (is_public, title, id, facet_mask);
