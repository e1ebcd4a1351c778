MERGE INTO mart.customers AS t
USING (
  SELECT customer_id, name, country, updated_at
  FROM raw.customer_updates
  WHERE op <> 'delete'
) AS s
ON t.customer_id = s.customer_id
WHEN MATCHED AND s.updated_at > t.updated_at THEN
  UPDATE SET name = s.name, country = s.country, updated_at = s.updated_at
WHEN NOT MATCHED THEN
  INSERT (customer_id, name, country, updated_at)
  VALUES (s.customer_id, s.name, s.country, s.updated_at)
