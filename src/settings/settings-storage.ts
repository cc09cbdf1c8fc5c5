/**
 * Where per-VM settings records live: IndexedDB through idb-keyval, database `spice-console-settings`,
 * object store `settings`, one record per VM id. Every call is bounded in time and turns any failure
 * (no IndexedDB, private browsing, a blocked or broken database, a quota error) into a
 * SettingsStorageError with a reason a page can show, so the console never waits on storage forever.
 * Records are checked by the caller (settings-record.ts): this module stores and returns them as they are.
 */
import { createStore, get, set, type UseStore } from 'idb-keyval';
import type { SettingsRecord } from './settings-record.js';

export const SETTINGS_DB = 'spice-console-settings';
export const SETTINGS_STORE = 'settings';
/** How long one read or write may take before storage counts as unavailable. */
export const STORAGE_TIMEOUT_MS = 3000;

/** A storage call failed; `message` says why in words. */
export class SettingsStorageError extends Error {
  override name = 'SettingsStorageError';
}

/** Reads and writes settings records by VM id. */
export interface SettingsStorage {
  /** The stored value for `vmId` as it is (unchecked), or undefined when there is none. */
  read(vmId: string): Promise<unknown>;
  write(vmId: string, record: SettingsRecord): Promise<void>;
}

function describe(e: unknown): string {
  if (e instanceof DOMException || e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

function bounded<T>(what: string, work: () => Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new SettingsStorageError(`IndexedDB did not answer within ${ms} ms (${what})`)), ms);
    let p: Promise<T>;
    try {
      p = work();
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof SettingsStorageError ? e : new SettingsStorageError(`IndexedDB is unavailable (${describe(e)})`));
      },
    );
  });
}

let shared: UseStore | null = null;

/** The idb-keyval store, opened on first use (idb-keyval retries the open after a failure). */
function store(): UseStore {
  if (typeof indexedDB === 'undefined') throw new SettingsStorageError('this browser offers no IndexedDB here');
  shared ??= createStore(SETTINGS_DB, SETTINGS_STORE);
  return shared;
}

/** Settings kept in this browser's IndexedDB. */
export const idbSettingsStorage: SettingsStorage = {
  read: (vmId) => bounded('read', () => get(vmId, store()), STORAGE_TIMEOUT_MS),
  write: (vmId, record) => bounded('write', () => set(vmId, record, store()), STORAGE_TIMEOUT_MS),
};
