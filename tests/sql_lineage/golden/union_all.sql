SELECT order_id AS id, amount, 'order' AS kind FROM raw.orders
UNION ALL
SELECT payment_id, -amount, 'payment' FROM raw.payments WHERE status = 'settled'
