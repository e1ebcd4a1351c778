INSERT INTO mart.customer_names
SELECT customer_id, UPPER(name) FROM raw.customers
