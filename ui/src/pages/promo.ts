// The organizer's promo codes: create one (a percentage off, how many
// orders may use it), see each code's uses and what it brought in, and
// switch one off.
import { booking, call, type Event } from "../api";
import { busy, field, h, messageBox, replace } from "../dom";
import { money } from "../format";

export function promoSection(event: Event): HTMLElement {
  const path = { params: { path: { id: event.id } } };
  const list = h("div");
  const message = messageBox();
  const code = h("input", { id: "promo-new-code", type: "text", maxlength: 32, autocomplete: "off", placeholder: "SPRING" });
  const percent = h("input", { id: "promo-new-percent", type: "number", inputmode: "numeric", min: 1, max: 100, value: 10 });
  const uses = h("input", { id: "promo-new-uses", type: "number", inputmode: "numeric", min: 1, value: 100 });
  const create = h("button", { type: "submit" }, "Create the code");
  const form = h("form", { class: "with-button" },
    field("Code", code), field("Percent off", percent), field("Orders that may use it", uses), create);

  const refresh = async () => {
    const codes = await call(booking.GET("/events/{id}/vouchers", path));
    replace(list, codes.items.length === 0 ? h("p", null, "No promo codes yet.") : h("table", null,
      h("caption", null, "Promo codes"),
      h("thead", null, h("tr", null, ...["Code", "Discount", "Used", "Orders paid", "Revenue", "Discount given", ""].map((c) =>
        h("th", { scope: "col" }, c)))),
      h("tbody", null, codes.items.map((v) => {
        const off = h("button", { type: "button", class: "danger" }, `Switch ${v.code} off`);
        off.addEventListener("click", () => busy(off, async () => {
          await call(booking.DELETE("/events/{id}/vouchers/{voucher_id}", { params: { path: { id: event.id, voucher_id: v.id } } }));
          await refresh();
        }));
        return h("tr", null,
          h("th", { scope: "row" }, h("code", null, v.code)),
          h("td", null, v.percent_off ? `${v.percent_off}%` : v.amount_off_cents ? money(v.amount_off_cents, event.currency) : "unlocks tiers"),
          h("td", { class: "num" }, `${v.uses} / ${v.max_uses}`),
          h("td", { class: "num" }, String(v.stats.orders)),
          h("td", { class: "num" }, money(v.stats.revenue_cents, event.currency)),
          h("td", { class: "num" }, money(v.stats.discount_cents, event.currency)),
          h("td", null, v.disabled_at ? h("span", { class: "badge cancelled" }, "off") : off));
      }))));
  };

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    message.clear();
    const name = code.value.trim();
    if (name.length < 3) return message.show("error", "Please give the code at least 3 letters or digits, like SPRING.");
    void busy(create, async () => {
      try {
        await call(booking.POST("/events/{id}/vouchers", {
          ...path, body: { code: name, percent_off: Number(percent.value), max_uses: Number(uses.value) },
        }));
        code.value = "";
        message.show("success", `Code ${name.toUpperCase()} created.`);
        await refresh();
      } catch (err) {
        message.show("error", (err as Error).message);
      }
    });
  });
  void refresh().catch((err) => message.show("error", (err as Error).message));
  return h("section", { "aria-labelledby": "promo-h" }, h("h2", { id: "promo-h" }, "Promo codes"), list, form, message);
}
