import type { FastifyPluginAsync } from "fastify";
import { prisma } from "../db.js";
import { requireRole } from "../middleware/requireRole.js";

export const clinic: FastifyPluginAsync = async (app) => {
  app.get("/clinic/day", { preHandler: requireRole("staff") }, async (req) => {
    const { date } = req.query as { date: string };
    return prisma.appointment.findMany({
      where: { startsAt: { gte: new Date(`${date}T00:00:00Z`), lt: new Date(`${date}T23:59:59Z`) } },
      include: { pet: true, vet: true },
      orderBy: { startsAt: "asc" },
    });
  });
};
