import type { FastifyPluginAsync } from "fastify";
import { issueToken, redeemToken } from "../services/tokens.js";
import { sendMail } from "../services/mailer.js";

export const auth: FastifyPluginAsync = async (app) => {
  app.post("/auth/magic-link", { config: { rateLimit: { max: 5, timeWindow: "1 hour" } } }, async (req, reply) => {
    const { email } = req.body as { email: string };
    const token = await issueToken(email);
    await sendMail(email, "Your Pawprint sign-in link", `${process.env.PUBLIC_WEB_URL}/sign-in?token=${token}`);
    return reply.code(202).send();
  });
  app.post("/auth/session", async (req, reply) => {
    const { token } = req.body as { token: string };
    const owner = await redeemToken(token);
    return reply.setCookie("session", owner.sessionId, { httpOnly: true, secure: true, sameSite: "lax" }).send();
  });
};
