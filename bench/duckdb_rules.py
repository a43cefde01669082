#!/usr/bin/env python3
"""Run the five benchmark rules as DuckDB SQL over an EHR access log and a roster.

The rules mirror `safeguard review` with its defaults in UTC: activity by departed or unknown
accounts, activity outside Monday–Friday 08:00–17:30, at least 5 failed sign-ins to one account
within 10 minutes, distinct-patient volume at least 3 times the role's lower median (with at
least 50 patients and at least 3 peers), and emergency access without a review.

Usage: duckdb_rules.py LOG.csv ROSTER.csv OUT.json
Writes {"rule_id": ["account", ...], ...} with accounts in lower case.
"""

import json
import sys

import duckdb

SQL = {
    "unknown_account_activity": """
        SELECT DISTINCT lower(a.user) FROM acts a
        WHERE a.acted AND lower(a.user) NOT IN (SELECT account FROM roster)
    """,
    "departed_account_activity": """
        SELECT DISTINCT lower(a.user) FROM acts a JOIN roster r ON lower(a.user) = r.account
        WHERE a.acted AND (
            (r.end_date IS NOT NULL AND CAST(a.time AS DATE) > r.end_date)
            OR (r.end_date IS NULL AND r.status = 'terminated'))
    """,
    "off_hours_activity": """
        SELECT DISTINCT lower(user) FROM acts
        WHERE acted AND (
            isodow(time) >= 6
            OR CAST(time AS TIME) < TIME '08:00:00'
            OR CAST(time AS TIME) >= TIME '17:30:00')
    """,
    "failed_login_burst_account": """
        SELECT DISTINCT lower(user) FROM (
            SELECT user, count(*) OVER (
                PARTITION BY lower(user) ORDER BY time
                RANGE BETWEEN INTERVAL 10 MINUTE PRECEDING AND CURRENT ROW) AS recent
            FROM acts WHERE failed AND action_kind = 'logon')
        WHERE recent >= 5
    """,
    "patient_volume_outlier": """
        WITH per_user AS (
            SELECT lower(a.user) AS account,
                   coalesce(r.role, 'accounts not on the roster') AS grp,
                   count(DISTINCT a.patient) AS patients
            FROM acts a LEFT JOIN roster r ON lower(a.user) = r.account
            WHERE a.action_kind = 'record' AND NOT a.failed AND a.patient IS NOT NULL
            GROUP BY 1, 2),
        groups AS (
            SELECT grp, quantile_disc(patients, 0.5) AS median, count(*) AS size
            FROM per_user GROUP BY grp)
        SELECT p.account FROM per_user p JOIN groups g USING (grp)
        WHERE g.size >= 4 AND p.patients >= 50 AND p.patients >= 3.0 * g.median
    """,
    "break_glass_without_review": """
        SELECT DISTINCT lower(user) FROM acts
        WHERE emergency IN ('1', 'true', 'yes', 'y', 'x')
          AND coalesce(reviewed, '') NOT IN ('1', 'true', 'yes', 'y', 'x')
    """,
}


def main():
    log, roster, out = sys.argv[1:4]
    con = duckdb.connect()
    con.execute(
        f"""
        CREATE TABLE acts AS
        SELECT CAST(time AS TIMESTAMP) AS time, user, patient, action, emergency, reviewed,
               lower(outcome) IN ('failure', 'failed', 'denied', 'error') AS failed,
               CASE WHEN lower(action) IN ('login', 'logon') THEN 'logon'
                    WHEN lower(action) IN ('logout', 'logoff') THEN 'logoff'
                    ELSE 'record' END AS action_kind,
               NOT (lower(outcome) IN ('failure', 'failed', 'denied', 'error'))
                   AND lower(action) NOT IN ('logout', 'logoff') AS acted
        FROM read_csv('{log}', header = true, all_varchar = true)
        """
    )
    con.execute(
        f"""
        CREATE TABLE roster AS
        SELECT lower(split_part(accounts, '=', 2)) AS account, lower(practice_role) AS role,
               CAST(nullif(end_date, '') AS DATE) AS end_date, status
        FROM read_csv('{roster}', header = true, all_varchar = true)
        """
    )
    results = {rule: sorted(row[0] for row in con.execute(sql).fetchall()) for rule, sql in SQL.items()}
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
