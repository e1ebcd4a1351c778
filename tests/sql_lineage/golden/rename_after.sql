SELECT customer_id, SUM(amount_sum) AS lifetime_amount
FROM mart.order_totals
GROUP BY customer_id
