// What a scanner keeps on the device (IndexedDB), so it works with the network
// off: the event's check-in list and the scans waiting to be uploaded.

export interface ListedTicket {
  id: string;
  counter: number;
  status: string;
  tier?: string;
  seat?: string;
  holder_name?: string;
  inside: boolean;
  entries: number;
}

export interface StoredList {
  event: string;
  title: string;
  public_key: string;
  reentry: boolean;
  cursor: string;
  synced_at: string;
  tickets: Record<string, ListedTicket>;
}

export interface QueuedScan {
  scan_id: string;
  event: string;
  code: string;
  scanned_at: string;
  direction?: "in" | "out";
}

const DB = "slotwise-scanner";

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore("lists", { keyPath: "event" });
      req.result.createObjectStore("queue", { keyPath: "scan_id" });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function run<T>(store: string, mode: IDBTransactionMode, work: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const req = work(tx.objectStore(store));
    tx.oncomplete = () => { db.close(); resolve(req.result); };
    tx.onerror = () => { db.close(); reject(tx.error); };
  });
}

export const store = {
  list: (event: string) => run<StoredList | undefined>("lists", "readonly", (s) => s.get(event)),
  saveList: (list: StoredList) => run("lists", "readwrite", (s) => s.put(list)),
  queued: async (event: string) =>
    (await run<QueuedScan[]>("queue", "readonly", (s) => s.getAll())).filter((q) => q.event === event)
      .sort((a, b) => a.scanned_at.localeCompare(b.scanned_at)),
  enqueue: (scan: QueuedScan) => run("queue", "readwrite", (s) => s.put(scan)),
  dequeue: (scanId: string) => run("queue", "readwrite", (s) => s.delete(scanId)),
};

const TOKENS = "slotwise.scanner.";

/** The device token of a scanner for `event`, kept on this device. */
export const deviceToken = {
  get: (event: string): string | null => localStorage.getItem(TOKENS + event),
  set: (event: string, token: string): void => localStorage.setItem(TOKENS + event, token),
  clear: (event: string): void => localStorage.removeItem(TOKENS + event),
};
