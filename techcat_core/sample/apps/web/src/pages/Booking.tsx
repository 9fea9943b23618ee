import { useState } from "react";
import { SlotPicker } from "../components/SlotPicker";
import { useSession } from "../hooks/useSession";

type Step = "pet" | "slot" | "confirm";

export function Booking() {
  const { owner } = useSession({ required: true });
  const [step, setStep] = useState<Step>("pet");
  const [petId, setPetId] = useState<string>();
  const [slot, setSlot] = useState<{ vetId: string; startsAt: string }>();

  if (step === "pet") return <PetChoice pets={owner.pets} onNext={(id) => { setPetId(id); setStep("slot"); }} />;
  if (step === "slot") return <SlotPicker onPick={(s) => { setSlot(s); setStep("confirm"); }} />;
  return <Confirm petId={petId!} slot={slot!} onBack={() => setStep("slot")} />;
}
