-- mig:revision a1
-- mig:upgrade
SELECT 1;
-- mig:message too late
