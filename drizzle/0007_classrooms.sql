CREATE TABLE "classroom_courses" (
	"classroom_id" uuid NOT NULL,
	"course_id" uuid NOT NULL,
	"position" integer NOT NULL,
	CONSTRAINT "classroom_courses_classroom_id_course_id_pk" PRIMARY KEY("classroom_id","course_id")
);
--> statement-breakpoint
CREATE TABLE "classroom_members" (
	"classroom_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"role" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "classroom_members_classroom_id_user_id_pk" PRIMARY KEY("classroom_id","user_id"),
	CONSTRAINT "classroom_members_role_known" CHECK ("classroom_members"."role" in ('teacher', 'ta', 'student'))
);
--> statement-breakpoint
CREATE TABLE "classroom_windows" (
	"classroom_id" uuid NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	CONSTRAINT "classroom_windows_classroom_id_starts_at_pk" PRIMARY KEY("classroom_id","starts_at"),
	CONSTRAINT "classroom_windows_order" CHECK ("classroom_windows"."ends_at" > "classroom_windows"."starts_at")
);
--> statement-breakpoint
CREATE TABLE "classrooms" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"public" boolean DEFAULT false NOT NULL,
	"time_zone" text NOT NULL,
	"window_end_action" text DEFAULT 'keep' NOT NULL,
	"grace_minutes" integer DEFAULT 0 NOT NULL,
	"reserved_gpu" integer DEFAULT 0 NOT NULL,
	"lead_minutes" integer DEFAULT 10 NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "classrooms_window_end_known" CHECK ("classrooms"."window_end_action" in ('keep', 'stop')),
	CONSTRAINT "classrooms_grace_range" CHECK ("classrooms"."grace_minutes" between 0 and 1440),
	CONSTRAINT "classrooms_reserved_gpu_range" CHECK ("classrooms"."reserved_gpu" >= 0),
	CONSTRAINT "classrooms_lead_range" CHECK ("classrooms"."lead_minutes" between 0 and 1440)
);
--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "classroom_id" uuid;--> statement-breakpoint
ALTER TABLE "usage_records" ADD COLUMN "classroom_id" uuid;--> statement-breakpoint
ALTER TABLE "usage_records" ADD COLUMN "classroom_name" text;--> statement-breakpoint
ALTER TABLE "classroom_courses" ADD CONSTRAINT "classroom_courses_classroom_id_classrooms_id_fk" FOREIGN KEY ("classroom_id") REFERENCES "public"."classrooms"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "classroom_courses" ADD CONSTRAINT "classroom_courses_course_id_courses_id_fk" FOREIGN KEY ("course_id") REFERENCES "public"."courses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "classroom_members" ADD CONSTRAINT "classroom_members_classroom_id_classrooms_id_fk" FOREIGN KEY ("classroom_id") REFERENCES "public"."classrooms"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "classroom_members" ADD CONSTRAINT "classroom_members_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "classroom_windows" ADD CONSTRAINT "classroom_windows_classroom_id_classrooms_id_fk" FOREIGN KEY ("classroom_id") REFERENCES "public"."classrooms"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "classrooms" ADD CONSTRAINT "classrooms_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "classroom_courses_course_idx" ON "classroom_courses" USING btree ("course_id");--> statement-breakpoint
CREATE INDEX "classroom_members_user_idx" ON "classroom_members" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "classroom_windows_ends_idx" ON "classroom_windows" USING btree ("ends_at");--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_classroom_id_classrooms_id_fk" FOREIGN KEY ("classroom_id") REFERENCES "public"."classrooms"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "jobs_classroom_idx" ON "jobs" USING btree ("classroom_id") WHERE "jobs"."classroom_id" is not null;--> statement-breakpoint
CREATE INDEX "usage_records_classroom_idx" ON "usage_records" USING btree ("classroom_id","started_at");