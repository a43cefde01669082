-- Sanctions and the activity-review schedule.
--
-- sanction_levels is the practice's progressive-discipline scale, seeded here with five
-- defaults that the practice may rename, reorder, retire or add to. Levels are retired, never
-- deleted, because sanction records refer to them. The default levels have fixed ids so that
-- every installation and every upgrade gets the same rows.
--
-- sanctions records each sanction applied. A row is written once and never changed; it keeps
-- the person's name and the level's name as they were on the day, so renaming either later does
-- not rewrite the record.
--
-- obligations.reviewed_system names the system whose logs an activity-review obligation
-- covers; it is NULL for every other obligation.

CREATE TABLE sanction_levels (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    severity BIGINT NOT NULL,
    active BIGINT NOT NULL
);
CREATE UNIQUE INDEX sanction_levels_name ON sanction_levels (lower(name));

INSERT INTO sanction_levels (id, name, description, severity, active) VALUES
    ('00000000-0000-7000-8000-000000000001', 'Verbal warning', 'A documented conversation about the violation and the expected behaviour, for a first minor violation such as an unlocked workstation.', 1, 1),
    ('00000000-0000-7000-8000-000000000002', 'Written warning', 'A written warning signed by the person and kept in the personnel file, for a repeated minor violation or a first moderate one.', 2, 1),
    ('00000000-0000-7000-8000-000000000003', 'Retraining', 'Security training on the policy violated, completed and recorded before the person resumes the affected duties.', 3, 1),
    ('00000000-0000-7000-8000-000000000004', 'Suspension of access', 'Access to systems holding ePHI suspended for a set time or until a review, for a serious or deliberate violation.', 4, 1),
    ('00000000-0000-7000-8000-000000000005', 'Termination', 'Employment or contract ended and every account disabled, for a malicious violation or repeated serious ones.', 5, 1);

CREATE TABLE sanctions (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people (id),
    person_name TEXT NOT NULL,
    violation TEXT NOT NULL,
    policy TEXT NOT NULL,
    level_id TEXT NOT NULL REFERENCES sanction_levels (id),
    level_name TEXT NOT NULL,
    applied_on TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TEXT NOT NULL
);
CREATE INDEX sanctions_person ON sanctions (person_id);

ALTER TABLE obligations ADD COLUMN reviewed_system TEXT;
