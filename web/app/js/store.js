// What the app keeps on the phone, in IndexedDB (it survives closing the app and losing the network):
//   kv     — the last answers it may need offline (me, categories, the week's plan…) and the drafts
//            of what is being typed, by key;
//   outbox — writes waiting to reach the server (see outbox.js), by id, indexed by user.
const NAME = "gridgov-app";
const VERSION = 1;

let opening = null;

function open() {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore("kv");
      db.createObjectStore("outbox", {keyPath: "id"}).createIndex("user", "user_id");
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opening;
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(store, mode, work) {
  const db = await open();
  const tx = db.transaction(store, mode);
  const result = await work(tx.objectStore(store));
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
  return result;
}

export const kv = {
  get: (key) => run("kv", "readonly", (s) => done(s.get(key))),
  set: (key, value) => run("kv", "readwrite", (s) => done(s.put(value, key))),
  del: (key) => run("kv", "readwrite", (s) => done(s.delete(key))),
  // every key that starts with prefix (the drafts of one kind, a user's cached answers)
  keys: (prefix) => run("kv", "readonly", (s) => done(s.getAllKeys(IDBKeyRange.bound(prefix, `${prefix}\uffff`)))),
};

export const outboxStore = {
  get: (id) => run("outbox", "readonly", (s) => done(s.get(id))),
  put: (entry) => run("outbox", "readwrite", (s) => done(s.put(entry))),
  del: (id) => run("outbox", "readwrite", (s) => done(s.delete(id))),
  ofUser: async (userId) => {
    const rows = await run("outbox", "readonly", (s) => done(s.index("user").getAll(userId)));
    return rows.sort((a, b) => a.seq - b.seq);
  },
};

// A kept answer: fetch it when the network is there (and keep it), else the last one kept.
export async function cached(key, fetcher) {
  try {
    const fresh = await fetcher();
    await kv.set(key, {at: Date.now(), value: fresh});
    return {value: fresh, offline: false};
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;  // the server answered: not a network problem
    const kept = await kv.get(key);
    if (!kept) throw error;
    return {value: kept.value, offline: true, at: kept.at};
  }
}
