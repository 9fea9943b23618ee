import { prisma } from "../db.js";

export const SLOT_MINUTES = 15;

/** Free 15-minute slots for one vet on one local date, as UTC ISO strings. */
export async function freeSlots(vetId: string, localDate: string): Promise<string[]> {
  const vet = await prisma.vet.findUniqueOrThrow({ where: { id: vetId }, include: { clinic: true } });
  const candidates = slotsWithinHours(vet.clinic.openingHours, vet.clinic.timezone, localDate, SLOT_MINUTES);
  const taken = await prisma.appointment.findMany({
    where: { vetId, status: { not: "cancelled" }, startsAt: { in: candidates } },
    select: { startsAt: true },
  });
  const busy = new Set(taken.map((a) => a.startsAt.toISOString()));
  return candidates.map((d) => d.toISOString()).filter((iso) => !busy.has(iso));
}
