-- mig:upgrade
SELECT 1;
-- mig:revision a1
