#!/usr/bin/env python3
"""Generate a realistic EHR access log (CSV) and the matching workforce roster.

The log has the columns `time,user,patient,action,workstation,outcome,emergency,reviewed`
(the default EHR column mapping of `safeguard review`), in time order, with times in UTC.
200 users in five practice roles open records of 50,000 patients, mostly on weekdays between
08:00 and 17:30. Known anomalies are injected so both engines have something to find:

- five accounts on no one's roster entry, and five people who left mid-period but whose
  accounts stay active;
- a handful of accounts with bursts of failed sign-ins;
- two users who open far more distinct patients than their role peers;
- rare emergency (break-glass) accesses, half of them without a review.

Usage: generate_ehr_log.py EVENTS OUT.csv ROSTER.csv [--seed N]
"""

import argparse
import datetime as dt
import random

ROLES = [
    ("physician", 30, 400),
    ("nurse", 40, 500),
    ("medical assistant", 50, 350),
    ("front desk", 50, 600),
    ("biller", 30, 800),
]
PATIENTS = 50_000
START = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
DAYS = 364


def build_users(rng):
    users = []
    number = 0
    for role, count, panel in ROLES:
        for _ in range(count):
            number += 1
            users.append({"id": f"u{number:03d}", "role": role, "panel": panel})
    for index, user in enumerate(users):
        user["on_roster"] = index % 40 != 7  # five accounts belong to no one on the roster
        user["end"] = START + dt.timedelta(days=180) if index % 40 == 13 else None
        user["snooper"] = index in (21, 121)
        first = rng.randrange(PATIENTS)
        user["patients"] = [(first + k * 7919) % PATIENTS for k in range(user["panel"])]
    return users


def write_roster(users, path):
    with open(path, "w", encoding="utf-8") as out:
        out.write("name,job_title,practice_role,start_date,end_date,status,accounts\n")
        for user in users:
            if not user["on_roster"]:
                continue
            end = user["end"].date().isoformat() if user["end"] else ""
            status = "terminated" if user["end"] else "active"
            out.write(
                f"Person {user['id']},{user['role'].title()},{user['role']},2020-01-06,{end},{status},EHR={user['id']}\n"
            )


def day_times(rng, day, count):
    """Returns `count` sorted instants on `day`: office hours on weekdays, a trickle otherwise."""
    weekday = day.weekday() < 5
    times = []
    for _ in range(count):
        if weekday and rng.random() < 0.985:
            seconds = rng.randrange(8 * 3600, 17 * 3600 + 1800)
        else:
            seconds = rng.randrange(0, 86400)
        times.append(day + dt.timedelta(seconds=seconds))
    times.sort()
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", type=int)
    parser.add_argument("out")
    parser.add_argument("roster")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    users = build_users(rng)
    write_roster(users, args.roster)
    weekday_count = sum(1 for d in range(DAYS) if (START + dt.timedelta(days=d)).weekday() < 5)
    per_weekday = args.events / (weekday_count + 0.15 * (DAYS - weekday_count))
    burst_days = {30: users[5], 95: users[77], 200: users[150], 310: users[190]}

    written = 0
    with open(args.out, "w", encoding="utf-8", newline="") as out:
        out.write("time,user,patient,action,workstation,outcome,emergency,reviewed\n")
        for d in range(DAYS):
            day = START + dt.timedelta(days=d)
            remaining = args.events - written
            if remaining <= 0:
                break
            quota = per_weekday if day.weekday() < 5 else per_weekday * 0.15
            count = remaining if d == DAYS - 1 else min(remaining, int(quota))
            lines = []
            for when in day_times(rng, day, count):
                user = users[rng.randrange(len(users))]
                stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
                roll = rng.random()
                if user["snooper"] and roll < 0.3:
                    patient = rng.randrange(PATIENTS)
                else:
                    patient = user["patients"][rng.randrange(user["panel"])]
                if roll < 0.002:
                    lines.append(f"{stamp},{user['id']},,login,WS{rng.randrange(60):02d},failure,0,0\n")
                    continue
                emergency = 1 if roll > 0.99995 else 0
                reviewed = 1 if emergency and rng.random() < 0.5 else 0
                action = "view" if roll < 0.8 else "edit"
                lines.append(
                    f"{stamp},{user['id']},MRN{patient:06d},{action},WS{rng.randrange(60):02d},success,{emergency},{reviewed}\n"
                )
            if d in burst_days:
                # Eight failed sign-ins in two minutes at 03:00, kept in time order by writing
                # them before the day's office-hours rows.
                user = burst_days[d]
                burst = [
                    f"{(day + dt.timedelta(hours=3, seconds=15 * k)).strftime('%Y-%m-%dT%H:%M:%SZ')},{user['id']},,login,WS99,failure,0,0\n"
                    for k in range(8)
                ]
                lines = sorted(burst + lines)
            out.writelines(lines)
            written += count


if __name__ == "__main__":
    main()
