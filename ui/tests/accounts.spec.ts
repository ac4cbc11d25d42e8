// Flow 1: sign up, sign in, sign out; the session survives a reload.
import { expect, expectAccessible, screenshots, test } from "./fixtures";

test("a person signs up, keeps the session across a reload, signs out and back in", async ({ page, person }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Book the pros and events near you");
  await screenshots(page, "home");

  await page.getByRole("link", { name: "Sign up" }).click();
  await expect(page.getByRole("heading", { name: "Create your account" })).toBeVisible();
  await expectAccessible(page);
  // A short password is refused with words, before anything is sent.
  await page.getByLabel("Name").fill(person.name);
  await page.getByLabel("Email").fill(person.email);
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("alert")).toContainText("at least 8 characters");
  await page.getByLabel("Password").fill(person.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("signed-in-as")).toHaveText(person.name);

  await page.reload();
  await expect(page.getByTestId("signed-in-as")).toHaveText(person.name);
  await expect(page.getByRole("link", { name: "My bookings" })).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();

  // A wrong password is a clear message; the right one signs in with the keyboard alone.
  await page.getByRole("link", { name: "Sign in" }).click();
  await page.getByLabel("Email").fill(person.email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByLabel("Password").press("Enter");
  await expect(page.getByRole("alert")).toHaveText("That email and password don't match an account.");
  await screenshots(page, "signin");
  await page.getByLabel("Password").fill(person.password);
  await page.getByLabel("Password").press("Enter");
  await expect(page.getByTestId("signed-in-as")).toHaveText(person.name);
  await expectAccessible(page);
});
