-- A structure is in at most one groupement per need (as lead or accepted member): the need is copied on
-- each membership so that a partial unique index can say it. Invitations (status invited/refused) may be many.
ALTER TABLE consortium_members ADD COLUMN need_id uuid REFERENCES needs (id) ON DELETE CASCADE;
UPDATE consortium_members m SET need_id = c.need_id FROM consortia c WHERE c.id = m.consortium_id;
ALTER TABLE consortium_members ALTER COLUMN need_id SET NOT NULL;
CREATE UNIQUE INDEX consortium_members_one_per_need_idx ON consortium_members (need_id, structure_id) WHERE status = 'accepted';
-- Sending runs look for the next pending run of a need.
CREATE INDEX jobs_needs_send_idx ON jobs ((payload->>'needId')) WHERE kind = 'needs.send' AND status = 'pending';
