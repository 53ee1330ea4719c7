-- mig:revision lbl_rev
-- mig:branch_labels lib1, lib.v2, a-b
-- mig:depends_on lib2.x, 0123abcd
-- mig:create_date 2020-01-01

-- mig:downgrade
DROP TABLE x;

-- mig:upgrade if data
   
INSERT INTO x VALUES (1);
   
