import type { FastifyPluginAsync } from "fastify";
import { prisma } from "../db.js";

export const pets: FastifyPluginAsync = async (app) => {
  app.get("/pets", async (req) => prisma.pet.findMany({ where: { ownerId: req.user!.ownerId } }));
  app.post("/pets", async (req, reply) => {
    const body = req.body as { name: string; species: string; breed?: string; weightKg?: number };
    return reply.code(201).send(await prisma.pet.create({ data: { ...body, ownerId: req.user!.ownerId } }));
  });
  app.delete("/pets/:id", async (req, reply) => {
    const { id } = req.params as { id: string };
    await prisma.pet.delete({ where: { id, ownerId: req.user!.ownerId } });
    return reply.code(204).send();
  });
};
