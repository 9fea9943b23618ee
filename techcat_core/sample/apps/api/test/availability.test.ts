import { describe, expect, it } from "vitest";
import { slotsWithinHours } from "../src/services/availability.js";

const hours = { mon_fri: ["08:30", "18:00"], sat: ["09:00", "13:00"], lunch: ["12:30", "13:30"] };

describe("slotsWithinHours", () => {
  it("skips the lunch break", () => {
    const slots = slotsWithinHours(hours, "Europe/Amsterdam", "2025-06-30", 15).map((d) => d.toISOString());
    expect(slots).not.toContain("2025-06-30T10:45:00.000Z"); // 12:45 local
  });
  it("ends the last slot before closing time", () => {
    const slots = slotsWithinHours(hours, "Europe/Amsterdam", "2025-06-30", 15);
    expect(slots.at(-1)?.toISOString()).toBe("2025-06-30T15:45:00.000Z"); // 17:45 local
  });
});
