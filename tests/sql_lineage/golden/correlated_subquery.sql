SELECT
  c.customer_id,
  (SELECT MAX(o.ordered_at) FROM raw.orders AS o WHERE o.customer_id = c.customer_id) AS last_order_at
FROM raw.customers AS c
WHERE EXISTS (
  SELECT 1
  FROM raw.payments AS p
  JOIN raw.orders AS o2 ON p.order_id = o2.order_id
  WHERE o2.customer_id = c.customer_id
)
