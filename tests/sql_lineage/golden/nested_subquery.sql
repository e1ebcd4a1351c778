SELECT big.customer_id, big.total
FROM (
  SELECT customer_id, SUM(amount) AS total
  FROM (SELECT customer_id, amount FROM raw.orders WHERE status = 'paid') AS paid
  GROUP BY customer_id
) AS big
WHERE big.total > 1000
  AND big.customer_id IN (SELECT customer_id FROM raw.customers WHERE country = 'DE')
