# ruff: noqa: S608 -- the SQL is built from this file's own constants
"""The usage-metric catalogue in plain SQL on PostgreSQL: the baseline the engine is
compared with. Same inputs (events, group → account, seats, account start), same
outputs (every account × period of every metric and grain), as one would write it by
hand: a resolved-events table, then one INSERT … SELECT per metric and grain."""

from __future__ import annotations

import io
import time
from pathlib import Path

import duckdb
import psycopg

GRAINS = ("day", "week", "month")
# The default catalogue's daily metrics; the others are weekly and monthly only.
DAILY = {"events", "active_users", "logins", "api_calls", "days_since_last"}
SCHEMA = """
DROP TABLE IF EXISTS ev_raw, groups, seats, accounts, ev, calendar, metric_values;
CREATE TABLE ev_raw (message_id text, type text, event text, user_id text, group_id text,
                     ts timestamptz, properties text);
CREATE TABLE groups (group_id text PRIMARY KEY, account_id int);
CREATE TABLE seats (account_id int, start_on date, end_on date, quantity int);
CREATE TABLE accounts (account_id int PRIMARY KEY, start_on date);
"""


def load(
    url: str,
    parquet: Path,
    groups: list[tuple[str, int]],
    seats: list[tuple[int, int]],
    start_on: str,
) -> float:
    """COPY the events (and the small tables) into PostgreSQL; returns seconds."""
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute(SCHEMA)
        with pg.cursor().copy("COPY groups FROM STDIN") as copy:
            for row in groups:
                copy.write_row(row)
        with pg.cursor().copy("COPY seats FROM STDIN") as copy:
            for account, quantity in seats:
                copy.write_row((account, start_on, None, quantity))
        with pg.cursor().copy("COPY accounts FROM STDIN") as copy:
            for account, _ in seats:
                copy.write_row((account, start_on))
        con = duckdb.connect()
        reader = con.sql(
            "SELECT message_id, type, event, user_id, group_id, "
            "strftime(timezone('UTC', \"timestamp\"), '%Y-%m-%d %H:%M:%S+00'), properties "
            f"FROM read_parquet('{parquet}')"
        ).to_arrow_reader(500_000)
        with pg.cursor().copy("COPY ev_raw FROM STDIN (FORMAT csv)") as copy:
            for batch in reader:
                buffer = io.StringIO()
                batch.to_pandas().to_csv(buffer, header=False, index=False)
                copy.write(buffer.getvalue())
        pg.execute("ANALYZE")
    return time.perf_counter() - started


def _queries(today: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = [
        (
            "resolve events",
            """CREATE TEMP TABLE ev AS
               SELECT g.account_id, e.user_id, e.event, e.properties,
                      (e.ts AT TIME ZONE 'Asia/Tokyo')::date AS day
               FROM ev_raw e JOIN groups g USING (group_id)
               WHERE e.type IN ('track', 'page', 'screen');
               CREATE INDEX ON ev (account_id, day);
               CREATE TEMP TABLE ev_daily AS
               SELECT account_id, day, count(*) AS n FROM ev GROUP BY 1, 2;
               CREATE INDEX ON ev_daily (account_id, day);
               ANALYZE ev; ANALYZE ev_daily""",
        ),
        (
            "metric table",
            "CREATE TEMP TABLE metric_values (metric text, grain text, account_id int, "
            "period date, value double precision)",
        ),
    ]
    for grain in GRAINS:
        trunc = f"date_trunc('{grain}', day)::date"
        out.append(
            (
                f"calendar {grain}",
                f"""CREATE TEMP TABLE cal_{grain} AS
                SELECT a.account_id, p::date AS period,
                       least((p + interval '1 {grain}' - interval '1 day')::date,
                             DATE '{today}') AS period_end
                FROM (SELECT account_id, min(day) AS first FROM ev GROUP BY 1) a,
                     generate_series(date_trunc('{grain}', a.first),
                                     date_trunc('{grain}', DATE '{today}'),
                                     interval '1 {grain}') p""",
            )
        )
        simple = {
            "events": "count(*)",
            "active_users": "count(DISTINCT user_id)",
            "active_days": "count(DISTINCT day)",
            "logins": "count(*) FILTER (WHERE event IN ('Login', 'SSO Login'))",
            "api_calls": "count(*) FILTER (WHERE event = 'API Call')",
            "exported_rows": "coalesce(sum((properties::json->>'rows')::numeric) "
            "FILTER (WHERE event = 'Export Downloaded'), 0)",
            "feature_breadth": "count(DISTINCT event)",
        }
        for key, aggregate in simple.items():
            if grain == "day" and key not in DAILY:
                continue
            out.append(
                (
                    f"{key} {grain}",
                    f"""INSERT INTO metric_values
                    SELECT '{key}', '{grain}', c.account_id, c.period, coalesce(v.value, 0)
                    FROM cal_{grain} c LEFT JOIN (
                        SELECT account_id, {trunc} AS period, {aggregate} AS value
                        FROM ev GROUP BY 1, 2) v USING (account_id, period)""",
                )
            )
        out.append(
            (
                f"days_since_last {grain}",
                f"""INSERT INTO metric_values
                SELECT 'days_since_last', '{grain}', account_id, period,
                       period_end - max(last) OVER (PARTITION BY account_id ORDER BY period)
                FROM cal_{grain} c LEFT JOIN (
                    SELECT account_id, {trunc} AS period, max(day) AS last
                    FROM ev GROUP BY 1, 2) v USING (account_id, period)""",
            )
        )
        if grain == "day":
            continue  # the derived and windowed metrics are weekly and monthly
        # Fresh planner statistics before the self-joins (without them PostgreSQL picks
        # nested loops over millions of rows).
        out.append((f"analyze {grain}", "ANALYZE metric_values"))
        out.append(
            (
                f"seat_utilisation {grain}",
                f"""INSERT INTO metric_values
                SELECT 'seat_utilisation', '{grain}', c.account_id, c.period,
                       u.value / nullif(s.seats, 0)
                FROM cal_{grain} c
                JOIN metric_values u ON u.metric = 'active_users' AND u.grain = '{grain}'
                     AND u.account_id = c.account_id AND u.period = c.period
                LEFT JOIN LATERAL (
                    SELECT sum(quantity) AS seats FROM seats s
                    WHERE s.account_id = c.account_id AND s.start_on <= c.period_end
                      AND (s.end_on IS NULL OR s.end_on > c.period_end)) s ON true""",
            )
        )
        out.append(
            (
                f"events_per_user {grain}",
                f"""INSERT INTO metric_values
                SELECT 'events_per_user', '{grain}', e.account_id, e.period,
                       e.value / nullif(u.value, 0)
                FROM metric_values e JOIN metric_values u
                  ON u.metric = 'active_users' AND u.grain = e.grain
                 AND u.account_id = e.account_id AND u.period = e.period
                WHERE e.metric = 'events' AND e.grain = '{grain}'""",
            )
        )
        out.append(
            (
                f"events_change {grain}",
                f"""INSERT INTO metric_values
                SELECT 'events_change', '{grain}', account_id, period,
                       (value - prev) * 100 / nullif(prev, 0)
                FROM (SELECT account_id, period, value,
                             lag(value) OVER (PARTITION BY account_id ORDER BY period) AS prev
                      FROM metric_values WHERE metric = 'events' AND grain = '{grain}') x""",
            )
        )
        out.append(
            (
                f"tenure_scaled_events {grain}",
                f"""INSERT INTO metric_values
                SELECT 'tenure_scaled_events', '{grain}', c.account_id, c.period,
                       (SELECT coalesce(sum(n), 0) FROM ev_daily d
                        WHERE d.account_id = c.account_id
                          AND d.day > c.period_end - 30 AND d.day <= c.period_end) * 30.0
                       / least(30, c.period_end - a.start_on + 1)
                FROM cal_{grain} c JOIN accounts a USING (account_id)
                WHERE c.period_end >= a.start_on""",
            )
        )
    return out


def compute(url: str, today: str) -> tuple[float, int, list[tuple[str, float]]]:
    """Run the catalogue; returns (seconds, values written, seconds per statement)."""
    timings: list[tuple[str, float]] = []
    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute("DROP TABLE IF EXISTS ev, ev_daily, metric_values")
        started = time.perf_counter()
        for name, sql in _queries(today):
            t = time.perf_counter()
            pg.execute(sql)
            timings.append((name, time.perf_counter() - t))
        total = time.perf_counter() - started
        row = pg.execute("SELECT count(*) FROM metric_values").fetchone()
    return total, int(row[0]) if row else 0, timings
