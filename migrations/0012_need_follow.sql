-- The buyer's follow-up of a need: demo needs are left out of the impact figures, and the hourly job that
-- asks the outcome finds the needs whose answer deadline has passed without scanning the table.
ALTER TABLE needs ADD COLUMN is_demo boolean NOT NULL DEFAULT false;
CREATE INDEX needs_outcome_due_idx ON needs (answer_deadline) WHERE outcome_asked_at IS NULL AND first_sent_at IS NOT NULL;
