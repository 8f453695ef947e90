CREATE TABLE "homes" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"owner_name" text NOT NULL,
	"capacity" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "homes_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "usage_records" (
	"job_id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"user_name" text NOT NULL,
	"course_id" uuid NOT NULL,
	"course_name" text NOT NULL,
	"course_owner_id" uuid,
	"gpu" integer NOT NULL,
	"gpu_resource" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"end_reason" text,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "usage_records_end_reason_known" CHECK ("usage_records"."end_reason" is null or "usage_records"."end_reason" in ('deleted', 'culled', 'failed', 'course_deleted', 'lost')),
	CONSTRAINT "usage_records_gpu_range" CHECK ("usage_records"."gpu" >= 0)
);
--> statement-breakpoint
ALTER TABLE "courses" ADD COLUMN "home_path" text;--> statement-breakpoint
CREATE INDEX "usage_records_started_idx" ON "usage_records" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "usage_records_user_idx" ON "usage_records" USING btree ("user_id","started_at");--> statement-breakpoint
CREATE INDEX "usage_records_course_idx" ON "usage_records" USING btree ("course_id","started_at");--> statement-breakpoint
CREATE INDEX "usage_records_owner_idx" ON "usage_records" USING btree ("course_owner_id","started_at");--> statement-breakpoint
CREATE INDEX "usage_records_open_idx" ON "usage_records" USING btree ("job_id") WHERE "usage_records"."ended_at" is null;