SELECT o.order_id, c.name AS customer_name, o.amount
FROM raw.orders AS o
JOIN raw.customers AS c ON o.customer_id = c.customer_id
WHERE c.country = 'DE' AND o.status <> 'cancelled'
