SELECT c.name, e.* FROM raw.customers AS c JOIN raw.extras AS e ON e.customer_id = c.customer_id
