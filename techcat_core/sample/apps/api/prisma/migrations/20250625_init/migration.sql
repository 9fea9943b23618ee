CREATE TABLE "owner" (
  "id" TEXT PRIMARY KEY,
  "email" TEXT NOT NULL UNIQUE,
  "name" TEXT NOT NULL,
  "phone" TEXT,
  "sms_opt_in" BOOLEAN NOT NULL DEFAULT false
);
CREATE TABLE "clinic" ("id" TEXT PRIMARY KEY, "name" TEXT NOT NULL, "timezone" TEXT NOT NULL, "opening_hours" JSONB NOT NULL);
CREATE TABLE "vet" ("id" TEXT PRIMARY KEY, "clinic_id" TEXT NOT NULL REFERENCES "clinic"("id"), "name" TEXT NOT NULL, "specialties" TEXT[] NOT NULL);
CREATE TABLE "pet" (
  "id" TEXT PRIMARY KEY,
  "owner_id" TEXT NOT NULL REFERENCES "owner"("id") ON DELETE CASCADE,
  "name" TEXT NOT NULL, "species" TEXT NOT NULL, "breed" TEXT, "weight_kg" DECIMAL(5,2),
  "vaccinations" JSONB NOT NULL DEFAULT '[]'
);
CREATE TABLE "appointment" (
  "id" TEXT PRIMARY KEY,
  "vet_id" TEXT NOT NULL REFERENCES "vet"("id"),
  "pet_id" TEXT NOT NULL REFERENCES "pet"("id") ON DELETE CASCADE,
  "starts_at" TIMESTAMPTZ NOT NULL,
  "status" TEXT NOT NULL DEFAULT 'booked',
  "reminder_sent_at" TIMESTAMPTZ
);
