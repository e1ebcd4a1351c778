SELECT customer_id, SUM(amount FROM raw.orders GROUP BY customer_id
