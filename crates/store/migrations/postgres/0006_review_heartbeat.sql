-- The heartbeat of an activity review's background job.
--
-- heartbeat_at is the instant the job reading the review's logs last reported, stored as
-- fixed-width UTC RFC 3339 text like every other instant so that text order is time order. A
-- job sets it when it claims the review and at every progress update, and it is cleared when
-- the review is queued again. A running review whose heartbeat is old belonged to a server that
-- stopped, so the resume job queues it again; reviews left running before this migration have
-- no heartbeat and count as stopped.
--
-- attempts counts how often a job claimed the review, so that a review whose reading stops the
-- server every time fails after a few attempts instead of being started again forever.

ALTER TABLE activity_reviews ADD COLUMN heartbeat_at TEXT;
ALTER TABLE activity_reviews ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
