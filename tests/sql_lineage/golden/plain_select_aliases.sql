SELECT
  o.order_id AS id,
  o.amount,
  o.amount * 1.2 AS amount_with_tax,
  UPPER(o.status) AS status_label,
  'web' AS source_system
FROM raw.orders AS o
