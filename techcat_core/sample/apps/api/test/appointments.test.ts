import { describe, expect, it } from "vitest";
import { buildApp, seedVetAndPet } from "./helpers.js";

describe("POST /appointments", () => {
  it("books a free slot", async () => {
    const { app, vetId, petId } = await seedVetAndPet(await buildApp());
    const res = await app.inject({ method: "POST", url: "/appointments", payload: { vetId, petId, startsAt: "2025-07-03T08:00:00Z" } });
    expect(res.statusCode).toBe(201);
  });
  it("lets exactly one of two concurrent bookings of a slot win", async () => {
    const { app, vetId, petId } = await seedVetAndPet(await buildApp());
    const book = () => app.inject({ method: "POST", url: "/appointments", payload: { vetId, petId, startsAt: "2025-07-03T09:00:00Z" } });
    const codes = (await Promise.all([book(), book()])).map((r) => r.statusCode).sort();
    expect(codes).toEqual([201, 409]);
  });
});
