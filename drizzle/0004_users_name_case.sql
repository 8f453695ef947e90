-- User names were unique only as typed, so "Admin" could be registered beside "admin". From now on
-- they are unique whatever their case. An older database may already hold such names: the oldest
-- account keeps its name, and each later one is renamed NAME-<first 8 hex digits of its id>, so
-- that this migration never stops a start (the README's "Upgrading" says so).
UPDATE "users" SET "name" = left("users"."name", 55) || '-' || left(replace("users"."id"::text, '-', ''), 8)
FROM (
	SELECT "id", row_number() OVER (PARTITION BY lower("name") ORDER BY "created_at", "id") AS "rank" FROM "users"
) AS "ranked"
WHERE "ranked"."id" = "users"."id" AND "ranked"."rank" > 1;
--> statement-breakpoint
CREATE UNIQUE INDEX "users_name_lower_unique" ON "users" USING btree (lower("name"));
