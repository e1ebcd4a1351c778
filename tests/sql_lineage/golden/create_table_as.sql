CREATE TABLE mart.customer_ltv AS
SELECT
  c.customer_id,
  c.name,
  SUM(o.amount) AS lifetime_value,
  MAX(o.ordered_at) AS last_order_at
FROM raw.customers AS c
LEFT JOIN raw.orders AS o ON o.customer_id = c.customer_id
GROUP BY c.customer_id, c.name
