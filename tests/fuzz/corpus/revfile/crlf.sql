-- mig:revision crlf_1
-- mig:down_revision a1

-- mig:upgrade
CREATE TABLE t (x int);  


-- mig:downgrade if data dialect=sqlite
DROP TABLE t;	
