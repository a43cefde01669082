-- The ePHI inventory: assets and the flows of ePHI between them and to outside parties.
--
-- Assets are never deleted. Retiring one sets retired_on and retired_reason and keeps the
-- row for the six-year retention period; the name must be unique only among assets in
-- service, so a replacement may reuse the name of the device it replaced. A flow ends
-- (ended_on) instead of being deleted, and retiring an asset ends its flows on the same day.
-- Each flow end is an asset or an outside party's name, never both.

CREATE TABLE assets (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    owner TEXT NOT NULL,
    location TEXT NOT NULL,
    ephi TEXT NOT NULL,
    ephi_handling TEXT NOT NULL,
    record_count BIGINT,
    encryption_at_rest TEXT NOT NULL,
    encryption_in_transit TEXT NOT NULL,
    sign_in TEXT NOT NULL,
    backup TEXT NOT NULL,
    criticality TEXT NOT NULL,
    vendor TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    retired_on TEXT,
    retired_reason TEXT
);
CREATE UNIQUE INDEX assets_name_in_service ON assets (lower(name)) WHERE retired_on IS NULL;

CREATE TABLE data_flows (
    id TEXT PRIMARY KEY,
    from_asset_id TEXT REFERENCES assets (id),
    from_party TEXT,
    to_asset_id TEXT REFERENCES assets (id),
    to_party TEXT,
    data TEXT NOT NULL,
    transport TEXT NOT NULL,
    encryption TEXT NOT NULL,
    created_at TEXT NOT NULL,
    ended_on TEXT,
    CHECK ((from_asset_id IS NULL) <> (from_party IS NULL)),
    CHECK ((to_asset_id IS NULL) <> (to_party IS NULL))
);
CREATE INDEX data_flows_from ON data_flows (from_asset_id);
CREATE INDEX data_flows_to ON data_flows (to_asset_id);
