import type { FastifyPluginAsync } from "fastify";
import { prisma } from "../db.js";
import { freeSlots } from "../services/availability.js";

export const vets: FastifyPluginAsync = async (app) => {
  app.get("/vets", async (req) => {
    const { specialty } = req.query as { specialty?: string };
    return prisma.vet.findMany({ where: specialty ? { specialties: { has: specialty } } : {} });
  });
  app.get("/vets/:id/availability", async (req) => {
    const { id } = req.params as { id: string };
    const { date } = req.query as { date: string };
    return freeSlots(id, date);
  });
};
