-- mig:revision eof1
-- mig:upgrade
SELECT 1;

   
-- mig:downgrade