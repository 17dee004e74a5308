-- Grants: who, besides its owner, may see a package. FindPackages with a
-- viewer reads them as ranges of (region, grantee) ordered by seq, so a page
-- of what a viewer sees costs what it returns, however many packages other
-- accounts own or share elsewhere.
--
-- A package gets one grant per entry of its allow_list, in its own region:
-- an account ID, or GLOBAL for every account of the region. An AWS-owned
-- package (account 'AWS', no region) gets the grant ('*', 'GLOBAL'), which
-- every viewer matches, since '*' is no region's name. 'AWS', 'GLOBAL' and
-- '*' are osemu.AWSOwner, osemu.GlobalUser and everyRegion in the Go code.
--
-- package_grant_rules says which grants a package should have; the triggers
-- below keep package_grants equal to it, on every write to packages, so
-- the store's code cannot forget a path. Packages never change scope, so
-- only a change of allow_list moves grants.
CREATE VIEW package_grant_rules (region, grantee, seq) AS
	SELECT p.region, json_each.value, p.seq FROM packages AS p, json_each(p.allow_list)
	UNION
	SELECT '*', 'GLOBAL', seq FROM packages WHERE account = 'AWS' AND region = '';

-- Deleting a package deletes its grants through the foreign key, which
-- package_grants_seq serves.
CREATE TABLE package_grants (
	region  TEXT NOT NULL,
	grantee TEXT NOT NULL,
	seq     INTEGER NOT NULL REFERENCES packages (seq) ON DELETE CASCADE,
	PRIMARY KEY (region, grantee, seq)
) STRICT, WITHOUT ROWID;

CREATE INDEX package_grants_seq ON package_grants (seq);

CREATE TRIGGER package_grants_insert AFTER INSERT ON packages
BEGIN
	INSERT INTO package_grants (region, grantee, seq)
		SELECT region, grantee, seq FROM package_grant_rules WHERE seq = NEW.seq;
END;

CREATE TRIGGER package_grants_update AFTER UPDATE OF allow_list ON packages
	WHEN NEW.allow_list IS NOT OLD.allow_list
BEGIN
	DELETE FROM package_grants WHERE seq = NEW.seq;
	INSERT INTO package_grants (region, grantee, seq)
		SELECT region, grantee, seq FROM package_grant_rules WHERE seq = NEW.seq;
END;

-- Existing packages get their grants.
INSERT INTO package_grants (region, grantee, seq)
	SELECT region, grantee, seq FROM package_grant_rules;
