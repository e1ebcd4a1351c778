SELECT
  c.country,
  COUNT(*) AS orders,
  COUNT(DISTINCT o.customer_id) AS buyers,
  SUM(o.amount) AS revenue,
  AVG(o.amount) AS avg_order
FROM raw.orders AS o
JOIN raw.customers AS c ON o.customer_id = c.customer_id
GROUP BY c.country
HAVING SUM(o.amount) > 0
ORDER BY revenue DESC
