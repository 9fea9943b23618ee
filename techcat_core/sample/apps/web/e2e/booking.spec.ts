import { expect, test } from "@playwright/test";
import { magicLinkFor } from "./helpers";

test("an owner signs in and books a check-up", async ({ page }) => {
  await page.goto(await magicLinkFor("maria@example.com"));
  await page.getByRole("link", { name: "Dr. Anika de Vries" }).click();
  await page.getByRole("button", { name: "Biscuit" }).click();
  await page.getByRole("option").first().click();
  await page.getByRole("button", { name: "Confirm booking" }).click();
  await expect(page.getByRole("status")).toContainText("Booked");
});
