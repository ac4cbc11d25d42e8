// Hash routes (`#/events/abc`), so the service serves one page at `/` and
// the API keeps every other path.

export interface Route {
  params: Record<string, string>;
  query: URLSearchParams;
  main: HTMLElement;
}
export type Page = (route: Route) => Promise<void> | void;

const table: Array<{ parts: string[]; page: Page }> = [];

export function route(pattern: string, page: Page): void {
  table.push({ parts: pattern.split("/").filter(Boolean), page });
}

export function go(path: string): void {
  if (location.hash === `#${path}`) void render();
  else location.hash = path;
}

function match(path: string): { page: Page; params: Record<string, string> } | null {
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  for (const entry of table) {
    if (entry.parts.length !== parts.length) continue;
    const params: Record<string, string> = {};
    if (entry.parts.every((p, i) => (p.startsWith(":") ? ((params[p.slice(1)] = parts[i]), true) : p === parts[i]))) {
      return { page: entry.page, params };
    }
  }
  return null;
}

let renders = 0;

/** Draws the page the hash names, then moves focus to its heading. */
export async function render(): Promise<void> {
  const main = document.getElementById("main")!;
  const [path, qs] = (location.hash.replace(/^#/, "") || "/").split("?");
  const mine = ++renders;
  // Each render draws into a view of its own: a slow page the person has
  // already left then draws into a detached view, never into the next page.
  const view = document.createElement("div");
  main.replaceChildren(view);
  main.setAttribute("aria-busy", "true");
  try {
    let found: ReturnType<typeof match> = null;
    try {
      found = match(path);
    } catch {
      found = null; // a malformed %-escape: no such page
    }
    if (!found) {
      view.innerHTML = '<h1 tabindex="-1">Page not found</h1><p><a href="#/">Go to the start page</a></p>';
    } else {
      await found.page({ params: found.params, query: new URLSearchParams(qs ?? ""), main: view });
    }
  } catch (e) {
    if (mine !== renders) return;
    const message = e instanceof Error ? e.message : "Something went wrong.";
    const h1 = document.createElement("h1");
    h1.tabIndex = -1;
    h1.textContent = "Sorry, this page could not be shown";
    const p = document.createElement("p");
    p.className = "message error";
    p.setAttribute("role", "alert");
    p.textContent = message;
    view.replaceChildren(h1, p);
  } finally {
    if (mine === renders) {
      main.removeAttribute("aria-busy");
      const heading = main.querySelector<HTMLElement>("h1");
      if (heading) {
        heading.tabIndex = -1;
        if (renders > 1) heading.focus();
        document.title = `${heading.textContent} · Slotwise`;
      }
    }
  }
}

/** True while the page that started a poll is still the one shown. */
export function stillOn(hash: string): boolean {
  return location.hash === hash;
}
