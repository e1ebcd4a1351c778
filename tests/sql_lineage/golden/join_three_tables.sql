SELECT
  o.order_id,
  name,
  p.paid_at,
  p.amount AS paid_amount,
  o.amount - p.amount AS outstanding
FROM raw.orders AS o
JOIN raw.customers AS c ON o.customer_id = c.customer_id
LEFT JOIN raw.payments AS p ON p.order_id = o.order_id AND p.status = 'settled'
