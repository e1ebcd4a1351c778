INSERT INTO mart.daily_revenue (day, country, revenue)
SELECT CAST(o.ordered_at AS DATE), c.country, SUM(o.amount)
FROM raw.orders AS o
JOIN raw.customers AS c ON o.customer_id = c.customer_id
GROUP BY 1, 2
