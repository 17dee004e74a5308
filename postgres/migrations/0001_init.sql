-- The initial schema. Times are timestamptz kept to the millisecond; NULL
-- stands for the zero time. Optional nested values are json, kept as the
-- text the engine wrote, NULL when absent; lists are text[], NULL when
-- empty. Names and keys that the store orders or pages through compare
-- bytewise (COLLATE "C"), as in the SQLite engine and in S3, whatever the
-- database's locale.

-- Packages are ordered by seq for pagination. A sequence never hands out a
-- number twice, so a package created between two pages sorts after the
-- rows already returned; InsertPackage takes a lock so that seq order is
-- also commit order across replicas.
CREATE TABLE packages (
	seq                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id                 text COLLATE "C" NOT NULL UNIQUE,
	account            text COLLATE "C" NOT NULL,
	region             text COLLATE "C" NOT NULL,
	name               text COLLATE "C" NOT NULL,
	type               text NOT NULL,
	description        text NOT NULL,
	status             text NOT NULL,
	error_details      json,
	engine_version     text COLLATE "C" NOT NULL, -- '' for none
	version            integer NOT NULL,
	configuration      json,
	plugin_properties  json,
	vending_options    json,
	encryption_options json,
	allow_list         text[],
	pending            json,
	created_at         timestamptz,
	updated_at         timestamptz,
	UNIQUE (account, region, name, engine_version)
);

-- packages_scope serves a scope's pages; packages_name serves name filters
-- across scopes (DescribePackages also lists other accounts' packages).
-- An account's packages are mostly in one region, which the planner,
-- taking columns as independent, would not know: it could then walk
-- packages in seq order to find a page of a small scope, for a scope it
-- wrongly thinks is large. The statistics teach it.
CREATE INDEX packages_scope ON packages (account, region, seq);
CREATE INDEX packages_name ON packages (name, seq);
CREATE STATISTICS packages_scope_stats (dependencies, mcv) ON account, region FROM packages;

CREATE TABLE package_versions (
	package_id        text COLLATE "C" NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
	version           integer NOT NULL,
	commit_message    text NOT NULL,
	created_at        timestamptz,
	blob_id           text NOT NULL,
	blob_size         bigint NOT NULL,
	blob_sha256       text NOT NULL,
	blob_md5          text NOT NULL,
	plugin_properties json,
	configuration     json,
	PRIMARY KEY (package_id, version)
);

-- Grants: who may see a package. FindPackages with a viewer reads them as
-- ranges of (region, grantee) ordered by seq, so a page of what a viewer
-- sees costs what it returns, however many packages other accounts own or
-- share elsewhere.
--
-- A package gets one grant for its owner and one per entry of its
-- allow_list, in its own region: an account ID, or GLOBAL for every
-- account of the region. Owning a package in a region shows it exactly as
-- an account's grant does, so a viewer's page is three ranges of one
-- index: its account in its region, GLOBAL in its region, and the grant
-- ('*', 'GLOBAL') of AWS-owned packages (account 'AWS', no region), which
-- every viewer matches, since '*' is no region's name. 'AWS', 'GLOBAL' and
-- '*' are osemu.AWSOwner, osemu.GlobalUser and everyRegion in the Go code.
--
-- package_grant_rules says which grants a package should have; the
-- triggers below keep package_grants equal to it on every write to
-- packages, so the store's code cannot forget a path. Packages never change
-- scope, so only a change of allow_list moves grants.
CREATE VIEW package_grant_rules (region, grantee, seq) AS
	SELECT region, account, seq FROM packages
	UNION
	SELECT p.region, g.grantee, p.seq FROM packages AS p, unnest(p.allow_list) AS g (grantee)
	UNION
	SELECT '*', 'GLOBAL', seq FROM packages WHERE account = 'AWS' AND region = '';

-- Deleting a package deletes its grants through the foreign key, which
-- package_grants_seq serves. It is a hash index: it finds a package's
-- grants and offers no seq order, which the planner could otherwise walk,
-- filtering, to find a viewer's page.
CREATE TABLE package_grants (
	region  text COLLATE "C" NOT NULL,
	grantee text COLLATE "C" NOT NULL,
	seq     bigint NOT NULL REFERENCES packages (seq) ON DELETE CASCADE,
	PRIMARY KEY (region, grantee, seq)
);

CREATE INDEX package_grants_seq ON package_grants USING hash (seq);

-- The store's connections plan every statement for its values (see
-- runtimeParams in postgres.go); the trigger's statements, the same each
-- time, keep the plans PostgreSQL caches.
CREATE FUNCTION package_grants_sync() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = auto AS $$
BEGIN
	IF TG_OP = 'UPDATE' THEN
		DELETE FROM package_grants WHERE seq = NEW.seq;
	END IF;
	INSERT INTO package_grants (region, grantee, seq)
		SELECT region, grantee, seq FROM package_grant_rules WHERE seq = NEW.seq;
	RETURN NULL;
END
$$;

CREATE TRIGGER package_grants_insert AFTER INSERT ON packages
	FOR EACH ROW EXECUTE FUNCTION package_grants_sync();

CREATE TRIGGER package_grants_update AFTER UPDATE OF allow_list ON packages
	FOR EACH ROW WHEN (NEW.allow_list IS DISTINCT FROM OLD.allow_list)
	EXECUTE FUNCTION package_grants_sync();

CREATE TABLE domains (
	account        text COLLATE "C" NOT NULL,
	region         text COLLATE "C" NOT NULL,
	name           text COLLATE "C" NOT NULL,
	engine_version text NOT NULL,
	state          text NOT NULL,
	config         json,
	endpoint       text NOT NULL,
	change_id      text NOT NULL,
	created_at     timestamptz,
	updated_at     timestamptz,
	PRIMARY KEY (account, region, name)
);

-- The primary key serves listing by domain, ordered by package ID;
-- associations_package serves listing by package, ordered by domain name,
-- and counting a package's associations across scopes.
CREATE TABLE associations (
	account       text COLLATE "C" NOT NULL,
	region        text COLLATE "C" NOT NULL,
	domain_name   text COLLATE "C" NOT NULL,
	package_id    text COLLATE "C" NOT NULL,
	package_name  text NOT NULL,
	package_type  text NOT NULL,
	status        text NOT NULL,
	version       integer NOT NULL,
	prerequisites text[],
	configuration json,
	error_details json,
	updated_at    timestamptz,
	PRIMARY KEY (account, region, domain_name, package_id)
);

CREATE INDEX associations_package ON associations (package_id, account, region, domain_name);

CREATE TABLE tags (
	arn   text COLLATE "C" NOT NULL,
	key   text COLLATE "C" NOT NULL,
	value text NOT NULL,
	PRIMARY KEY (arn, key)
);

-- lease_until is NULL when the step was never leased.
CREATE TABLE steps (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind        text NOT NULL,
	account     text NOT NULL,
	region      text NOT NULL,
	package_id  text NOT NULL,
	domain_name text NOT NULL,
	due_at      timestamptz NOT NULL,
	attempts    integer NOT NULL,
	lease_owner text NOT NULL,
	lease_until timestamptz
);

-- steps_due serves ClaimStep, in claim order; steps_ready serves
-- NextStepDue, which wants the time a step can next be claimed (greatest
-- ignores a NULL lease); steps_resource serves DeleteSteps.
CREATE INDEX steps_due ON steps (due_at, id);
CREATE INDEX steps_ready ON steps ((greatest(due_at, lease_until)));
CREATE INDEX steps_resource ON steps (account, region, package_id, domain_name);

CREATE TABLE meta (
	key   text PRIMARY KEY,
	value bytea NOT NULL
);

-- Blob content in chunks of 1 MiB. Every blob has a chunk 0, empty for
-- empty content, so that an empty blob exists.
CREATE TABLE blobs (
	blob_id text COLLATE "C" NOT NULL,
	seq     integer NOT NULL,
	data    bytea NOT NULL,
	PRIMARY KEY (blob_id, seq)
);

CREATE TABLE s3_buckets (
	name       text COLLATE "C" PRIMARY KEY,
	created_at timestamptz
);

CREATE TABLE s3_objects (
	bucket      text COLLATE "C" NOT NULL,
	key         text COLLATE "C" NOT NULL,
	blob_id     text NOT NULL,
	blob_size   bigint NOT NULL,
	blob_sha256 text NOT NULL,
	blob_md5    text NOT NULL,
	metadata    json,
	modified_at timestamptz,
	PRIMARY KEY (bucket, key)
);

-- Multipart uploads, kept in the store so that a client may send the parts
-- of one upload to different replicas. s3_uploads_key serves ListUploads,
-- which reads a range of (bucket, key, id).
CREATE TABLE s3_uploads (
	id         text COLLATE "C" PRIMARY KEY,
	bucket     text COLLATE "C" NOT NULL,
	key        text COLLATE "C" NOT NULL,
	metadata   json,
	created_at timestamptz
);

CREATE INDEX s3_uploads_key ON s3_uploads (bucket, key, id);

-- The primary key serves ListParts. DeleteUpload deletes the parts itself,
-- to return them; the cascade only backs it up.
CREATE TABLE s3_parts (
	upload_id   text COLLATE "C" NOT NULL REFERENCES s3_uploads (id) ON DELETE CASCADE,
	number      integer NOT NULL,
	blob_id     text NOT NULL,
	blob_size   bigint NOT NULL,
	blob_sha256 text NOT NULL,
	blob_md5    text NOT NULL,
	modified_at timestamptz,
	PRIMARY KEY (upload_id, number)
);
