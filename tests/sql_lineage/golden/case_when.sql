SELECT
  order_id,
  CASE
    WHEN status = 'refunded' THEN -amount
    WHEN status = 'paid' THEN amount
    ELSE 0
  END AS signed_amount,
  CASE channel WHEN 'web' THEN 'online' ELSE 'offline' END AS sales_channel
FROM raw.orders
