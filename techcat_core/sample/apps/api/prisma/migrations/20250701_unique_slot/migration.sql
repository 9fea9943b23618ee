-- One booking per vet per slot; cancelled appointments free the slot again.
CREATE UNIQUE INDEX "appointment_vet_slot_key"
  ON "appointment" ("vet_id", "starts_at")
  WHERE "status" <> 'cancelled';
