import type { FastifyBaseLogger } from "fastify";
import { prisma } from "../db.js";
import { sendMail } from "../services/mailer.js";

/** Every minute: email owners whose appointment starts in 24 hours and who have not been reminded. */
export function startReminderJob(log: FastifyBaseLogger): void {
  setInterval(async () => {
    const due = await prisma.appointment.findMany({
      where: { status: "booked", reminderSentAt: null, startsAt: { lte: new Date(Date.now() + 24 * 3600e3) } },
      include: { pet: { include: { owner: true } }, vet: true },
    });
    for (const appt of due) {
      await sendMail(appt.pet.owner.email, `Reminder: ${appt.pet.name} sees ${appt.vet.name} tomorrow`, "");
      await prisma.appointment.update({ where: { id: appt.id }, data: { reminderSentAt: new Date() } });
    }
    if (due.length) log.info({ count: due.length }, "sent appointment reminders");
  }, 60_000);
}
