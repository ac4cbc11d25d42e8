import { h, replace } from "./dom";
import { signOut } from "./pages/auth";
import { session } from "./session";

/** The header: the places one goes, and who is signed in. */
export function drawHeader(): void {
  const header = document.getElementById("site-header")!;
  const user = session.user();
  const link = (href: string, text: string) => h("li", null, h("a", { href }, text));
  const signout = h("button", { type: "button", class: "link", onclick: () => void signOut() }, "Sign out");
  replace(header,
    h("nav", { "aria-label": "Main" },
      h("a", { class: "brand", href: "#/" }, "Slotwise"),
      h("ul", null,
        link("#/pros", "Find a pro"),
        link("#/events", "Events"),
        user ? [link("#/bookings", "My bookings"), link("#/tickets", "My tickets"), link("#/organize", "Organize")] : null,
      ),
      h("div", { class: "account" },
        user
          ? [h("span", { class: "who", "data-testid": "signed-in-as" }, user.name), signout]
          : [h("a", { href: "#/signin" }, "Sign in"), h("a", { class: "button", href: "#/signup" }, "Sign up")],
      ),
    ),
  );
}
