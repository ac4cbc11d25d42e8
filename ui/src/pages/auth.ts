import { booking, call } from "../api";
import { busy, field, h, messageBox } from "../dom";
import { go, type Route } from "../router";
import { session } from "../session";

function form(route: Route, mode: "signin" | "signup"): void {
  const signup = mode === "signup";
  const next = route.query.get("next") || "/";
  const name = h("input", { id: "auth-name", name: "name", autocomplete: "name", required: true });
  const email = h("input", { id: "auth-email", name: "email", type: "email", autocomplete: "email", required: true });
  const password = h("input", {
    id: "auth-password", name: "password", type: "password", required: true,
    autocomplete: signup ? "new-password" : "current-password", minlength: signup ? 8 : undefined,
  });
  const submit = h("button", { type: "submit", class: "primary" }, signup ? "Create account" : "Sign in");
  const message = messageBox();
  const el = h("form", { class: "card narrow", novalidate: true },
    signup ? field("Name", name) : null,
    field("Email", email),
    field("Password", password, signup ? "At least 8 characters." : undefined),
    message,
    submit,
  );
  el.addEventListener("submit", async (e) => {
    e.preventDefault();
    message.clear();
    if (!el.checkValidity()) {
      message.show("error", signup ? "Please give your name, a valid email and a password of at least 8 characters." : "Please give your email and password.");
      return;
    }
    await busy(submit, async () => {
      try {
        if (signup) {
          // Sign-up answers alike for a new and a taken address; then we sign in.
          await call(booking.POST("/api/users/signup", { body: { name: name.value, email: email.value, password: password.value } }));
          const res = await booking.POST("/api/users/signin", { body: { email: email.value, password: password.value } });
          if (!res.data) {
            message.show("info", `Check your mail at ${email.value}: we sent you what to do next.`);
            return;
          }
          session.set({ token: res.data.token, user: res.data.user });
          go(next);
          return;
        }
        const s = await call(booking.POST("/api/users/signin", { body: { email: email.value, password: password.value } }));
        session.set({ token: s.token, user: s.user });
        go(next);
      } catch (err) {
        message.show("error", (err as Error).message);
      }
    });
  });
  route.main.append(
    h("h1", null, signup ? "Create your account" : "Sign in"),
    el,
    h("p", { class: "narrow" },
      signup ? "Already have an account? " : "New to Slotwise? ",
      h("a", { href: `#/${signup ? "signin" : "signup"}?next=${encodeURIComponent(next)}` }, signup ? "Sign in" : "Create an account"),
    ),
  );
  if (!signup) route.main.append(h("p", { class: "narrow" }, h("a", { href: "#/reset-password" }, "Forgot your password?")));
}

/** `#/verify-email?token=…`: the link mailed at sign-up. */
export async function verifyEmailPage(route: Route): Promise<void> {
  const token = route.query.get("token") ?? "";
  const message = messageBox();
  route.main.append(h("h1", null, "Confirm your email"), h("div", { class: "card narrow" }, message));
  try {
    const user = await call(booking.POST("/api/users/verify-email", { body: { token } }));
    const current = session.user();
    if (current && current.id === user.id) session.set({ token: session.token() ?? "", user });
    message.show("success", `Thank you: ${user.email} is confirmed. Tickets sent to it are in My tickets.`);
  } catch (err) {
    message.show("error", (err as Error).message);
  }
}

/** `#/reset-password` asks for a link; `#/reset-password?token=…` sets a new password. */
export function resetPasswordPage(route: Route): void {
  const token = route.query.get("token");
  const message = messageBox();
  if (!token) {
    const email = h("input", { id: "reset-email", name: "email", type: "email", autocomplete: "email", required: true });
    const submit = h("button", { type: "submit", class: "primary" }, "Send me a link");
    const el = h("form", { class: "card narrow", novalidate: true }, field("Email", email), message, submit);
    el.addEventListener("submit", async (e) => {
      e.preventDefault();
      message.clear();
      if (!el.checkValidity()) return message.show("error", "Please give a valid email.");
      await busy(submit, async () => {
        try {
          await call(booking.POST("/api/users/password-reset", { body: { email: email.value } }));
          message.show("success", `If ${email.value} has an account, a link is on its way. It works once, for 30 minutes.`);
        } catch (err) {
          message.show("error", (err as Error).message);
        }
      });
    });
    route.main.append(h("h1", null, "Reset your password"), el);
    return;
  }
  const password = h("input", {
    id: "reset-password", name: "password", type: "password", autocomplete: "new-password", required: true, minlength: 8,
  });
  const submit = h("button", { type: "submit", class: "primary" }, "Set new password");
  const el = h("form", { class: "card narrow", novalidate: true },
    field("New password", password, "At least 8 characters."), message, submit);
  el.addEventListener("submit", async (e) => {
    e.preventDefault();
    message.clear();
    if (!el.checkValidity()) return message.show("error", "Please give a password of at least 8 characters.");
    await busy(submit, async () => {
      try {
        await call(booking.POST("/api/users/password-reset/confirm", { body: { token, password: password.value } }));
        session.clear();
        message.show("success", "Your password is changed, and every device is signed out. Sign in with the new one.");
        el.append(h("p", null, h("a", { href: "#/signin" }, "Sign in")));
      } catch (err) {
        message.show("error", (err as Error).message);
      }
    });
  });
  route.main.append(h("h1", null, "Choose a new password"), el);
}

export const signinPage = (route: Route) => form(route, "signin");
export const signupPage = (route: Route) => form(route, "signup");

export async function signOut(): Promise<void> {
  try {
    await booking.POST("/api/users/signout", {});
  } finally {
    session.clear();
    go("/");
  }
}

/** Sends the person to sign in (and back here after) when nobody is signed in. */
export function requireUser(route: Route): boolean {
  if (session.user()) return true;
  const here = location.hash.replace(/^#/, "") || "/";
  route.main.append(
    h("h1", null, "Please sign in"),
    h("p", null, "You need an account for this page. ",
      h("a", { href: `#/signin?next=${encodeURIComponent(here)}` }, "Sign in"), " or ",
      h("a", { href: `#/signup?next=${encodeURIComponent(here)}` }, "create an account"), "."),
  );
  return false;
}
