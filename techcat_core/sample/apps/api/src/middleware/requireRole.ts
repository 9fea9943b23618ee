import type { FastifyReply, FastifyRequest } from "fastify";

export function requireRole(role: "staff" | "admin") {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (!req.user?.roles.includes(role)) {
      return reply.code(403).send({ title: "Forbidden", detail: `This page needs the ${role} role.` });
    }
  };
}
