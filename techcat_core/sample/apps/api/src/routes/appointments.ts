import type { FastifyPluginAsync } from "fastify";
import { prisma } from "../db.js";

const CUTOFF_MS = 2 * 60 * 60 * 1000;

export const appointments: FastifyPluginAsync = async (app) => {
  app.post("/appointments", async (req, reply) => {
    const { vetId, petId, startsAt } = req.body as { vetId: string; petId: string; startsAt: string };
    try {
      const created = await prisma.$transaction(
        (tx) => tx.appointment.create({ data: { vetId, petId, startsAt: new Date(startsAt) } }),
        { isolationLevel: "Serializable" },
      );
      return reply.code(201).send(created);
    } catch (error) {
      if ((error as { code?: string }).code === "P2002") return reply.code(409).send({ title: "Slot already booked" });
      throw error;
    }
  });

  app.patch("/appointments/:id", async (req, reply) => {
    const { id } = req.params as { id: string };
    const current = await prisma.appointment.findUniqueOrThrow({ where: { id } });
    if (current.startsAt.getTime() - Date.now() < CUTOFF_MS) {
      return reply.code(422).send({ title: "Too late to change this appointment", detail: "Please call the clinic." });
    }
    const { status, startsAt } = req.body as { status?: "cancelled"; startsAt?: string };
    return prisma.appointment.update({ where: { id }, data: { status, startsAt: startsAt && new Date(startsAt) } });
  });
};
