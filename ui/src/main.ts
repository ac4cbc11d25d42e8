import { booking, loadConfig } from "./api";
import { homePage } from "./pages/home";
import { resetPasswordPage, signinPage, signupPage, verifyEmailPage } from "./pages/auth";
import { render, route } from "./router";
import { session } from "./session";
import { drawHeader } from "./shell";
import { registerPages } from "./pages";

route("/", homePage);
route("/signin", signinPage);
route("/signup", signupPage);
route("/verify-email", verifyEmailPage);
route("/reset-password", resetPasswordPage);
registerPages();

async function start(): Promise<void> {
  await loadConfig();
  // A stored session is checked once: a revoked or expired token signs out.
  // Offline (the door scanner), it stays as stored.
  if (session.token()) {
    try {
      const { data, response } = await booking.GET("/api/users/currentuser");
      const user = data?.current_user;
      if (user) session.set({ token: session.token()!, user });
      else if (response.status === 401 || (response.ok && !user)) session.clear();
    } catch {
      // No network: checked on the next start.
    }
  }
  session.onChange(drawHeader);
  drawHeader();
  window.addEventListener("hashchange", () => void render());
  await render();
}

start().catch(() => {
  const main = document.getElementById("main")!;
  main.innerHTML = '<h1 tabindex="-1">Slotwise can\'t be reached</h1><p class="message error" role="alert">Check your connection and reload the page.</p>';
});
