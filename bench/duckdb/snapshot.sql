-- pql's account_features snapshot for one as-of date, in DuckDB SQL over the same Parquet files: the benchmark's
-- reference (bench/run compares it with pql's snapshot on every account before it compares their times).
-- Views `events` (the events table's files) and `accounts` (account states) exist; ${...} is filled in by
-- dev.pql.bench.DuckDbSnapshot from pql's configuration (key events, event families, limits, milestones, bands).
WITH zones AS (
  SELECT account_id, timezone FROM accounts WHERE is_current
),
signups AS (
  SELECT account_id, min(signup_at)::DATE AS signup_date FROM accounts GROUP BY account_id
),
ev AS (
  SELECT e.account_id, e.event_date, e.event, e.ts, e.user_id, g.signup_date,
         timezone(coalesce(z.timezone, 'UTC'), e.ts::TIMESTAMPTZ) AS local_ts
  FROM events e LEFT JOIN zones z USING (account_id) LEFT JOIN signups g USING (account_id)
  WHERE e.event_date < DATE '${as_of}'
),
flagged AS (
  SELECT *, event_date >= DATE '${as_of}' - 7 AS in7, event_date >= DATE '${as_of}' - 30 AS in30,
         event_date >= DATE '${as_of}' - 14 AND event_date < DATE '${as_of}' - 7 AS in_prev7,
         isodow(local_ts) <= 5 AS weekday, isodow(local_ts) <= 5 AND hour(local_ts) BETWEEN 9 AND 17 AS working
  FROM ev
),
-- Key events in two steps, as a DuckDB user would write a wide pivot: each account and key event's counts per
-- window first (a few filters per row), then one column per key event and window over those few rows.
per_event AS (
  SELECT account_id, event, count(*) AS total, min(ts) AS first_ts,
${per_event_aggregates}
         count(*) FILTER (in30) AS w30
  FROM flagged WHERE event IN (${key_events}) GROUP BY account_id, event
),
key_counts AS (
  SELECT account_id,
${key_event_aggregates}
         count(*) AS key_events_used
  FROM per_event GROUP BY account_id
),
counted AS (
  SELECT account_id,
         count(*) FILTER (in7) AS events_7d,
         count(*) FILTER (in_prev7) AS events_prev_7d,
         count(*) FILTER (in30) AS events_30d,
         count(*) FILTER (in30 AND weekday) AS weekday_events_30d,
         count(*) FILTER (in30 AND working) AS working_hours_events_30d,
         count(DISTINCT event) FILTER (in30 AND event IN (${key_events})) AS breadth_30d,
         count(DISTINCT event) FILTER (event IN (${key_events})) AS breadth_total,
         count(*) FILTER (in30 AND event IN (${invite_events})) AS invites_30d,
         count(*) FILTER (event IN (${invite_events})) AS invites_total,
         count(*) FILTER (in7 AND event IN (${login_events})) AS logins_7d,
         count(*) FILTER (in30 AND event IN (${login_events})) AS logins_30d,
         count(*) FILTER (in30 AND event IN (${limit_events})) AS limits_reached_30d,
         count(*) FILTER (event IN (${limit_events})) AS limits_reached_total,
         count(*) FILTER (in30 AND event IN (${hand_raise_events})) AS hand_raises_30d,
         count(*) FILTER (event IN (${hand_raise_events})) AS hand_raises_total,
${limit_aggregates}
${milestone_aggregates}
         count(DISTINCT event_date) FILTER (in7) AS active_days_7d,
         count(DISTINCT event_date) FILTER (in30) AS active_days_30d,
         max(event_date) AS last_active_date
  FROM flagged GROUP BY account_id
),
users AS (
  SELECT account_id,
         count(DISTINCT user_id) FILTER (in7) AS active_users_7d,
         count(DISTINCT user_id) FILTER (in30) AS active_users_30d,
         count(DISTINCT user_id) AS seats
  FROM flagged WHERE user_id IS NOT NULL GROUP BY account_id
),
-- Distinct users per key event: each user's last day with the event first (as pql does), then counted per window.
event_users AS (
  SELECT account_id, event, user_id, max(event_date) AS last_date
  FROM flagged
  WHERE user_id IS NOT NULL AND event IN (${key_events}) AND event_date >= DATE '${as_of}' - ${longest_user_window}
  GROUP BY account_id, event, user_id
),
event_user_counts AS (
  SELECT account_id,
${user_aggregates}
         count(*) AS event_users
  FROM event_users GROUP BY account_id
),
spine AS (
  SELECT * FROM accounts
  WHERE signup_at < TIMESTAMP '${as_of} 00:00:00' AND valid_from < TIMESTAMP '${as_of} 00:00:00'
    AND (valid_to IS NULL OR valid_to >= TIMESTAMP '${as_of} 00:00:00')
)
SELECT s.account_id,
       DATE '${as_of}' - s.signup_at::DATE AS days_since_signup,
       DATE '${as_of}' - c.last_active_date AS days_since_last_activity,
${key_event_columns}
       coalesce(c.logins_7d, 0) AS logins_7d, coalesce(c.logins_30d, 0) AS logins_30d,
       coalesce(c.active_days_7d, 0) AS active_days_7d, coalesce(c.active_days_30d, 0) AS active_days_30d,
       coalesce(u.active_users_7d, 0) AS active_users_7d, coalesce(u.active_users_30d, 0) AS active_users_30d,
       coalesce(u.seats, 0) AS seats,
       coalesce(c.invites_30d, 0) AS invites_30d, coalesce(c.invites_total, 0) AS invites_total,
       coalesce(c.events_7d, 0) AS events_7d, coalesce(c.events_prev_7d, 0) AS events_prev_7d,
       coalesce(c.events_30d, 0) AS events_30d,
       coalesce(c.breadth_30d, 0) AS breadth_30d, coalesce(c.breadth_total, 0) AS breadth_total,
       coalesce(c.limits_reached_30d, 0) AS limits_reached_30d, coalesce(c.limits_reached_total, 0) AS limits_reached_total,
       coalesce(c.hand_raises_30d, 0) AS hand_raises_30d, coalesce(c.hand_raises_total, 0) AS hand_raises_total,
       (coalesce(c.events_7d, 0) + 1) / (coalesce(c.events_prev_7d, 0) + 1) AS trend_7d,
       c.events_30d / nullif(c.active_days_30d, 0) AS depth_30d,
       c.weekday_events_30d / nullif(c.events_30d, 0) AS weekday_share_30d,
       c.working_hours_events_30d / nullif(c.events_30d, 0) AS working_hours_share_30d,
${limit_columns}
       (${milestones_reached}) / ${milestones} AS activation_share,
       list_filter([${milestone_names}], lambda x: x IS NOT NULL) AS activation_milestones,
       s.plan, s.email_domain, s.employees, s.industry, s.country, s.timezone,
       CASE WHEN s.email_domain IS NULL THEN NULL WHEN lower(s.email_domain) IN (${enterprise_domains}) THEN 'enterprise'
            WHEN lower(s.email_domain) IN (${webmail_domains}) THEN 'webmail' ELSE 'corporate' END AS domain_class,
       CASE WHEN s.employees IS NULL THEN NULL WHEN s.employees < ${mid_from} THEN 'small'
            WHEN s.employees < ${large_from} THEN 'mid' ELSE 'large' END AS size_band
FROM spine s LEFT JOIN counted c USING (account_id) LEFT JOIN key_counts k USING (account_id) LEFT JOIN users u USING (account_id)
     LEFT JOIN event_user_counts p USING (account_id)
