// The door: `#/scan/{event}`, signed in with a scanner device's token. A code
// comes from the camera (BarcodeDetector, where the browser has it) or the
// text field (a USB scanner types it and presses Enter); the answer is a big
// green, amber or red panel with a sound. With the network gone it decides
// from the check-in list kept on the device (signature, move counter, who is
// in) and queues the scans; they upload when the network returns.
import { h, replace } from "../dom";
import { dateTime } from "../format";
import { type Route, stillOn } from "../router";
import { readCode, signedBy } from "../scan/codes";
import { deviceToken, type ListedTicket, type QueuedScan, store, type StoredList } from "../scan/store";

type Verdict = "go" | "wait" | "stop";

interface Answer {
  verdict: Verdict;
  headline: string;
  lines: string[];
}

interface ServerAnswer {
  status?: number;
  code: string;
  detail: string;
  ticket_id?: string;
  tier?: string;
  seat?: string;
  holder_name?: string;
  checked_in_at?: string;
  device?: string;
  reason?: string;
  checkin?: { ticket_id?: string; checked_in_at?: string; device?: string; reason?: string };
}

const VOID_REASONS: Record<string, string> = {
  moved: "An old code: this ticket has moved to someone else",
  refunded: "This ticket was refunded",
  revoked: "The organizer revoked this ticket",
  event_cancelled: "The event was cancelled",
};

/** Offline or not, an answer from the server's words. */
function fromServer(a: ServerAnswer): Answer {
  const facts = { ...a, ...(a.checkin ?? {}) };
  const who = [facts.tier, facts.seat && `Seat ${facts.seat}`, facts.holder_name].filter(Boolean) as string[];
  switch (a.code) {
    case "admitted":
      return { verdict: "go", headline: "Admitted", lines: who };
    case "checked_out":
      return { verdict: "go", headline: "Checked out", lines: [...who, "May come back in"] };
    case "already_checked_in":
    case "conflict":
      return {
        verdict: "wait", headline: "Already checked in",
        lines: [facts.checked_in_at ? `at ${dateTime(facts.checked_in_at)}` : "", facts.device ? `by ${facts.device}` : ""].filter(Boolean),
      };
    case "ticket_void":
      return { verdict: "stop", headline: "Not valid", lines: [VOID_REASONS[facts.reason ?? ""] ?? a.detail] };
    case "wrong_event":
      return { verdict: "stop", headline: "Wrong event", lines: ["This ticket is for another event"] };
    case "forged_code":
      return { verdict: "stop", headline: "Not valid", lines: ["This code was not issued by Slotwise"] };
    case "invalid_code":
      return { verdict: "wait", headline: "Scan again", lines: ["That was not a ticket code"] };
    default:
      return { verdict: "wait", headline: "Not admitted", lines: [a.detail] };
  }
}

/** The decision made on the device, from its list (the network is gone). */
async function decideOffline(list: StoredList | undefined, event: string, text: string, out: boolean): Promise<{ answer: Answer; admit?: ListedTicket }> {
  const code = readCode(text);
  if (!code) return { answer: fromServer({ code: "invalid_code", detail: "" }) };
  if (code.eventId !== event) return { answer: fromServer({ code: "wrong_event", detail: "" }) };
  if (!list) return { answer: { verdict: "wait", headline: "No ticket list yet", lines: ["Connect once to download it"] } };
  const signed = await signedBy(list.public_key, code);
  if (signed === false) return { answer: fromServer({ code: "forged_code", detail: "" }) };
  // Never let in what can't be checked.
  if (signed === null) return { answer: { verdict: "stop", headline: "Can't check offline", lines: ["This browser can't verify codes: connect to the network"] } };
  const ticket = list.tickets[code.ticketId];
  if (!ticket || ticket.status !== "valid") {
    const reason = ticket?.status === "refunded" ? "refunded" : ticket?.status === "void" ? "revoked" : "moved";
    return { answer: fromServer({ code: "ticket_void", detail: "", reason }) };
  }
  if (ticket.counter !== code.counter) return { answer: fromServer({ code: "ticket_void", detail: "", reason: "moved" }) };
  if (out) {
    if (!ticket.inside) return { answer: { verdict: "wait", headline: "Not checked in", lines: [] } };
    return { answer: { verdict: "go", headline: "Checked out", lines: ["May come back in", "Offline: will sync"] }, admit: ticket };
  }
  if (ticket.inside || (ticket.entries > 0 && !list.reentry)) {
    return { answer: { verdict: "wait", headline: "Already checked in", lines: ["(seen by this device's list)"] } };
  }
  const who = [ticket.tier, ticket.seat && `Seat ${ticket.seat}`, ticket.holder_name].filter(Boolean) as string[];
  return { answer: { verdict: "go", headline: "Admitted", lines: [...who, "Offline: will sync"] }, admit: ticket };
}

function beep(verdict: Verdict): void {
  try {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = verdict === "go" ? 880 : verdict === "wait" ? 520 : 220;
    osc.type = verdict === "stop" ? "square" : "sine";
    gain.gain.value = 0.2;
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + (verdict === "go" ? 0.15 : 0.45));
    osc.onended = () => void ctx.close();
  } catch {
    // No sound on this device: the colour says it.
  }
}

/** A device token entered once on this device (the organizer's page can store it too). */
function signInForm(route: Route, event: string): void {
  const input = h("input", { id: "device-token", type: "password", autocomplete: "off", required: true });
  const form = h("form", { class: "card narrow" },
    h("div", { class: "field" }, h("label", { for: "device-token" }, "Scanner device token"), input),
    h("p", { class: "hint" }, "The organizer creates a scanner device on the event's page; its token is shown once."),
    h("button", { type: "submit", class: "primary" }, "Start scanning"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!input.value.trim()) return;
    deviceToken.set(event, input.value.trim());
    void scanPage(route);
  });
  replace(route.main, h("h1", null, "Door scanner"), form);
}

export async function scanPage(route: Route): Promise<void> {
  const event = route.params.event;
  const token = deviceToken.get(event);
  if (!token) return signInForm(route, event);
  const here = location.hash;
  void navigator.serviceWorker?.register("/app/sw.js", { scope: "/" }).catch(() => undefined);

  let list = await store.list(event);
  const heading = h("h1", null, list?.title ? `Door: ${list.title}` : "Door scanner");
  const banner = h("p", { class: "scan-banner", role: "status", "data-testid": "scan-banner" });
  const panel = h("div", { class: "scan-answer idle", role: "status", "aria-live": "assertive", "data-testid": "scan-answer" },
    h("p", { class: "scan-headline" }, "Ready"), h("p", null, "Scan a ticket"));
  const input = h("input", { id: "scan-code", type: "text", autocomplete: "off", autocapitalize: "off", spellcheck: "false" });
  // Re-entry events: a door may check holders out (they come back in later).
  const leaving = h("input", { id: "scan-out", type: "checkbox" });
  const outBox = h("div", { class: "check", hidden: !list?.reentry }, leaving, h("label", { for: "scan-out" }, "Checking out"));
  const form = h("form", { class: "scan-form" },
    h("div", { class: "field" }, h("label", { for: "scan-code" }, "Ticket code"), input),
    h("button", { type: "submit", class: "primary" }, "Check in"), outBox);
  const camera = h("video", { class: "scan-camera", muted: true, playsinline: true, hidden: true, "aria-hidden": "true" });
  const cameraButton = "BarcodeDetector" in window
    ? h("button", { type: "button" }, "Use the camera")
    : null;
  const signOut = h("button", { type: "button" }, "Forget this device");
  replace(route.main, heading, banner, panel, form, cameraButton, camera, h("p", { class: "actions" }, signOut));
  input.focus();

  const show = (a: Answer) => {
    panel.className = `scan-answer ${a.verdict}`;
    replace(panel, h("p", { class: "scan-headline" }, a.headline), a.lines.map((l) => h("p", null, l)));
    beep(a.verdict);
  };
  const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };

  const drawBanner = async () => {
    const queued = (await store.queued(event)).length;
    const online = navigator.onLine;
    banner.className = `scan-banner ${online && queued === 0 ? "online" : "offline"}`;
    const tickets = list ? Object.keys(list.tickets).length : 0;
    banner.textContent = online
      ? `Online · ${tickets} tickets on this device${queued ? ` · ${queued} scans to upload` : ""}`
      : `Offline, ${queued} scans queued · checking against ${tickets} tickets on this device`;
  };

  const revoked = () => {
    deviceToken.clear(event);
    show({ verdict: "stop", headline: "Device not accepted", lines: ["Its token was revoked or is wrong. Ask the organizer for a new one."] });
  };

  /** Downloads the list (or what changed), then uploads queued scans. */
  const sync = async () => {
    try {
      const since = list?.cursor ? `?since=${encodeURIComponent(list.cursor)}` : "";
      const res = await fetch(`/events/${encodeURIComponent(event)}/checkin-list${since}`, { headers });
      if (res.status === 401) return revoked();
      if (!res.ok) return;
      const got = await res.json() as { public_key: string; reentry: boolean; cursor: string; tickets: ListedTicket[] };
      const tickets = since && list ? { ...list.tickets } : {};
      for (const t of got.tickets) tickets[t.id] = t;
      let title = list?.title ?? "";
      if (!title) {
        const e = await fetch(`/events/${encodeURIComponent(event)}`);
        if (e.ok) title = (await e.json()).title;
      }
      list = { event, title, public_key: got.public_key, reentry: got.reentry, cursor: got.cursor, synced_at: new Date().toISOString(), tickets };
      await store.saveList(list);
      outBox.hidden = !list.reentry;
      if (title) heading.textContent = `Door: ${title}`;
      const queued = await store.queued(event);
      // At most 200 a request, as the server takes them (its body limit).
      for (let i = 0; i < queued.length; i += 200) {
        const part = queued.slice(i, i + 200);
        const up = await fetch(`/events/${encodeURIComponent(event)}/checkins/batch`, {
          method: "POST", headers,
          body: JSON.stringify({ scans: part.map((q) => ({ code: q.code, scan_id: q.scan_id, scanned_at: q.scanned_at, direction: q.direction ?? "in" })) }),
        });
        if (!up.ok) break;
        for (const q of part) await store.dequeue(q.scan_id);
      }
    } catch {
      // Still offline: try again later.
    } finally {
      await drawBanner();
    }
  };

  const scan = async (text: string) => {
    const code = text.trim();
    if (!code) return;
    const scanId = crypto.randomUUID();
    const scannedAt = new Date().toISOString();
    const out = list?.reentry === true && leaving.checked;
    const direction = out ? "out" : "in";
    try {
      const res = await fetch(`/events/${encodeURIComponent(event)}/checkins`, {
        method: "POST", headers, body: JSON.stringify({ code, scan_id: scanId, direction }),
      });
      if (res.status === 401) return revoked();
      const answer = await res.json() as ServerAnswer;
      show(fromServer(answer));
      const id = answer.ticket_id ?? answer.checkin?.ticket_id;
      if (id && list?.tickets[id] && (answer.code === "admitted" || answer.code === "checked_out")) {
        const t = list.tickets[id];
        list.tickets[id] = answer.code === "admitted" ? { ...t, inside: true, entries: t.entries + 1 } : { ...t, inside: false };
        await store.saveList(list);
      }
    } catch {
      // The network is gone: the device decides, and queues the scan.
      const { answer, admit } = await decideOffline(list, event, code, out);
      show(answer);
      if (admit && list) {
        const queued: QueuedScan = { scan_id: scanId, event, code, scanned_at: scannedAt, direction };
        await store.enqueue(queued);
        list.tickets[admit.id] = out ? { ...admit, inside: false } : { ...admit, inside: true, entries: admit.entries + 1 };
        await store.saveList(list);
      }
      await drawBanner();
    }
  };

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value;
    input.value = "";
    void scan(text).finally(() => input.focus());
  });
  signOut.addEventListener("click", () => { deviceToken.clear(event); signInForm(route, event); });

  cameraButton?.addEventListener("click", async () => {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      camera.srcObject = stream;
      camera.hidden = false;
      await camera.play();
      cameraButton.hidden = true;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const detector = new (window as any).BarcodeDetector({ formats: ["qr_code"] });
      let last = "";
      const look = async () => {
        if (!stillOn(here)) return stream.getTracks().forEach((t) => t.stop());
        const found = await detector.detect(camera).catch(() => []);
        const text: string | undefined = found[0]?.rawValue;
        if (text && text !== last) {
          last = text;
          await scan(text);
          setTimeout(() => { last = ""; }, 3000);
        }
        setTimeout(() => void look(), 250);
      };
      void look();
    } catch {
      show({ verdict: "wait", headline: "No camera", lines: ["Type or scan the code into the field"] });
    }
  });

  window.addEventListener("online", () => { if (stillOn(here)) void sync(); });
  window.addEventListener("offline", () => { if (stillOn(here)) void drawBanner(); });
  const every = setInterval(() => {
    if (!stillOn(here)) return clearInterval(every);
    void sync();
  }, 15_000);
  await drawBanner();
  await sync();
}
