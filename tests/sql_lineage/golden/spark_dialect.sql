INSERT OVERWRITE TABLE lake.mart.event_items
SELECT
  e.event_id,
  `e`.USERID,
  item,
  date_format(e.event_ts, 'yyyy-MM-dd') AS dt
FROM lake.raw.events e
LATERAL VIEW explode(e.items) x AS item
WHERE e.event_type = 'purchase'
