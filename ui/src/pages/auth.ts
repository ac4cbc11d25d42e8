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
        const s = signup
          ? await call(booking.POST("/api/users/signup", { body: { name: name.value, email: email.value, password: password.value } }))
          : await call(booking.POST("/api/users/signin", { body: { email: email.value, password: password.value } }));
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
