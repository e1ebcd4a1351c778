SELECT
  u."userId" AS user_id,
  u.country,
  date_trunc('day', e.event_ts) AS day,
  count_if(e.event_type = 'purchase') AS purchases,
  approx_distinct(t.sku) AS distinct_skus
FROM lake.raw.events AS e
JOIN lake.raw.users AS u ON e."userId" = u."userId"
CROSS JOIN UNNEST(e.items) AS t(sku)
WHERE e.event_ts >= TIMESTAMP '2024-01-01 00:00:00'
GROUP BY 1, 2, 3
