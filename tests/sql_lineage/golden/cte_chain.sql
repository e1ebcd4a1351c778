WITH settled AS (
  SELECT order_id, amount FROM raw.payments WHERE status = 'settled'
), per_order AS (
  SELECT order_id, SUM(amount) AS paid FROM settled GROUP BY order_id
), joined AS (
  SELECT o.order_id, o.customer_id, o.amount, COALESCE(p.paid, 0) AS paid
  FROM raw.orders AS o
  LEFT JOIN per_order AS p ON o.order_id = p.order_id
)
SELECT customer_id, SUM(amount - paid) AS balance
FROM joined
GROUP BY customer_id
