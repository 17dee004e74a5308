-- Multipart uploads of the embedded S3 endpoint, kept in the store so that
-- a client may send the parts of one upload to different replicas, and so
-- that an upload outlives a restart.
--
-- s3_uploads_key serves ListUploads, which reads a range of (bucket, key,
-- id): a page costs what it returns. Keys compare bytewise, as for objects.
CREATE TABLE s3_uploads (
	id         TEXT PRIMARY KEY,
	bucket     TEXT NOT NULL,
	key        TEXT NOT NULL COLLATE BINARY,
	metadata   TEXT,
	created_at INTEGER
) STRICT, WITHOUT ROWID;

CREATE INDEX s3_uploads_key ON s3_uploads (bucket, key, id);

-- The primary key serves ListParts, a range of one upload's part numbers.
-- A part of a missing upload fails the foreign key; DeleteUpload deletes
-- the parts itself, to return them, and the cascade only backs it up.
CREATE TABLE s3_parts (
	upload_id   TEXT NOT NULL REFERENCES s3_uploads (id) ON DELETE CASCADE,
	number      INTEGER NOT NULL,
	blob_id     TEXT NOT NULL,
	blob_size   INTEGER NOT NULL,
	blob_sha256 TEXT NOT NULL,
	blob_md5    TEXT NOT NULL,
	modified_at INTEGER,
	PRIMARY KEY (upload_id, number)
) STRICT, WITHOUT ROWID;
