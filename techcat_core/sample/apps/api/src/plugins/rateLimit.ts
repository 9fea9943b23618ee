import fp from "fastify-plugin";
import rateLimit from "@fastify/rate-limit";

/** Global default is generous; sign-in routes override it (five magic links per email per hour). */
export const rateLimitPlugin = fp(async (app) => {
  await app.register(rateLimit, {
    global: false,
    keyGenerator: (req) => (req.body as { email?: string } | undefined)?.email ?? req.ip,
  });
});
export { rateLimitPlugin as rateLimit };
