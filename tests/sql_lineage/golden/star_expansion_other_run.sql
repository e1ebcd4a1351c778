SELECT * FROM raw.customers WHERE country = 'DE'
