import Fastify from "fastify";
import { health } from "./routes/health.js";
import { vets } from "./routes/vets.js";
import { appointments } from "./routes/appointments.js";
import { auth } from "./routes/auth.js";
import { pets } from "./routes/pets.js";
import { clinic } from "./routes/clinic.js";
import { rateLimit } from "./plugins/rateLimit.js";
import { startReminderJob } from "./jobs/reminders.js";

const app = Fastify({ logger: true });
await app.register(rateLimit);
for (const routes of [health, vets, appointments, auth, pets, clinic]) await app.register(routes);
startReminderJob(app.log);
await app.listen({ port: Number(process.env.PORT ?? 3000), host: "0.0.0.0" });
