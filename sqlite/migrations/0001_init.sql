-- The initial schema. Times are integer milliseconds since the Unix epoch
-- (UTC); NULL stands for the zero time. Optional nested values are JSON text,
-- NULL when absent. Every table is STRICT so that a wrong type fails loudly.

-- Packages are ordered by seq for pagination. AUTOINCREMENT keeps seq from
-- being reused after a delete, so a package created between two pages
-- always sorts after the rows already returned.
CREATE TABLE packages (
	seq                INTEGER PRIMARY KEY AUTOINCREMENT,
	id                 TEXT NOT NULL UNIQUE,
	account            TEXT NOT NULL,
	region             TEXT NOT NULL,
	name               TEXT NOT NULL,
	type               TEXT NOT NULL,
	description        TEXT NOT NULL,
	status             TEXT NOT NULL,
	error_details      TEXT,
	engine_version     TEXT NOT NULL, -- '' for none
	version            INTEGER NOT NULL,
	configuration      TEXT,
	plugin_properties  TEXT,
	vending_options    TEXT,
	encryption_options TEXT,
	allow_list         TEXT,
	pending            TEXT,
	created_at         INTEGER,
	updated_at         INTEGER,
	UNIQUE (account, region, name, engine_version)
) STRICT;

-- packages_scope serves a scope's pages; packages_name serves name filters
-- across scopes (DescribePackages also lists other accounts' packages).
CREATE INDEX packages_scope ON packages (account, region, seq);
CREATE INDEX packages_name ON packages (name, seq);

CREATE TABLE package_versions (
	package_id        TEXT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
	version           INTEGER NOT NULL,
	commit_message    TEXT NOT NULL,
	created_at        INTEGER,
	blob_id           TEXT NOT NULL,
	blob_size         INTEGER NOT NULL,
	blob_sha256       TEXT NOT NULL,
	blob_md5          TEXT NOT NULL,
	plugin_properties TEXT,
	configuration     TEXT,
	PRIMARY KEY (package_id, version)
) STRICT, WITHOUT ROWID;

CREATE TABLE domains (
	account        TEXT NOT NULL,
	region         TEXT NOT NULL,
	name           TEXT NOT NULL,
	engine_version TEXT NOT NULL,
	state          TEXT NOT NULL,
	config         BLOB,
	endpoint       TEXT NOT NULL,
	change_id      TEXT NOT NULL,
	created_at     INTEGER,
	updated_at     INTEGER,
	PRIMARY KEY (account, region, name)
) STRICT, WITHOUT ROWID;

-- The primary key serves listing by domain, ordered by package ID;
-- associations_package serves listing by package, ordered by domain name,
-- and counting a package's associations across scopes.
CREATE TABLE associations (
	account       TEXT NOT NULL,
	region        TEXT NOT NULL,
	domain_name   TEXT NOT NULL,
	package_id    TEXT NOT NULL,
	package_name  TEXT NOT NULL,
	package_type  TEXT NOT NULL,
	status        TEXT NOT NULL,
	version       INTEGER NOT NULL,
	prerequisites TEXT,
	configuration TEXT,
	error_details TEXT,
	updated_at    INTEGER,
	PRIMARY KEY (account, region, domain_name, package_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX associations_package ON associations (package_id, account, region, domain_name);

CREATE TABLE tags (
	arn   TEXT NOT NULL,
	key   TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (arn, key)
) STRICT, WITHOUT ROWID;

-- lease_until is 0 when the step was never leased, so "lease free or
-- expired" is the single condition lease_until <= now.
CREATE TABLE steps (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	kind        TEXT NOT NULL,
	account     TEXT NOT NULL,
	region      TEXT NOT NULL,
	package_id  TEXT NOT NULL,
	domain_name TEXT NOT NULL,
	due_at      INTEGER NOT NULL,
	attempts    INTEGER NOT NULL,
	lease_owner TEXT NOT NULL,
	lease_until INTEGER NOT NULL
) STRICT;

-- steps_due serves ClaimStep; steps_ready serves NextStepDue, which wants
-- the time a step can next be claimed; steps_resource serves DeleteSteps.
CREATE INDEX steps_due ON steps (due_at);
CREATE INDEX steps_ready ON steps (max(due_at, lease_until));
CREATE INDEX steps_resource ON steps (account, region, package_id, domain_name);

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value BLOB NOT NULL
) STRICT, WITHOUT ROWID;

-- Blob content in chunks of 1 MiB. A rowid table, since SQLite advises
-- against WITHOUT ROWID for large rows. Every blob has a chunk 0, empty
-- for empty content, so that an empty blob exists.
CREATE TABLE blobs (
	blob_id TEXT NOT NULL,
	seq     INTEGER NOT NULL,
	data    BLOB NOT NULL,
	PRIMARY KEY (blob_id, seq)
) STRICT;

CREATE TABLE s3_buckets (
	name       TEXT PRIMARY KEY,
	created_at INTEGER
) STRICT, WITHOUT ROWID;

-- Keys compare with the BINARY collation: bytewise, as S3 lists them.
CREATE TABLE s3_objects (
	bucket      TEXT NOT NULL,
	key         TEXT NOT NULL COLLATE BINARY,
	blob_id     TEXT NOT NULL,
	blob_size   INTEGER NOT NULL,
	blob_sha256 TEXT NOT NULL,
	blob_md5    TEXT NOT NULL,
	metadata    TEXT,
	modified_at INTEGER,
	PRIMARY KEY (bucket, key)
) STRICT, WITHOUT ROWID;
