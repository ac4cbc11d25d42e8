// The signed-in user, kept in localStorage so a reload keeps the session.

export interface StoredSession {
  token: string;
  user: { id: string; email: string; name: string; role: string };
}

const KEY = "slotwise.session";
const listeners = new Set<() => void>();

export const session = {
  get(): StoredSession | null {
    try {
      const raw = localStorage.getItem(KEY);
      return raw ? (JSON.parse(raw) as StoredSession) : null;
    } catch {
      return null;
    }
  },
  token(): string | null {
    return this.get()?.token ?? null;
  },
  user(): StoredSession["user"] | null {
    return this.get()?.user ?? null;
  },
  set(s: StoredSession): void {
    localStorage.setItem(KEY, JSON.stringify(s));
    listeners.forEach((f) => f());
  },
  clear(): void {
    if (localStorage.getItem(KEY) === null) return;
    localStorage.removeItem(KEY);
    listeners.forEach((f) => f());
  },
  onChange(f: () => void): void {
    listeners.add(f);
  },
};
