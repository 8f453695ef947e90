-- The platform's permission rules name these three roles, so they exist from the start.
INSERT INTO "roles" ("name", "built_in") VALUES ('admin', true), ('teacher', true), ('student', true)
ON CONFLICT ("name") DO UPDATE SET "built_in" = true;
