// The organizer's door: scanner devices (a token shown once, revocable), the
// live check-in counts, and offline admissions that conflicted.
import { booking, call, type Event } from "../api";
import { busy, field, h, messageBox, replace } from "../dom";
import { dateTime } from "../format";
import { go, stillOn } from "../router";
import { deviceToken } from "../scan/store";

export function doorSection(event: Event): HTMLElement {
  const path = { params: { path: { id: event.id } } };
  const here = location.hash;
  const counts = h("div", { "data-testid": "checkin-counts" });
  const devices = h("div");
  const conflicts = h("div");
  const message = messageBox();
  const name = h("input", { id: "scanner-name", type: "text", maxlength: 80, placeholder: "North door" });
  const create = h("button", { type: "submit" }, "Add a scanner device");
  const created = h("div", { role: "status", "aria-live": "polite" });
  const form = h("form", { class: "with-button" }, field("Device name", name), create);

  const refresh = async () => {
    const [stats, scanners, lost] = await Promise.all([
      call(booking.GET("/events/{id}/checkins/stats", path)),
      call(booking.GET("/events/{id}/scanners", path)),
      call(booking.GET("/events/{id}/checkins", { params: { path: { id: event.id }, query: { conflicts: true } } })),
    ]);
    const deviceName = (id: string) => scanners.items.find((s) => s.id === id)?.name ?? "a device";
    replace(counts,
      h("p", { "data-testid": "checkin-summary" }, `${stats.checked_in} of ${stats.valid} checked in`),
      stats.tiers.length ? h("table", null,
        h("caption", { class: "visually-hidden" }, "Checked in by tier"),
        h("thead", null, h("tr", null, h("th", { scope: "col" }, "Tier"), h("th", { scope: "col", class: "num" }, "Checked in"))),
        h("tbody", null, stats.tiers.map((t) => h("tr", null, h("th", { scope: "row" }, t.tier), h("td", { class: "num" }, `${t.checked_in} / ${t.valid}`))))) : null,
      stats.devices.length ? h("p", { class: "meta" }, stats.devices.map((d) => `${d.name}: ${d.admitted}`).join(" · ")) : null,
    );
    replace(devices, scanners.items.length === 0 ? h("p", null, "No scanner devices yet.") :
      h("ul", { class: "list" }, scanners.items.map((s) => {
        const revoke = h("button", { type: "button", class: "danger" }, `Revoke ${s.name}`);
        revoke.addEventListener("click", () => busy(revoke, async () => {
          await call(booking.DELETE("/events/{id}/scanners/{scanner_id}", { params: { path: { id: event.id, scanner_id: s.id } } }));
          await refresh();
        }));
        return h("li", null, h("strong", null, s.name), " ",
          s.revoked_at ? h("span", { class: "badge cancelled" }, "revoked") : revoke);
      })));
    replace(conflicts, lost.items.length === 0 ? null : [
      h("h3", null, "Conflicts"),
      h("ul", { class: "list", "data-testid": "checkin-conflicts" }, lost.items.map((c) =>
        h("li", null, `${c.ticket_id ? `Ticket ${c.ticket_id.slice(0, 8)}` : "A code"}: ${deviceName(c.scanner_id)} let someone in offline at ${dateTime(c.scanned_at)}, but `,
          c.winner ? `${deviceName(c.winner.scanner_id)} admitted it first at ${dateTime(c.winner.scanned_at)}` : c.detail))),
    ]);
  };

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    message.clear();
    if (!name.value.trim()) return message.show("error", "Please name the device, like North door.");
    void busy(create, async () => {
      try {
        const device = await call(booking.POST("/events/{id}/scanners", { ...path, body: { name: name.value.trim() } }));
        name.value = "";
        const open = h("button", { type: "button", class: "primary" }, "Open the scanner on this device");
        open.addEventListener("click", () => {
          deviceToken.set(event.id, device.token!);
          go(`/scan/${event.id}`);
        });
        replace(created, h("div", { class: "card" },
          h("p", null, `Token of ${device.name} (shown once; enter it on the door's phone at `, h("code", null, `#/scan/${event.id}`), "):"),
          h("p", null, h("code", { "data-testid": "scanner-token" }, device.token!)), open));
        await refresh();
      } catch (err) {
        message.show("error", (err as Error).message);
      }
    });
  });

  const every = setInterval(() => {
    if (!stillOn(here)) return clearInterval(every);
    void refresh().catch(() => undefined);
  }, 10_000);
  void refresh().catch((err) => message.show("error", (err as Error).message));
  return h("section", { "aria-labelledby": "door-h" },
    h("h2", { id: "door-h" }, "Door check-in"), counts, conflicts, h("h3", null, "Scanner devices"), devices, form, message, created);
}
