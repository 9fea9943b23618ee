import { describe, expect, it, vi } from "vitest";
import { buildApp, bookIn } from "./helpers.js";

describe("cancellation cut-off", () => {
  it("refuses to cancel within two hours", async () => {
    const { app, appointmentId } = await bookIn(await buildApp(), { minutes: 90 });
    const res = await app.inject({ method: "PATCH", url: `/appointments/${appointmentId}`, payload: { status: "cancelled" } });
    expect(res.statusCode).toBe(422);
  });
});

describe("reminder job", () => {
  it("reminds once, 24 hours ahead", async () => {
    vi.useFakeTimers();
    const { sent } = await bookIn(await buildApp(), { hours: 23 });
    await vi.advanceTimersByTimeAsync(120_000);
    expect(sent).toHaveLength(1);
  });
});
